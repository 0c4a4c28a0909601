using System.Text;
using Gumshoe.Engine.Inputs;

namespace Gumshoe.Engine.Tests.Inputs;

public class JsonLinesBodyTests
{
    private static (bool Ok, List<string> Records, string? Error) Split(string body)
    {
        var records = new List<string>();
        var ok = JsonLinesBody.TrySplit(Encoding.UTF8.GetBytes(body), records, out var error);
        return (ok, records, error);
    }

    [Fact]
    public void Newline_delimited_objects_are_taken_line_by_line_skipping_blank_lines()
    {
        var (ok, records, _) = Split("{\"a\":1}\r\n\n  {\"b\":[1,2]}  \n");
        Assert.True(ok);
        Assert.Equal(["{\"a\":1}", "{\"b\":[1,2]}"], records);
    }

    [Fact]
    public void An_array_gives_one_record_per_object_written_compactly()
    {
        var (ok, records, _) = Split("[\n  {\"a\": 1},\n  {\"b\": {\"c\": \"d\"}}\n]");
        Assert.True(ok);
        Assert.Equal(["{\"a\":1}", "{\"b\":{\"c\":\"d\"}}"], records);
    }

    [Fact]
    public void A_pretty_printed_object_is_one_record()
    {
        var (ok, records, _) = Split("\uFEFF{\n  \"a\": 1,\n  \"b\": \"x\"\n}\n");
        Assert.True(ok);
        Assert.Equal(["{\"a\":1,\"b\":\"x\"}"], records);
    }

    [Theory]
    [InlineData("{\"a\":1}\n{\"b\":\n{\"c\":3}", "line 2: invalid JSON")]
    [InlineData("{\"a\":1}\nnot json\n", "line 2: invalid JSON")]
    [InlineData("{\"a\":1}\n42\n", "line 2: expected a JSON object")]
    [InlineData("{\"a\":1} {\"b\":2}\n", "line 1:")]
    [InlineData("[{\"a\":1},\n{\"b\":}]", "line 2: invalid JSON")]
    [InlineData("[{\"a\":1}, 2]", "element 2 of the array: expected a JSON object")]
    public void A_body_that_is_not_json_objects_is_refused_naming_the_line(string body, string error)
    {
        var (ok, records, message) = Split(body);
        Assert.False(ok);
        Assert.Empty(records);
        Assert.StartsWith(error, message);
    }

    [Fact]
    public void An_empty_body_holds_no_records()
    {
        var (ok, records, _) = Split(" \n ");
        Assert.True(ok);
        Assert.Empty(records);
    }
}
