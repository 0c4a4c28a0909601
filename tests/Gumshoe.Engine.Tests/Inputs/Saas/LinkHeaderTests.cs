using Gumshoe.Engine.Inputs.Saas;

namespace Gumshoe.Engine.Tests.Inputs.Saas;

public sealed class LinkHeaderTests
{
    [Fact]
    public void Links_in_one_comma_separated_header_are_told_apart_by_relation()
    {
        var links = LinkHeader.Parse("<https://example.okta.com/api/v1/logs?since=a,b>; rel=\"self\", <https://example.okta.com/api/v1/logs?after=1795163515002_1>; rel=\"next\"").ToList();

        Assert.Equal(2, links.Count);
        Assert.Equal("https://example.okta.com/api/v1/logs?since=a,b", links[0].Target);
        Assert.Equal(["next"], links[1].Relations);
    }

    [Fact]
    public void Several_link_headers_are_all_searched()
    {
        using var response = new HttpResponseMessage();
        response.Headers.TryAddWithoutValidation("Link", "<https://api.github.com/x?before=b>; rel=\"prev\"");
        response.Headers.TryAddWithoutValidation("Link", "<https://api.github.com/x?after=a>; rel=\"next\"");

        Assert.Equal(new Uri("https://api.github.com/x?after=a"), LinkHeader.Find(response.Headers, "next"));
        Assert.Null(LinkHeader.Find(response.Headers, "last"));
    }
}
