using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Gumshoe.Engine.Config;
using Gumshoe.Engine.Inputs;
using Gumshoe.Engine.Parsers;

namespace Gumshoe.Engine.Tests.Inputs;

public class HttpJsonLinesInputTests
{
    private static HttpJsonLinesInput Create(int port, string path = "/", string? token = null, long maxBodyBytes = 10 << 20) =>
        new("http", new PassthroughParser(), new ParseContext(), new HttpJsonLinesOptions
        {
            Listen = new IPEndPoint(IPAddress.Loopback, port),
            Path = path,
            Token = token,
            MaxBodyBytes = maxBodyBytes,
        });

    private static StringContent NdJson(string body) => new(body, Encoding.UTF8, "application/x-ndjson");

    private static async Task<HttpInputUnderTest> StartAsync(HttpJsonLinesInput input, int capacity = 1000)
    {
        var running = new RunningInput(input, capacity);
        var url = await input.Listening.WaitAsync(RunningInput.Patience);
        return new HttpInputUnderTest(running, url);
    }

    /// <summary>A running input with a client; both stopped when the test ends.</summary>
    private sealed class HttpInputUnderTest(RunningInput running, Uri url) : IAsyncDisposable
    {
        public RunningInput Running { get; } = running;
        public Uri Url { get; } = url;
        public HttpClient Http { get; } = new() { Timeout = RunningInput.Patience };

        public async ValueTask DisposeAsync()
        {
            Http.Dispose();
            await Running.DisposeAsync();
        }
    }

    [Fact]
    public async Task Posted_json_lines_are_queued_and_answered_with_202()
    {
        await using var test = await StartAsync(Create(Loopback.FreePort(), path: "/ingest"));
        var (http, url) = (test.Http, test.Url);

        using var response = await http.PostAsync(new Uri(url, "/ingest"), NdJson("{\"a\":1}\n{\"b\":2}\n"));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal(2, (int)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["accepted"]!);
        var r1 = await test.Running.NextAsync();
        var r2 = await test.Running.NextAsync();
        Assert.Equal(["{\"a\":1}", "{\"b\":2}"], new[] { r1.Text, r2.Text });
        var source = Assert.IsType<NetworkSource>(r1.Source);
        Assert.Equal("http", source.Transport);
        Assert.StartsWith("127.0.0.1:", source.Peer);
        Assert.Equal((0L, 8L, 8L, 16L), (r1.Offset, r1.EndOffset, r2.Offset, r2.EndOffset));
    }

