namespace Gumshoe.LoginBench;

/// <summary>A city: where an address geolocates.</summary>
public sealed record City(string Name, string Country, double Lat, double Lon);

/// <summary>An autonomous system and what kind of network it is.</summary>
public sealed record Network(int Asn, string Organization, NetworkKind Kind);

/// <summary>Residential ISP, mobile carrier, hosting/cloud, commercial VPN, or the organisation's own.</summary>
public enum NetworkKind { Residential, Mobile, Hosting, CommercialVpn, Corporate }

/// <summary>A country: its cities, UTC offset, and its residential and mobile networks.</summary>
public sealed record Country(string Code, double UtcOffset, City[] Cities, Network[] Residential, Network[] Mobile);

/// <summary>The synthetic world: countries, hosting and VPN providers with their data-centre cities, the organisation's offices.</summary>
public static class World
{
    private static Country C(string code, double tz, (string, double, double)[] cities, (int, string)[] res, (int, string)[] mob) =>
        new(code, tz, cities.Select(c => new City(c.Item1, code, c.Item2, c.Item3)).ToArray(),
            res.Select(r => new Network(r.Item1, r.Item2, NetworkKind.Residential)).ToArray(),
            mob.Select(r => new Network(r.Item1, r.Item2, NetworkKind.Mobile)).ToArray());

    public static readonly Country[] Countries =
    [
        C("GB", 0, [("London", 51.51, -0.13), ("Manchester", 53.48, -2.24), ("Birmingham", 52.49, -1.89), ("Leeds", 53.8, -1.55), ("Glasgow", 55.86, -4.25), ("Bristol", 51.45, -2.59)],
            [(2856, "British Telecommunications"), (5089, "Virgin Media"), (5607, "Sky UK")], [(12576, "EE"), (206067, "Three UK")]),
        C("DE", 1, [("Berlin", 52.52, 13.4), ("Munich", 48.14, 11.58), ("Hamburg", 53.55, 10.0), ("Frankfurt", 50.11, 8.68), ("Cologne", 50.94, 6.96)],
            [(3320, "Deutsche Telekom"), (3209, "Vodafone GmbH")], [(6805, "Telefonica Germany")]),
        C("FR", 1, [("Paris", 48.86, 2.35), ("Lyon", 45.76, 4.84), ("Marseille", 43.3, 5.37), ("Toulouse", 43.6, 1.44)],
            [(3215, "Orange"), (12322, "Free SAS")], [(51207, "Free Mobile")]),
        C("US", -5, [("New York", 40.71, -74.0), ("Boston", 42.36, -71.06), ("Chicago", 41.88, -87.63), ("San Francisco", 37.77, -122.42), ("Austin", 30.27, -97.74), ("Newark", 40.74, -74.17)],
            [(7922, "Comcast"), (7018, "AT&T"), (701, "Verizon Business")], [(21928, "T-Mobile USA"), (22394, "Verizon Wireless")]),
        C("NL", 1, [("Amsterdam", 52.37, 4.9), ("Rotterdam", 51.92, 4.48)], [(1136, "KPN"), (33915, "Ziggo")], [(13127, "Odido")]),
        C("ES", 1, [("Madrid", 40.42, -3.7), ("Barcelona", 41.39, 2.17)], [(3352, "Telefonica de Espana")], [(12430, "Vodafone Spain")]),
        C("IN", 5.5, [("Bangalore", 12.97, 77.59), ("Mumbai", 19.08, 72.88), ("Delhi", 28.61, 77.21), ("Chennai", 13.08, 80.27)],
            [(24560, "Bharti Airtel"), (45609, "Bharti Airtel Broadband")], [(55836, "Reliance Jio")]),
        C("SG", 8, [("Singapore", 1.35, 103.82)], [(9506, "Singtel Fibre")], [(4773, "Singtel Mobile")]),
        C("JP", 9, [("Tokyo", 35.68, 139.69), ("Osaka", 34.69, 135.5)], [(2516, "KDDI"), (4713, "NTT OCN")], [(9605, "NTT Docomo")]),
        C("BR", -3, [("Sao Paulo", -23.55, -46.63), ("Rio de Janeiro", -22.9, -43.2)], [(28573, "Claro NXT")], [(26599, "Telefonica Brasil")]),
        C("RU", 3, [("Moscow", 55.76, 37.62), ("Saint Petersburg", 59.93, 30.36)], [(12389, "Rostelecom")], [(8359, "MTS")]),
        C("NG", 1, [("Lagos", 6.52, 3.38), ("Abuja", 9.06, 7.49)], [(37148, "Globacom")], [(29465, "MTN Nigeria")]),
        C("CN", 8, [("Beijing", 39.9, 116.4), ("Shanghai", 31.23, 121.47)], [(4134, "Chinanet")], [(9808, "China Mobile")]),
        C("VN", 7, [("Hanoi", 21.03, 105.85), ("Ho Chi Minh City", 10.82, 106.63)], [(7552, "Viettel")], [(45899, "VNPT")]),
        C("RO", 2, [("Bucharest", 44.43, 26.1)], [(8708, "RCS & RDS")], [(12302, "Vodafone Romania")]),
        C("CA", -5, [("Toronto", 43.65, -79.38), ("Montreal", 45.5, -73.57)], [(812, "Rogers")], [(577, "Bell Canada")]),
        C("AU", 10, [("Sydney", -33.87, 151.21), ("Melbourne", -37.81, 144.96)], [(1221, "Telstra")], [(4804, "Optus")]),
        C("IE", 0, [("Dublin", 53.35, -6.26)], [(5466, "Eircom")], [(15502, "Vodafone Ireland")]),
        C("FI", 2, [("Helsinki", 60.17, 24.94)], [(1759, "Telia Finland")], [(16086, "DNA Oyj")]),
    ];

