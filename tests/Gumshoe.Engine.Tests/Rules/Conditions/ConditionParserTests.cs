using Gumshoe.Engine.Rules.Conditions;

namespace Gumshoe.Engine.Tests.Rules.Conditions;

public class ConditionParserTests
{
    [Theory]
    [InlineData("", 1, "empty condition")]
    [InlineData("user.name ==", 13, "expected a value")]
    [InlineData("user.name == \"root", 14, "unterminated string")]
    [InlineData("user.name \"root\"", 11, "expected an operator")]
    [InlineData("user.name == \"a\" user.name == \"b\"", 18, "missing 'and'/'or'")]
    [InlineData("(user.name == \"a\"", 18, "expected ')'")]
    [InlineData("user.name == \"a\" & x == 1", 18, "must be doubled")]
    [InlineData("user.name # \"a\"", 11, "unexpected character '#'")]
    [InlineData("x in cidr(\"10.0.0.0/33\")", 11, "not a CIDR network")]
    [InlineData("x matches \"(unclosed\"", 11, "invalid regex")]
    [InlineData("x in ()", 6, "empty list")]
    [InlineData("x in (\"a\" \"b\")", 11, "expected ','")]
    [InlineData("x in \"a\"", 6, "after 'in'")]
    [InlineData("x > true", 5, "needs a number")]
    [InlineData("1 of sel_*", 1, "selections")]
    [InlineData("x == 1 and", 11, "expected a field test")]
    [InlineData("`unclosed == 1", 1, "unterminated `quoted field name`")]
    [InlineData("sel_* == 1", 1, "'*' is not allowed in a field name")]
    [InlineData("x == 12abc", 6, "not a number")]
    [InlineData("cased(x == \"a\"", 15, "closing cased")]
    public void Syntax_errors_report_the_column_of_the_problem(string expression, int column, string problem)
    {
        var ex = Assert.Throws<ConditionSyntaxException>(() => ConditionCompiler.Compile(expression));
        Assert.Equal(column, ex.Column);
        Assert.Contains(problem, ex.Message);
        Assert.StartsWith($"column {column}: ", ex.Message);
    }

    [Fact]
    public void Referenced_fields_reports_syntax_errors_too() =>
        Assert.Throws<ConditionSyntaxException>(() => ConditionCompiler.ReferencedFields("a == "));

    [Theory]
    [InlineData("EVENT.outcome == 'x'")]
    [InlineData("x == 1 AND y == 2 Or Not z exists")]
    [InlineData("x IN ('a') and y Contains 'b' and z STARTSWITH 'c' and w EndsWith 'd' and v MATCHES 'e'")]
    [InlineData("x in [1, 2.5, -3, 'four', true]")]
    [InlineData("x == -1.5e3")]
    [InlineData("(((x == 1)))")]
    [InlineData("x == 1 and (y == 2 or (z == 3 and not w == 4))")]
    public void Well_formed_expressions_compile(string expression) =>
        Assert.NotNull(ConditionCompiler.Compile(expression));

    [Fact]
    public void Field_names_keep_their_case()
    {
        // Field lookups are exact; only keywords and string values ignore case.
        Assert.Equal(["EVENT.outcome"], ConditionCompiler.ReferencedFields("EVENT.outcome == 'x'"));
    }
}
