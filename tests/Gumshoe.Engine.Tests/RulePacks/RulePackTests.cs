using Gumshoe.Engine.Rules.Testing;

namespace Gumshoe.Engine.Tests.RulePacks;

/// <summary>Runs every test case of the rule packs in <c>rules/</c> (what <c>gumshoe test rules/</c> does).</summary>
public sealed class RulePackTests
{
    private static readonly Lazy<string> Root = new(() =>
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Gumshoe.sln")) && Directory.Exists(Path.Combine(dir.FullName, "rules")))
                return Path.Combine(dir.FullName, "rules");
        throw new DirectoryNotFoundException("the repository's rules/ folder was not found above the test binaries");
    });

    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (var c in RuleTestRunner.FindCases(Root.Value)) data.Add(Path.GetRelativePath(Root.Value, c));
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void ThePackCaseGivesExactlyTheExpectedAlerts(string testCase)
    {
        var result = RuleTestRunner.Run(Path.Combine(Root.Value, testCase), Root.Value);
        Assert.True(result.Passed, string.Join("\n", [result.Error ?? "", .. result.Diff]));
    }

    [Fact]
    public void EveryPackHasAtLeastOneCase()
    {
        var packs = Directory.GetDirectories(Root.Value).Select(Path.GetFileName).ToList();
        Assert.Equal(6, packs.Count);
        foreach (var pack in packs)
            Assert.NotEmpty(RuleTestRunner.FindCases(Path.Combine(Root.Value, pack!)));
    }

    [Fact]
    public void AWrongExpectationFailsWithADiff()
    {
        var dir = Directory.CreateTempSubdirectory("gumshoe-case-").FullName;
        try
        {
            foreach (var f in new[] { "input.log", "case.yml" })
                File.Copy(Path.Combine(Root.Value, "ssh-bruteforce/tests/bursts", f), Path.Combine(dir, f));
            File.Copy(Path.Combine(Root.Value, "ssh-bruteforce/pack.yml"), Path.Combine(dir, "config.yml"));
            File.WriteAllText(Path.Combine(dir, "expected.jsonl"), """{"rule":"ssh-bruteforce","group":{"source.ip":"10.0.0.7"},"count":5}""" + "\n");
            var result = RuleTestRunner.Run(dir);
            Assert.False(result.Passed);
            Assert.Equal(["- {\"rule\":\"ssh-bruteforce\",\"group\":{\"source.ip\":\"10.0.0.7\"},\"count\":5}",
                "+ {\"rule\":\"ssh-bruteforce\",\"group\":{\"source.ip\":\"173.234.31.186\"},\"count\":5}"], result.Diff);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
