using Gumshoe.Engine.Config;
using Gumshoe.Engine.Events;
using Gumshoe.Engine.Rules.Conditions;
using static Gumshoe.Engine.Tests.Rules.Conditions.ConditionFixtures;

namespace Gumshoe.Engine.Tests.Rules.Conditions;

public class SigmaMatcherTests
{
    private static bool Eval(string yaml, Event? e = null) => ConditionCompiler.Compile(Yaml(yaml))(e ?? SshFailure());

    [Theory]
    [InlineData("'event.outcome == \"failure\" and user.name != \"root\"'", true)]
    [InlineData("\"user.name matches '^root'\"", false)]
    public void A_scalar_is_an_expression(string yaml, bool expected) => Assert.Equal(expected, Eval(yaml));

    [Theory]
    [InlineData("event.outcome: FAILURE", true)]
    [InlineData("event.outcome: success", false)]
    [InlineData("user.name|startswith: adm", true)]
    [InlineData("user.name|startswith: [root, ADM]", true)]
    [InlineData("user.name|endswith: MIN", true)]
    [InlineData("message|contains: invalid user", true)]
    [InlineData("message|contains|all: [failed, password, ssh2]", true)]
    [InlineData("message|contains|all: [failed, accepted]", false)]
    [InlineData("message|contains: [failed, accepted]", true)]
    [InlineData("url.path|endswith: [.php, .asp]", true)]
    [InlineData("url.path|endswith: [.jsp, .asp]", false)]
    [InlineData("message|re: 'user \\w+ from'", true)]
    [InlineData("message|regex: '^Accepted'", false)]
    [InlineData("message|re|m: '^failed'", true)]
    [InlineData("source.ip|cidr: 203.0.113.0/24", true)]
    [InlineData("source.ip|cidr: [10.0.0.0/8, '2001:db8::/32']", false)]
    [InlineData("source.ip|cidr: [10.0.0.0/8, 203.0.113.0/24]", true)]
    [InlineData("user.name|exists: true", true)]
    [InlineData("user.name|exists: false", false)]
    [InlineData("nothing|exists: false", true)]
    [InlineData("process.pid|gt: 5", true)]
    [InlineData("process.pid|lte: 3", false)]
    [InlineData("http.response.status_code|gte: 400", true)]
    [InlineData("http.response.status_code|lt: 400", false)]
    [InlineData("score|lt: 7.6", true)]
    [InlineData("'@timestamp|gte': '2024-05-01T00:00:00Z'", true)]
    [InlineData("user.name|cased: admin", false)]
    [InlineData("user.name|cased: Admin", true)]
    [InlineData("message|contains|cased: failed", false)]
    [InlineData("user.name|neq: root", true)]
    [InlineData("user.name|neq: [root, admin]", false)]
    [InlineData("event.action: [ssh_auth_failed, ssh_invalid_user]", true)]
    [InlineData("process.pid: [1, 812]", true)]
    [InlineData("tags: brute", true)]
    [InlineData("nothing: null", true)]
    [InlineData("user.name: null", false)]
    [InlineData("user.name|equals: admin", true)]
    public void Field_matchers_and_modifiers(string yaml, bool expected) => Assert.Equal(expected, Eval(yaml));

    [Theory]
    [InlineData("user.name: 'adm*'", true)]
    [InlineData("user.name: '*MIN'", true)]
    [InlineData("user.name: '*dmi*'", true)]
    [InlineData("user.name: 'a?min'", true)]
    [InlineData("user.name: 'a*n'", true)]
    [InlineData("user.name: 'b*'", false)]
    [InlineData("user.name: '*'", true)]
    [InlineData("nothing: '*'", false)]
    [InlineData("url.path|contains: 'wp-*.php'", true)]
    public void Values_use_sigma_wildcards(string yaml, bool expected) => Assert.Equal(expected, Eval(yaml));

