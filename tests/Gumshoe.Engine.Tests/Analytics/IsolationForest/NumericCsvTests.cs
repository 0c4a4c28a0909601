using Gumshoe.Engine.Analytics;

namespace Gumshoe.Engine.Tests.Analytics;

public class NumericCsvTests
{
    [Fact]
    public void The_label_column_is_split_off_from_the_features()
    {
        var table = NumericCsv.Read(new StringReader("a,label,b\n1,0,2.5\n-3e2,1,4\n\n"), "label");
        Assert.Equal(["a", "b"], table.FeatureNames);
        Assert.Equal(2, table.Rows);
        Assert.Equal([1, 2.5, -300, 4], table.Values);
        Assert.Equal([false, true], table.Labels!);
        Assert.Equal([-300.0, 4], table.Row(1).ToArray());
    }

    [Fact]
    public void Without_a_label_every_column_is_a_feature()
    {
        var table = NumericCsv.Read(new StringReader("x,y\r\n1,2\r\n3,4\r\n"));
        Assert.Equal(2, table.Columns);
        Assert.Null(table.Labels);
    }

    [Fact]
    public void A_non_numeric_cell_is_an_error_naming_its_line_row_and_column()
    {
        var ex = Assert.Throws<FormatException>(() => NumericCsv.Read(new StringReader("x,y,label\n1,2,0\n3,abc,1\n"), "label"));
        Assert.Contains("line 3 (row 1)", ex.Message);
        Assert.Contains("column 'y'", ex.Message);
        Assert.Contains("'abc'", ex.Message);
    }

    [Fact]
    public void Ragged_rows_and_a_missing_label_column_are_errors()
    {
        Assert.Throws<FormatException>(() => NumericCsv.Read(new StringReader("x,y\n1,2\n3\n")));
        Assert.Throws<FormatException>(() => NumericCsv.Read(new StringReader("x,y\n1,2,3\n")));
        Assert.Throws<FormatException>(() => NumericCsv.Read(new StringReader("x,y\n1,2\n"), "label"));
        Assert.Throws<FormatException>(() => NumericCsv.Read(new StringReader("x,y\n")));
    }
}
