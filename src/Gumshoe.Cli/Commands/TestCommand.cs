using System.CommandLine;
using Gumshoe.Engine.Rules.Testing;

namespace Gumshoe.Cli.Commands;

/// <summary><c>gumshoe test DIR</c>: runs rule test cases and shows a diff for each failure; exit 1 on any.</summary>
public static class TestCommand
{
    public static Command Create()
    {
        var dir = new Argument<string>("dir") { Description = "A folder of rule test cases (searched recursively for expected.jsonl)" };
        var show = new Option<bool>("--show") { Description = "Also print the alerts each case produced (to write expected.jsonl)" };
        var cmd = new Command("test", "Run rule test cases: input lines or events and the alerts they must give") { dir, show };
        cmd.SetAction(r =>
        {
            var root = r.GetValue(dir)!;
            IReadOnlyList<string> cases;
            try { cases = RuleTestRunner.FindCases(root); }
            catch (DirectoryNotFoundException ex) { Console.Error.WriteLine($"error: {ex.Message}"); return 2; }
            if (cases.Count == 0) { Console.Error.WriteLine($"error: no test cases (folders with expected.jsonl) under {root}"); return 2; }
            var failed = 0;
            foreach (var c in cases)
            {
                var result = RuleTestRunner.Run(c, Path.GetFullPath(root));
                Console.WriteLine($"{(result.Passed ? "PASS" : "FAIL")}  {result.Name}");
                if (result.Error is not null) Console.WriteLine($"      error: {result.Error}");
                foreach (var line in result.Diff) Console.WriteLine("      " + line);
                if (r.GetValue(show) && result.Error is null)
                    foreach (var a in RuleTestRunner.Alerts(c)) Console.WriteLine("      = " + a.ToJsonString());
                if (!result.Passed) failed++;
            }
            Console.WriteLine($"{cases.Count - failed} passed, {failed} failed");
            return failed == 0 ? 0 : 1;
        });
        return cmd;
    }
}