    [Fact]
    public void Escaped_wildcards_match_literally()
    {
        var e = With(("q", "what?*"));
        Assert.True(Eval("q: 'what\\?\\*'", e));
        Assert.False(Eval("q: 'what\\?\\*'", With(("q", "whatX*"))));
        Assert.True(Eval("q: 'what?*'", With(("q", "whatXYZ"))));
    }

    [Fact]
    public void A_mapping_needs_every_matcher()
    {
        Assert.True(Eval("{ event.outcome: failure, user.name|startswith: adm, source.ip|cidr: [203.0.113.0/24] }"));
        Assert.False(Eval("{ event.outcome: failure, user.name|startswith: root }"));
    }

    [Fact]
    public void A_list_of_mappings_needs_any_of_them()
    {
        const string yaml = """
            - event.action: ssh_auth_failed
            - event.action: ssh_invalid_user
              user.name|exists: true
            """;
        Assert.True(Eval(yaml));
        Assert.False(Eval(yaml, With(("event.action", "ssh_invalid_user"))));
        Assert.True(Eval(yaml, With(("event.action", "ssh_auth_failed"))));
    }

    private const string Selections = """
        selections:
          sel_fail: { event.outcome: failure }
          sel_invalid:
            - event.action: ssh_invalid_user
            - message|contains: invalid user
          filter_internal:
            source.ip|cidr: [10.0.0.0/8, 192.168.0.0/16]
          _helper: { user.name: nobody }
        condition: CONDITION
        """;

    [Theory]
    [InlineData("sel_fail and not filter_internal", "203.0.113.7", true)]
    [InlineData("sel_fail and not filter_internal", "10.1.2.3", false)]
    [InlineData("1 of sel_* and not filter_internal", "203.0.113.7", true)]
    [InlineData("all of sel_*", "10.1.2.3", true)]
    [InlineData("all of sel_* and filter_internal", "10.1.2.3", true)]
    [InlineData("1 of them", "8.8.8.8", true)]
    [InlineData("all of them", "8.8.8.8", false)]   // filter_internal fails; _helper is excluded from "them"
    [InlineData("all of them", "10.1.2.3", true)]
    [InlineData("2 of them", "8.8.8.8", true)]
    [InlineData("3 of them", "8.8.8.8", false)]
    [InlineData("_helper or (sel_fail and user.name == 'admin')", "8.8.8.8", true)]
    public void Named_selections_combine_like_sigma(string condition, string ip, bool expected)
    {
        var e = SshFailure();
        e.Set(Ecs.SourceIp, ip);
        Assert.Equal(expected, Eval(Selections.Replace("CONDITION", condition), e));
    }

    [Fact]
    public void A_list_may_mix_expressions_and_matchers()
    {
        const string yaml = """
            - 'user.name == "root"'
            - { event.outcome: failure, source.port|gt: 1024 }
            """;
        Assert.True(Eval(yaml));
        Assert.False(Eval(yaml, With(("event.outcome", "failure"), ("source.port", FieldValue.Long(22)))));
    }

    [Fact]
    public void N_of_many_selections_counts_matches()
    {
        var yaml = "selections:\n" + string.Join("", Enumerable.Range(0, 16).Select(k => $"  sel_{k}: {{ f{k}: x }}\n"));
        var eightOf = ConditionCompiler.Compile(Yaml(yaml + "condition: 8 of sel_*"));
        var e = new Event();
        for (var k = 0; k < 7; k++) e.Set($"f{k * 2}", "X");
        Assert.False(eightOf(e));
        e.Set("f15", "x");
        Assert.True(eightOf(e));
    }

    [Fact]
    public void A_sigma_detection_block_works_as_is()
    {
        const string yaml = """
            selection:
              event.action: ssh_invalid_user
            filter:
              user.name: [root, admin]
            condition: selection and not filter
            """;
        Assert.False(Eval(yaml));
        var e = SshFailure();
        e.Set(Ecs.UserName, "oracle");
        Assert.True(Eval(yaml, e));
    }

