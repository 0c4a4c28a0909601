using Gumshoe.Engine.Enrich.UserAgent;
using Gumshoe.Engine.Tests.Parsers;
using YamlDotNet.RepresentationModel;

namespace Gumshoe.Engine.Tests.Enrich.UserAgent;

public sealed class UserAgentParserTests
{
    private static List<Dictionary<string, string?>> Cases(string file)
    {
        var yaml = new YamlStream();
        using (var reader = new StreamReader(SharedData.File("useragent/" + file))) yaml.Load(reader);
        var root = (YamlMappingNode)yaml.Documents[0].RootNode;
        return ((YamlSequenceNode)root.Children[new YamlScalarNode("test_cases")]).Children
            .Cast<YamlMappingNode>()
            .Select(m => m.Children.ToDictionary(kv => ((YamlScalarNode)kv.Key).Value!, kv => ((YamlScalarNode)kv.Value).Value is { Length: > 0 } v ? v : null))
            .ToList();
    }

    private static string Describe(Dictionary<string, string?> c, UserAgentPart p) =>
        $"{c["user_agent_string"]}\n  expected {c["family"]} {c.GetValueOrDefault("major")} {c.GetValueOrDefault("minor")} {c.GetValueOrDefault("patch")} {c.GetValueOrDefault("patch_minor")}" +
        $"\n  got      {p.Family} {p.Major} {p.Minor} {p.Patch} {p.PatchMinor}";

    private static bool Same(Dictionary<string, string?> c, UserAgentPart p) =>
        c["family"] == p.Family && c.GetValueOrDefault("major") == p.Major && c.GetValueOrDefault("minor") == p.Minor
        && c.GetValueOrDefault("patch") == p.Patch && (!c.ContainsKey("patch_minor") || c["patch_minor"] == p.PatchMinor);

    [Fact]
    public void Every_case_of_uap_core_test_ua_yaml_parses_to_the_expected_client()
    {
        var cases = Cases("test_ua.yaml");
        Assert.Equal(1601, cases.Count);
        var failures = cases.Select(c => (c, p: UserAgentParser.Default.ParseClient(c["user_agent_string"]!)))
            .Where(x => !Same(x.c, x.p)).Select(x => Describe(x.c, x.p)).ToList();
        Assert.True(failures.Count == 0, $"{failures.Count} of {cases.Count} failed:\n" + string.Join("\n", failures.Take(20)));
    }

    [Fact]
    public void Every_case_of_uap_core_test_os_yaml_parses_to_the_expected_operating_system()
    {
        var cases = Cases("test_os.yaml");
        Assert.True(cases.Count > 400);
        var failures = cases.Select(c => (c, p: UserAgentParser.Default.ParseOs(c["user_agent_string"]!)))
            .Where(x => !Same(x.c, x.p)).Select(x => Describe(x.c, x.p)).ToList();
        Assert.True(failures.Count == 0, $"{failures.Count} of {cases.Count} failed:\n" + string.Join("\n", failures.Take(20)));
    }

    [Theory]
    [InlineData("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36", "Chrome", "131.0.0.0", "Windows", "10", "Other")]
    [InlineData("Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1", "Mobile Safari", "18.1", "iOS", "18.1", "iPhone")]
    [InlineData("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36", "Chrome Mobile", "131.0.0.0", "Android", "14", "Pixel 8")]
    [InlineData("python-requests/2.32.3", "Python Requests", "2.32", "Other", null, "Other")]
    [InlineData("curl/8.5.0", "curl", "8.5.0", "Other", null, "Other")]
    public void Common_login_clients_parse_to_browser_os_and_device(string ua, string family, string? version, string os, string? osVersion, string device)
    {
        var info = UserAgentParser.Default.Parse(ua);
        Assert.Equal(family, info.Client.Family);
        Assert.Equal(version, info.Client.Version);
        Assert.Equal(os, info.Os.Family);
        Assert.Equal(osVersion, info.Os.Version);
        Assert.Equal(device, info.Device.Family);
    }

    [Fact]
    public void The_uap_core_licence_ships_with_the_embedded_regexes()
    {
        Assert.Contains("Apache License", UserAgentParser.License());
    }

    [Fact]
    public void A_regexes_file_with_a_replacement_referring_to_groups_fills_them_in()
    {
        const string yaml = """
            user_agent_parsers:
              - regex: '(Foo)Bar/(\d+)'
                family_replacement: '$1 Browser'
                v1_replacement: 'v$2'
            os_parsers:
              - regex: 'Plan(\d)'
                os_replacement: 'Plan $1'
            device_parsers:
              - regex: '(?i)gadget ([a-z]+)'
                device_replacement: 'Gadget $1'
                brand_replacement: 'Acme'
            """;
        var parser = UserAgentParser.Load(new StringReader(yaml));
        var info = parser.Parse("FooBar/7 Plan9 GADGET zed");
        Assert.Equal(new UserAgentPart("Foo Browser", "v7", null, null, null), info.Client);
        Assert.Equal("Plan 9", info.Os.Family);
        Assert.Equal(new UserAgentDevice("Gadget zed", "Acme", "zed"), info.Device);
        Assert.Equal("Other", parser.Parse("nothing").Client.Family);
    }

    [Fact]
    public void A_regexes_file_that_is_not_in_the_uap_core_format_is_refused_with_its_line()
    {
        var ex = Assert.Throws<FormatException>(() => UserAgentParser.Load(new StringReader("user_agent_parsers:\n  - regex: '(unclosed'\nos_parsers: []\ndevice_parsers: []\n")));
        Assert.Contains("line 2", ex.Message);
        Assert.Throws<FormatException>(() => UserAgentParser.Load(new StringReader("- just a list")));
    }
}