    public static Country Country(string code) => Countries.First(c => c.Code == code);

    public static City CityNamed(string name) => Countries.SelectMany(c => c.Cities).First(c => c.Name == name);

    /// <summary>Hosting and cloud providers with the cities of their data centres.</summary>
    public static readonly (Network Net, string[] Cities)[] Hosting =
    [
        (new(16509, "Amazon.com", NetworkKind.Hosting), ["Frankfurt", "Dublin", "London", "Paris", "Singapore", "Tokyo", "Sao Paulo", "Newark", "Mumbai"]),
        (new(14061, "DigitalOcean", NetworkKind.Hosting), ["Amsterdam", "Frankfurt", "New York", "Singapore", "Bangalore", "London", "Toronto"]),
        (new(16276, "OVH SAS", NetworkKind.Hosting), ["Paris", "Frankfurt", "Montreal", "Singapore", "Sydney"]),
        (new(24940, "Hetzner Online", NetworkKind.Hosting), ["Helsinki", "Frankfurt"]),
        (new(63949, "Akamai Connected Cloud", NetworkKind.Hosting), ["Newark", "London", "Frankfurt", "Tokyo", "Mumbai"]),
        (new(20473, "The Constant Company (Vultr)", NetworkKind.Hosting), ["Amsterdam", "Chicago", "Tokyo", "Madrid", "Sao Paulo", "Moscow", "Lagos"]),
        (new(45102, "Alibaba Cloud", NetworkKind.Hosting), ["Shanghai", "Beijing", "Singapore"]),
    ];

    /// <summary>Commercial VPN providers and their exit cities (used by some staff and by attackers).</summary>
    public static readonly (Network Net, string[] Cities)[] CommercialVpn =
    [
        (new(9009, "M247 Europe", NetworkKind.CommercialVpn), ["London", "Amsterdam", "Frankfurt", "Paris", "Madrid", "Bucharest", "New York", "Chicago", "Toronto"]),
        (new(60068, "Datacamp Limited", NetworkKind.CommercialVpn), ["London", "Frankfurt", "New York", "Singapore", "Tokyo", "Sydney", "Sao Paulo"]),
        (new(136787, "TEFINCOM S.A.", NetworkKind.CommercialVpn), ["Amsterdam", "Helsinki", "Dublin", "Madrid", "Mumbai"]),
        (new(147049, "PacketHub S.A.", NetworkKind.CommercialVpn), ["London", "Paris", "Berlin", "Hanoi", "Lagos"]),
    ];

    /// <summary>The organisation's offices (on its own network) and its corporate VPN egress points.</summary>
    public static readonly string[] Offices = ["London", "Berlin", "New York", "Bangalore", "Singapore"];
    public static readonly double[] OfficeShare = [0.35, 0.15, 0.25, 0.15, 0.10];
    public static readonly Network Corporate = new(64512, "Example Corp", NetworkKind.Corporate);
    public static readonly Network CorporateVpn = new(64513, "Example Corp VPN", NetworkKind.Corporate);
    public static readonly string[] VpnEgress = ["London", "New York", "Singapore"];

    /// <summary>Browser user agents (family, OS) people and attackers use; scripted clients only attackers.</summary>
    public static readonly (string Family, string Os)[] Laptops =
        [("Chrome", "Windows"), ("Chrome", "Windows"), ("Chrome", "Windows"), ("Edge", "Windows"), ("Chrome", "Mac OS X"), ("Safari", "Mac OS X"), ("Firefox", "Windows"), ("Firefox", "Ubuntu"), ("Chrome", "Linux")];
    public static readonly (string Family, string Os)[] Phones = [("Mobile Safari", "iOS"), ("Mobile Safari", "iOS"), ("Chrome Mobile", "Android"), ("Samsung Internet", "Android")];
    public static readonly (string Family, string Os)[] Scripts = [("Python Requests", "Other"), ("curl", "Other"), ("Go-http-client", "Other"), ("okhttp", "Other")];
}
