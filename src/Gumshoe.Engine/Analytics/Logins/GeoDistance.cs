namespace Gumshoe.Engine.Analytics.Logins;

/// <summary>Great-circle distances (haversine, mean Earth radius) and points on the unit sphere.</summary>
public static class GeoDistance
{
    /// <summary>Mean Earth radius in km (IUGG), the value the shared impossible-travel reference uses.</summary>
    public const double EarthRadiusKm = 6371.0088;

    /// <summary>Haversine distance in km between two (lat, lon) points in degrees.</summary>
    public static double Km(double lat1, double lon1, double lat2, double lon2)
    {
        const double rad = Math.PI / 180;
        var dLat = (lat2 - lat1) * rad;
        var dLon = (lon2 - lon1) * rad;
        var a = Math.Sin(dLat / 2) * Math.Sin(dLat / 2) + Math.Cos(lat1 * rad) * Math.Cos(lat2 * rad) * Math.Sin(dLon / 2) * Math.Sin(dLon / 2);
        return 2 * EarthRadiusKm * Math.Asin(Math.Min(1, Math.Sqrt(a)));
    }

    /// <summary>The point on the unit sphere: Euclidean distance there has no wrap-around at ±180°.</summary>
    public static (double X, double Y, double Z) UnitSphere(double lat, double lon)
    {
        const double rad = Math.PI / 180;
        var cl = Math.Cos(lat * rad);
        return (cl * Math.Cos(lon * rad), cl * Math.Sin(lon * rad), Math.Sin(lat * rad));
    }
}