    [Fact]
    public async Task A_json_array_is_accepted()
    {
        await using var test = await StartAsync(Create(Loopback.FreePort()));
        var (http, url) = (test.Http, test.Url);
        using var response = await http.PostAsync(url, new StringContent("[{\"a\":1},{\"b\":2}]", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal(["{\"a\":1}", "{\"b\":2}"], await test.Running.NextTextsAsync(2));
    }

    [Fact]
    public async Task A_body_that_is_not_json_gets_400_naming_the_line_and_nothing_is_queued()
    {
        await using var test = await StartAsync(Create(Loopback.FreePort()));
        var (http, url) = (test.Http, test.Url);
        using var response = await http.PostAsync(url, NdJson("{\"a\":1}\n{\"b\":2}\nnot json\n"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = (string)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["error"]!;
        Assert.StartsWith("line 3:", error);
        Assert.False(test.Running.Records.TryRead(out _));
        Assert.Equal(1, test.Running.Counter("gumshoe_input_errors_total", "{input=\"http\",reason=\"invalid_json\"}"));
    }

    [Fact]
    public async Task Without_the_bearer_token_a_request_gets_401_and_with_it_202()
    {
        await using var test = await StartAsync(Create(Loopback.FreePort(), token: "s3cret"));
        var (http, url) = (test.Http, test.Url);

        using (var none = await http.PostAsync(url, NdJson("{\"a\":1}\n")))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
            Assert.Equal("Bearer", none.Headers.WwwAuthenticate.Single().Scheme);
        }
        using (var wrong = new HttpRequestMessage(HttpMethod.Post, url) { Content = NdJson("{\"a\":1}\n") })
        {
            wrong.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "guess");
            using var response = await http.SendAsync(wrong);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }
        using (var right = new HttpRequestMessage(HttpMethod.Post, url) { Content = NdJson("{\"ok\":1}\n") })
        {
            right.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "s3cret");
            using var response = await http.SendAsync(right);
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        }
        Assert.Equal("{\"ok\":1}", (await test.Running.NextAsync()).Text);
        Assert.False(test.Running.Records.TryRead(out _));
        Assert.Equal(2, test.Running.Counter("gumshoe_input_errors_total", "{input=\"http\",reason=\"unauthorized\"}"));
    }

    [Fact]
    public async Task A_body_over_the_limit_gets_413_whether_its_length_is_declared_or_not()
    {
        await using var test = await StartAsync(Create(Loopback.FreePort(), maxBodyBytes: 1024));
        var (http, url) = (test.Http, test.Url);
        var big = string.Concat(Enumerable.Repeat("{\"a\":\"0123456789012345678901234567890123456789\"}\n", 40));

        using (var declared = await http.PostAsync(url, NdJson(big)))
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, declared.StatusCode);

        var chunked = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(big)));
        chunked.Headers.ContentType = new MediaTypeHeaderValue("application/x-ndjson");
        using (var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = chunked })
        {
            request.Headers.TransferEncodingChunked = true;
            using var response = await http.SendAsync(request);
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        }
        Assert.False(test.Running.Records.TryRead(out _));

        using var fits = await http.PostAsync(url, NdJson("{\"small\":true}\n"));
        Assert.Equal(HttpStatusCode.Accepted, fits.StatusCode);
    }

    [Fact]
    public async Task Other_paths_methods_and_media_types_are_refused()
    {
        await using var test = await StartAsync(Create(Loopback.FreePort(), path: "/ingest/"));
        var (http, url) = (test.Http, test.Url);
        using (var get = await http.GetAsync(new Uri(url, "/ingest")))
            Assert.Equal(HttpStatusCode.MethodNotAllowed, get.StatusCode);
        using (var other = await http.PostAsync(new Uri(url, "/ingest/more"), NdJson("{}\n")))
            Assert.Equal(HttpStatusCode.NotFound, other.StatusCode);
        using (var xml = await http.PostAsync(new Uri(url, "/ingest"), new StringContent("<a/>", Encoding.UTF8, "application/xml")))
            Assert.Equal(HttpStatusCode.UnsupportedMediaType, xml.StatusCode);
    }

    [Fact]
    public async Task A_full_channel_holds_the_answer_back_until_a_record_is_taken_and_nothing_is_lost()
    {
        await using var test = await StartAsync(Create(Loopback.FreePort()), capacity: 1);
        var (http, url) = (test.Http, test.Url);

        var post = http.PostAsync(url, NdJson("{\"n\":1}\n{\"n\":2}\n"));
        await Task.Delay(300);
        Assert.False(post.IsCompleted, "the answer came while a record could not be queued");

        Assert.Equal("{\"n\":1}", (await test.Running.NextAsync()).Text);
        using var response = await post.WaitAsync(RunningInput.Patience);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal("{\"n\":2}", (await test.Running.NextAsync()).Text);
    }

    [Fact]
    public async Task Cancellation_stops_promptly_while_a_request_waits_and_frees_the_port()
    {
        var port = Loopback.FreePort();
        var test = await StartAsync(Create(port), capacity: 1);
        var (http, url) = (test.Http, test.Url);
        using var fill = await http.PostAsync(url, NdJson("{\"n\":1}\n"));
        var waiting = http.PostAsync(url, NdJson("{\"n\":2}\n"));
        await test.Running.UntilCounterAsync("gumshoe_input_lines_total", "{input=\"http\"}", 2); // its record waits for room

        var took = await test.Running.StopAsync();
        Assert.True(took < TimeSpan.FromSeconds(2), $"took {took}");
        try
        {
            using var response = await waiting.WaitAsync(RunningInput.Patience);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        }
        catch (HttpRequestException) { } // the connection closed before the answer
        await test.DisposeAsync();
        Assert.Equal(1, test.Running.Counter("gumshoe_input_dropped_total", "{input=\"http\",reason=\"shutdown\"}"));
        using var again = new System.Net.Sockets.TcpListener(IPAddress.Loopback, port);
        again.Start();
    }

    [Fact]
    public async Task A_request_taken_while_the_input_stops_is_answered_503_not_a_default_200()
    {
        await using var test = await StartAsync(Create(Loopback.FreePort()));
        var (http, url) = (test.Http, test.Url);
        var slowBody = new SlowContent();
        var slow = http.PostAsync(url, slowBody); // in flight while its body comes: the input must wait for it
        await test.Running.UntilCounterAsync("gumshoe_input_requests_total", "{input=\"http\"}", 1);

        var stopping = test.Running.StopAsync();
        using var late = await http.PostAsync(url, NdJson("{\"n\":2}\n")).WaitAsync(RunningInput.Patience);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, late.StatusCode);
        slowBody.Finish("{\"n\":1}\n");
        using var first = await slow.WaitAsync(RunningInput.Patience);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, first.StatusCode);
        await stopping;
        Assert.Equal(3, test.Running.Counter("gumshoe_input_dropped_total", "{input=\"http\",reason=\"shutdown\"}")); // 2 + 1 records
        Assert.False(test.Running.Records.TryRead(out _));
    }

    /// <summary>A body sent in two parts, the second when the test says.</summary>
    private sealed class SlowContent : HttpContent
    {
        private readonly TaskCompletionSource<string> _rest = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public SlowContent() => Headers.ContentType = new MediaTypeHeaderValue("application/x-ndjson");

        public void Finish(string rest) => _rest.SetResult(rest);

        protected override async Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context)
        {
            await stream.WriteAsync("{\"n\":0}\n"u8.ToArray());
            await stream.FlushAsync();
            await stream.WriteAsync(Encoding.UTF8.GetBytes(await _rest.Task));
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }

    [Fact]
    public void The_config_builds_the_input_with_a_token_from_the_environment()
    {
        var dir = Directory.CreateTempSubdirectory("gumshoe-http-");
        try
        {
            var config = Path.Combine(dir.FullName, "gumshoe.yml");
            File.WriteAllText(config, """
                parsers:
                  - name: raw
                    type: passthrough
                inputs:
                  - name: hook
                    type: http_jsonlines
                    listen: 127.0.0.1:8088
                    path: /events
                    token: ${HOOK_TOKEN}
                    max_body_bytes: 4096
                    parser: raw
                """);
            var registry = BuiltInComponents.Create().AddParser("passthrough", (_, _) => new PassthroughParser("raw"));
            var loaded = GumshoeConfig.Load(config, registry, name => name == "HOOK_TOKEN" ? "from-env" : null);
            var input = Assert.IsType<HttpJsonLinesInput>(Assert.Single(loaded.Inputs));
            Assert.Equal(("from-env", "/events", 4096L), (input.Options.Token, input.Options.Path, input.Options.MaxBodyBytes));
            Assert.Equal("http://127.0.0.1:8088/events/", input.Prefix);
            Assert.Equal("raw", input.Parser.Name);
        }
        finally { dir.Delete(recursive: true); }
    }
}