    [Fact]
    public void Referenced_fields_cover_every_yaml_shape()
    {
        Assert.Equal(["event.outcome", "source.ip", "user.name"],
            ConditionCompiler.ReferencedFields(Yaml("{ event.outcome: failure, user.name|startswith: adm, source.ip|cidr: 10.0.0.0/8 }")).Order(StringComparer.Ordinal));
        Assert.Equal(new[] { "event.action", "message", "source.ip", "user.name", "event.outcome" }.Order(StringComparer.Ordinal),
            ConditionCompiler.ReferencedFields(Yaml(Selections.Replace("CONDITION", "1 of them or _helper"))).Order(StringComparer.Ordinal));
        Assert.Equal(["user.name"], ConditionCompiler.ReferencedFields(Yaml("\"user.name == 'x'\"")));
    }

    [Fact]
    public void A_syntax_error_in_an_expression_names_file_line_column_and_expression_column()
    {
        var node = Yaml("""
            rule:
              condition: 'user.name == "root" andd x == 1'
            """);
        var ex = Assert.Throws<ConfigException>(() => ConditionCompiler.Compile(node.Required("rule").Required("condition")));
        Assert.Equal(YamlFile, ex.File);
        Assert.Equal(2, ex.Line);
        Assert.Equal(14, ex.Column);
        Assert.Contains("condition column 21: unexpected 'andd'", ex.Message);
        Assert.StartsWith($"{YamlFile}:2:14: ", ex.Message);
    }

    [Theory]
    [InlineData("user.name|startswit: adm", 1, 1, "unknown modifier 'startswit'")]
    [InlineData("user.name|contains|startswith: adm", 1, 1, "use one of them")]
    [InlineData("a: 1\nsource.ip|cidr: [10.0.0.0/8, 300.0.0.0/8]", 2, 30, "not a CIDR network")]
    [InlineData("message|re: '(open'", 1, 13, "invalid regex")]
    [InlineData("n|gt: many", 1, 7, "needs a number")]
    [InlineData("x|exists: maybe", 1, 11, "expected true or false")]
    [InlineData("x: { y: 1 }", 1, 4, "must be single values")]
    [InlineData("x|contains: []", 1, 13, "empty list")]
    [InlineData("'|contains': x", 1, 1, "no field name")]
    [InlineData("x|m: a", 1, 1, "go with re")]
    [InlineData("selections: { sel: { a: 1 } }\ncondition: sel and other", 2, 12, "unknown selection 'other'")]
    [InlineData("selections: { sel: { a: 1 } }\ncondition: 1 of nope_*", 2, 12, "no selection matches 'nope_*'")]
    [InlineData("selections: { sel: { a: 1 } }\ncondition: sel\nextra: 1", 3, 1, "unknown key 'extra'")]
    [InlineData("selections: { sel: { a: 1 } }", 1, 1, "missing required key 'condition'")]
    [InlineData("selections: { bad-name: { a: 1 } }\ncondition: x", 1, 15, "selection name 'bad-name'")]
    [InlineData("selections: { sel: value }\ncondition: sel", 1, 20, "must be field matchers")]
    [InlineData("~", 1, 1, "empty condition")]
    [InlineData("[]", 1, 1, "empty list")]
    [InlineData("{}", 1, 1, "empty field-matcher mapping")]
    public void Yaml_errors_are_located_at_the_offending_node(string yaml, int line, int column, string problem)
    {
        var ex = Assert.Throws<ConfigException>(() => ConditionCompiler.Compile(Yaml(yaml)));
        Assert.Equal((line, column), ((int)ex.Line, (int)ex.Column));
        Assert.Contains(problem, ex.Message);
    }

    [Fact]
    public void Regex_timeouts_in_yaml_conditions_are_reported_through_options()
    {
        var timeouts = 0;
        var test = ConditionCompiler.Compile(Yaml("message|re: '^(?=(a+)+b)'"), new ConditionOptions { RegexTimedOut = _ => Interlocked.Increment(ref timeouts) });
        Assert.False(test(With(("message", new string('a', 40) + "!"))));
        Assert.Equal(1, timeouts);
    }
}
