using System.Net.Http.Headers;
using Gumshoe.Engine.Inputs.Saas;

namespace Gumshoe.Engine.Tests.Inputs.Saas;

public sealed class AwsSigV4SignerTests
{
    [Fact]
    public void The_signature_matches_the_documented_example()
    {
        // the IAM ListUsers example of the AWS Signature Version 4 documentation
        var signer = new AwsSigV4Signer("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "us-east-1", "iam");
        using var request = new HttpRequestMessage(HttpMethod.Get, "https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-08")
        {
            Content = new ByteArrayContent([]),
        };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse("application/x-www-form-urlencoded; charset=utf-8");

        signer.Sign(request, [], DateTimeOffset.Parse("2015-08-30T12:36:00Z"));

        Assert.Equal("20150830T123600Z", request.Headers.GetValues("X-Amz-Date").Single());
        Assert.Equal(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, SignedHeaders=content-type;host;x-amz-date, " +
            "Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7",
            request.Headers.GetValues("Authorization").Single());
    }
}
