using Gumshoe.Engine.Config;

namespace Gumshoe.Engine.Tests.Config;

public sealed class GumshoeConfigTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gumshoe-config-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string yaml)
    {
        var path = Path.Combine(_dir, "gumshoe.yml");
        File.WriteAllText(path, yaml);
        return path;
    }

    private static GumshoeConfig Load(string path, Dictionary<string, string>? env = null) =>
        GumshoeConfig.Load(path, BuiltInComponents.Create(), name => env?.GetValueOrDefault(name));

    [Fact]
    public void AValidConfigBuildsItsInputs()
    {
        var config = Load(Write("inputs:\n  - name: auth\n    type: file\n    paths: [/var/log/auth.log]\n    parser: sshd\n"));
        Assert.Equal("auth", Assert.Single(config.Inputs).Name);
    }

    [Fact]
    public void AnUnknownKeyIsAnErrorNamingFileLineAndColumn()
    {
        var path = Write("inputs:\n  - name: auth\n    type: file\n    paths: [/x]\n    parser: sshd\n    strat_at: end\n");
        var ex = Assert.Throws<ConfigException>(() => Load(path));
        Assert.Equal((path, 6L, 5L), (ex.File, ex.Line, ex.Column));
        Assert.Contains("unknown key 'strat_at'", ex.Message);
    }

    [Fact]
    public void AWrongTypeIsAnErrorAtTheValue()
    {
        var path = Write("inputs:\n  - name: auth\n    type: file\n    paths: [/x]\n    parser: sshd\n    max_line_bytes: lots\n");
        var ex = Assert.Throws<ConfigException>(() => Load(path));
        Assert.Equal((6L, 21L), (ex.Line, ex.Column));
        Assert.Contains("expected an integer", ex.Message);
    }

    [Fact]
    public void AnUnknownSectionIsAnError()
    {
        var ex = Assert.Throws<ConfigException>(() => Load(Write("inputz: []\n")));
        Assert.Equal(1L, ex.Line);
    }

    [Fact]
    public void BrokenYamlIsAnErrorWithItsPosition()
    {
        var ex = Assert.Throws<ConfigException>(() => Load(Write("inputs:\n  - name: [unclosed\n")));
        Assert.Contains("invalid YAML", ex.Message);
        Assert.True(ex.Line >= 2);
    }

    [Fact]
    public void EnvironmentVariablesAndSecretFilesAreSubstituted()
    {
        File.WriteAllText(Path.Combine(_dir, "secret"), "/from/file.log\n");
        var config = Load(Write("inputs:\n  - name: a\n    type: file\n    paths: ['${LOGS}', '${file:secret}', '${MISSING:-/default.log}']\n    parser: sshd\n"),
            new() { ["LOGS"] = "/from/env.log" });
        var input = Assert.IsType<Gumshoe.Engine.Inputs.FileTailInput>(Assert.Single(config.Inputs));
        Assert.Equal(["/from/env.log", "/from/file.log", "/default.log"], input.Options.Paths);
    }

    [Fact]
    public void AMissingEnvironmentVariableIsAnError()
    {
        var ex = Assert.Throws<ConfigException>(() => Load(Write("inputs:\n  - name: a\n    type: file\n    paths: ['${NOPE}']\n    parser: sshd\n")));
        Assert.Contains("'NOPE' is not set", ex.Message);
        Assert.Equal(4L, ex.Line);
    }

    [Fact]
    public void AMissingSecretFileIsAnError()
    {
        var ex = Assert.Throws<ConfigException>(() => Load(Write("inputs:\n  - name: a\n    type: file\n    paths: ['${file:/no/such/secret}']\n    parser: sshd\n")));
        Assert.Contains("cannot read secret file", ex.Message);
    }

    [Fact]
    public void AnUnknownParserIsAnError()
    {
        var ex = Assert.Throws<ConfigException>(() => Load(Write("inputs:\n  - name: a\n    type: file\n    paths: [/x]\n    parser: nope\n")));
        Assert.Contains("unknown parser 'nope'", ex.Message);
        Assert.Equal((5L, 13L), (ex.Line, ex.Column));
    }
}
