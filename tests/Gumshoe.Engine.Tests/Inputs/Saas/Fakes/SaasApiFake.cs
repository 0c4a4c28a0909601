using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Gumshoe.Engine.Tests.Parsers;

namespace Gumshoe.Engine.Tests.Inputs.Saas.Fakes;

/// <summary>A fault the fake answers the next request of a source with.</summary>
internal enum Fault { RateLimited, ServerError, Timeout, MalformedJson, EmptyPageFirst, RepeatedPageToken, Forbidden, Unauthorized, SlackMissingScope }

/// <summary>One request the fake received.</summary>
internal sealed record FakeRequest(string Source, string Method, string PathAndQuery, string? Authorization, string Body, IReadOnlyDictionary<string, string> Headers);

/// <summary>
/// Every SaaS API of <c>shared/data/saas/manifest.json</c> on one 127.0.0.1 port: each request is matched to its
/// sample page by method, path and the manifest's query/body selectors, answered with the page's status, headers and
/// body (real hosts rewritten to this server), behind the providers' token endpoints and credential checks. Faults
/// queued per source replace the next answer.
/// </summary>
internal sealed class SaasApiFake : IAsyncDisposable
{
    public const string GoogleAccessToken = "ya29.fake-google-token";
    public const string GraphAccessToken = "eyJ.fake-graph-token";
    public const string StaticToken = "test-token";

    private readonly HttpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly JsonObject _sources;
    private readonly string _dir;
    private readonly ConcurrentDictionary<string, ConcurrentQueue<Fault>> _faults = new();
    private readonly RSA? _googleKey;

    /// <summary>How long a <see cref="Fault.Timeout"/> answer waits: longer than the client's timeout.</summary>
    public TimeSpan TimeoutFaultDelay { get; set; } = TimeSpan.FromSeconds(3);

    public SaasApiFake(RSA? googleKey = null, TimeSpan? pageDelay = null)
    {
        _googleKey = googleKey;
        PageDelay = pageDelay ?? TimeSpan.Zero;
        _dir = SharedData.File("saas");
        _sources = JsonNode.Parse(File.ReadAllText(Path.Combine(_dir, "manifest.json")))!["sources"]!.AsObject();
        // the Google applications the shared samples lack, from the project's own test data (same page structure)
        foreach (var app in GoogleApplications) _sources["google_reports_" + app] = GoogleSource(app);
        // a free port may be taken by a parallel test before the listener binds it: another one then
        for (var attempt = 0; ; attempt++)
        {
            BaseUrl = $"http://127.0.0.1:{Loopback.FreePort()}";
            _listener = new HttpListener();
            _listener.Prefixes.Add(BaseUrl + "/");
            try
            {
                _listener.Start();
                break;
            }
            catch (HttpListenerException) when (attempt < 10)
            {
                _listener.Close();
            }
        }
        _loop = Task.Run(AcceptLoop);
    }

    /// <summary>The Google Reports applications served from <c>Inputs/Saas/TestData/google</c> besides <c>login</c>.</summary>
    public static readonly string[] GoogleApplications = ["admin", "token", "drive"];

    /// <summary>Where the project's own sample pages are.</summary>
    public static string TestData => Path.Combine(SaasPollerTests.RepoRoot(), "tests", "Gumshoe.Engine.Tests", "Inputs", "Saas", "TestData");

    private static JsonObject GoogleSource(string app)
    {
        JsonObject Page(int n, string token) => new()
        {
            ["method"] = "GET",
            ["path"] = "/admin/reports/v1/activity/users/all/applications/" + app,
            ["match_query"] = new JsonObject { ["pageToken"] = token == "" ? null : token },
            ["status"] = 200,
            ["headers"] = new JsonObject { ["Content-Type"] = "application/json; charset=UTF-8" },
            ["body"] = Path.Combine(TestData, "google", $"activities_{app}_page{n}.json"),   // absolute: Path.Combine keeps it
        };
        return new JsonObject
        {
            ["rewrite_prefix"] = "https://admin.googleapis.com",
            ["pages"] = new JsonArray(Page(1, ""), Page(2, "*")),
        };
    }

    /// <summary><c>http://127.0.0.1:PORT</c>, without a trailing slash.</summary>
    public string BaseUrl { get; }

    /// <summary>How long each page answer is held back (so a kill can land mid-window).</summary>
    public TimeSpan PageDelay { get; set; }

    public ConcurrentQueue<FakeRequest> Requests { get; } = new();

    /// <summary>Queues faults for the next requests of a manifest source (<c>google_reports_login</c> …).</summary>
    public void Inject(string source, params Fault[] faults)
    {
        var q = _faults.GetOrAdd(source, _ => new ConcurrentQueue<Fault>());
        foreach (var f in faults) q.Enqueue(f);
    }

    /// <summary>The environment the example config reads, pointed at this fake.</summary>
    public Dictionary<string, string> Environment(string serviceAccountFile, string pollStart) => new()
    {
        ["GOOGLE_REPORTS_URL"] = BaseUrl,
        ["GOOGLE_TOKEN_URL"] = BaseUrl + "/token",
        ["GOOGLE_SERVICE_ACCOUNT_FILE"] = serviceAccountFile,
        ["GOOGLE_ADMIN_EMAIL"] = "admin@example.com",
        ["SLACK_AUDIT_URL"] = BaseUrl + "/audit/v1",
        ["SLACK_API_URL"] = BaseUrl + "/api",
        ["SLACK_TOKEN"] = StaticToken,
        ["OKTA_ORG_URL"] = BaseUrl,
        ["OKTA_API_TOKEN"] = StaticToken,
        ["GITHUB_API_URL"] = BaseUrl,
        ["GITHUB_ENTERPRISE"] = "example-corp",
        ["GITHUB_TOKEN"] = StaticToken,
        ["GRAPH_URL"] = BaseUrl + "/v1.0",
        ["ENTRA_LOGIN_URL"] = BaseUrl,
        ["ENTRA_TENANT_ID"] = "tenant-1",
        ["ENTRA_CLIENT_ID"] = "client-1",
        ["ENTRA_CLIENT_SECRET"] = "secret-1",
        ["AWS_ENDPOINT_URL_CLOUDTRAIL"] = BaseUrl,
        ["AWS_REGION"] = "us-east-1",
        ["AWS_ACCESS_KEY_ID"] = "AKIDEXAMPLE",
        ["AWS_SECRET_ACCESS_KEY"] = "secret",
        ["GUMSHOE_POLL_START"] = pollStart,
        ["GUMSHOE_POLL_INTERVAL"] = "0.2",
    };

    private async Task AcceptLoop()
    {
        while (!_stop.IsCancellationRequested)
        {
            HttpListenerContext ctx;
            try { ctx = await _listener.GetContextAsync(); }
            catch (Exception) { return; }
            _ = Task.Run(() => Handle(ctx));
        }
    }

    private int _inFlight;

    /// <summary>
    /// Waits until no request is being answered: a request a stopped poller left behind must not take a fault queued
    /// for the next run (under load its handler can run well after the client gave up).
    /// </summary>
    public async Task WaitIdleAsync()
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (Volatile.Read(ref _inFlight) > 0 && DateTime.UtcNow < deadline) await Task.Delay(20);
    }

    private async Task Handle(HttpListenerContext ctx)
    {
        Interlocked.Increment(ref _inFlight);
        try { await Respond(ctx); }
        finally { Interlocked.Decrement(ref _inFlight); }
    }

    private async Task Respond(HttpListenerContext ctx)
    {
        var req = ctx.Request;
        var res = ctx.Response;
        try
        {
            string body;
            using (var reader = new StreamReader(req.InputStream, Encoding.UTF8)) body = await reader.ReadToEndAsync();
            var path = req.Url!.AbsolutePath;
            var query = System.Web.HttpUtility.ParseQueryString(req.Url.Query);
            var auth = req.Headers["Authorization"];
            var headers = req.Headers.AllKeys.Where(k => k is not null).ToDictionary(k => k!, k => req.Headers[k]!, StringComparer.OrdinalIgnoreCase);

            if (req.HttpMethod == "POST" && path == "/token") { await GoogleToken(res, body); return; }
            if (req.HttpMethod == "POST" && path.EndsWith("/oauth2/v2.0/token", StringComparison.Ordinal)) { await GraphToken(res, body); return; }

            foreach (var (source, node) in _sources)
            {
                foreach (var page in node!["pages"]!.AsArray())
                {
                    if ((string)page!["method"]! != req.HttpMethod || (string)page["path"]! != path) continue;
                    if (!Matches(page, query, body)) continue;
                    Requests.Enqueue(new FakeRequest(source, req.HttpMethod, req.Url.PathAndQuery, auth, body, headers));
                    if (!Authorised(source, auth)) { await Json(res, 401, "{\"error\":\"invalid_auth\"}"); return; }
                    if (_faults.TryGetValue(source, out var q) && q.TryDequeue(out var fault)) { await Faulty(res, source, node.AsObject(), page.AsObject(), fault); return; }
                    if (PageDelay > TimeSpan.Zero) await Task.Delay(PageDelay);
                    var pages = node["pages"]!.AsArray();
                    var loop = ReferenceEquals(page, pages[^1]) && _loopArmed.TryRemove(source, out _);
                    await Serve(res, page.AsObject(), loop, source);
                    return;
                }
            }
            Requests.Enqueue(new FakeRequest("unmatched", req.HttpMethod, req.Url.PathAndQuery, auth, body, headers));
            await Json(res, 404, "{\"error\":\"no such page in the manifest\"}");
        }
        catch (Exception) { try { res.Abort(); } catch (ObjectDisposedException) { } }
    }

    // page selectors: null = parameter absent, "*" = present, else that value; tokens the fake invented map back
    private static bool Matches(JsonNode page, System.Collections.Specialized.NameValueCollection query, string body)
    {
        if (page["match_query"] is JsonObject mq)
        {
            foreach (var (k, v) in mq)
            {
                var actual = query[k];
                if (actual is not null && actual.StartsWith("fake-empty-", StringComparison.Ordinal)) actual = null;
                if (!Selects(v, actual)) return false;
            }
        }
        if (page["match_body"] is JsonObject mb)
        {
            var json = body.Length > 0 ? JsonNode.Parse(body) as JsonObject : null;
            foreach (var (k, v) in mb)
                if (!Selects(v, json?[k]?.ToString())) return false;
        }
        return true;
    }

    private static bool Selects(JsonNode? selector, string? actual) =>
        selector is null ? actual is null : (string)selector! == "*" ? actual is not null : actual == (string)selector!;

    private static bool Authorised(string source, string? auth) => source switch
    {
        _ when source.StartsWith("google_reports_", StringComparison.Ordinal) => auth == "Bearer " + GoogleAccessToken,
        "msgraph_signins" => auth == "Bearer " + GraphAccessToken,
        "okta_system_log" => auth == "SSWS " + StaticToken,
        "aws_cloudtrail_lookup_events" => auth is not null && auth.StartsWith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/", StringComparison.Ordinal) && auth.Contains("/us-east-1/cloudtrail/aws4_request", StringComparison.Ordinal),
        _ => auth == "Bearer " + StaticToken,
    };

    private async Task Serve(HttpListenerResponse res, JsonObject page, bool loop, string source)
    {
        var text = Rewrite(File.ReadAllText(Path.Combine(_dir, (string)page["body"]!)));
        var headers = Headers(page["headers"]);
        if (loop) (text, headers) = Loop(source, text, headers);
        await Answer(res, (int)page["status"]!, headers, text);
    }

    // a repeated page token: the last page points back at the first page's successor
    private (string, Dictionary<string, List<string>>) Loop(string source, string text, Dictionary<string, List<string>> headers)
    {
        var first = _sources[source]!["pages"]![0]!.AsObject();
        var firstBody = JsonNode.Parse(File.ReadAllText(Path.Combine(_dir, (string)first["body"]!)));
        var body = JsonNode.Parse(text)!;
        switch (source)
        {
            case var google when google.StartsWith("google_reports_", StringComparison.Ordinal): body["nextPageToken"] = (string)firstBody!["nextPageToken"]!; break;
            case "slack_audit_logs": body["response_metadata"]!["next_cursor"] = (string)firstBody!["response_metadata"]!["next_cursor"]!; break;
            case "github_enterprise_audit_log": headers["Link"] = Headers(first["headers"])["Link"]; break;
            default: throw new ArgumentException($"no repeated-token fault for {source}");
        }
        return (body.ToJsonString(), headers);
    }

    private async Task Faulty(HttpListenerResponse res, string source, JsonObject node, JsonObject page, Fault fault)
    {
        switch (fault)
        {
            case Fault.RateLimited when node["throttled_example"] is null:
                // the manifest has no throttled reply for Google: it answers 403 with a rate-limit reason, no Retry-After
                await Json(res, 403, "{\"error\":{\"code\":403,\"message\":\"Quota exceeded for quota metric 'Queries'\",\"errors\":[{\"domain\":\"usageLimits\",\"reason\":\"rateLimitExceeded\"}]}}");
                return;
            case Fault.RateLimited:
                var t = node["throttled_example"]!.AsObject();
                var h = Headers(t["headers"]);
                if (h.ContainsKey("Retry-After")) h["Retry-After"] = ["1"];   // the real values (3–60 s) would only slow the test
                await Answer(res, (int)t["status"]!, h, t["body"] is { } b ? b.ToJsonString() : "");
                return;
            case Fault.ServerError:
                await Json(res, 500, "{\"error\":\"backend unavailable\"}");
                return;
            case Fault.Timeout:
                await Task.Delay(TimeoutFaultDelay);
                await Serve(res, page, false, source);
                return;
            case Fault.MalformedJson:
                await Json(res, 200, "{\"items\": [{\"kind\": \"admin#reports#act");
                return;
            case Fault.Forbidden:
                await Json(res, 403, "{\"error\":{\"code\":403,\"message\":\"Not Authorized to access this resource/api\"}}");
                return;
            case Fault.Unauthorized:
                // every time: a refreshed token does not help either
                _faults.GetOrAdd(source, _ => new ConcurrentQueue<Fault>()).Enqueue(Fault.Unauthorized);
                await Json(res, 401, "{\"error\":\"invalid_token\"}");
                return;
            case Fault.SlackMissingScope:
                // Slack's Web API answers 200 with ok:false
                await Json(res, 200, "{\"ok\":false,\"error\":\"missing_scope\",\"needed\":\"admin\",\"provided\":\"users:read\"}");
                return;
            case Fault.EmptyPageFirst:
                var empty = source switch
                {
                    _ when source.StartsWith("google_reports_", StringComparison.Ordinal) => "{\"kind\":\"admin#reports#activities\",\"nextPageToken\":\"fake-empty-1\"}",
                    "slack_audit_logs" => "{\"entries\":[],\"response_metadata\":{\"next_cursor\":\"fake-empty-1\"}}",
                    _ => throw new ArgumentException($"no empty-page fault for {source}"),
                };
                await Json(res, 200, empty);
                return;
            case Fault.RepeatedPageToken:
                // the fault arms the loop on the last page: serve pages normally, but the last one points back
                _loopArmed[source] = true;
                await Serve(res, page, false, source);
                return;
        }
    }

    private readonly ConcurrentDictionary<string, bool> _loopArmed = new();

    private async Task GoogleToken(HttpListenerResponse res, string body)
    {
        var form = System.Web.HttpUtility.ParseQueryString(body);
        var assertion = form["assertion"] ?? "";
        var parts = assertion.Split('.');
        var ok = form["grant_type"] == "urn:ietf:params:oauth:grant-type:jwt-bearer" && parts.Length == 3;
        if (ok && _googleKey is not null)
        {
            ok = _googleKey.VerifyData(Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]), FromBase64Url(parts[2]), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            var claims = JsonNode.Parse(FromBase64Url(parts[1]))!;
            ok &= (string?)claims["sub"] == "admin@example.com" && ((string?)claims["scope"] ?? "").Contains("admin.reports.audit.readonly", StringComparison.Ordinal);
        }
        Requests.Enqueue(new FakeRequest("google_token", "POST", "/token", null, body, new Dictionary<string, string>()));
        if (!ok) { await Json(res, 400, "{\"error\":\"invalid_grant\",\"error_description\":\"Invalid JWT Signature.\"}"); return; }
        await Json(res, 200, $"{{\"access_token\":\"{GoogleAccessToken}\",\"expires_in\":3599,\"token_type\":\"Bearer\"}}");
    }

    private async Task GraphToken(HttpListenerResponse res, string body)
    {
        var form = System.Web.HttpUtility.ParseQueryString(body);
        Requests.Enqueue(new FakeRequest("graph_token", "POST", "token", null, body, new Dictionary<string, string>()));
        if (form["grant_type"] != "client_credentials" || form["client_id"] != "client-1" || form["client_secret"] != "secret-1")
        {
            await Json(res, 401, "{\"error\":\"invalid_client\",\"error_description\":\"AADSTS7000215: Invalid client secret provided.\"}");
            return;
        }
        await Json(res, 200, $"{{\"token_type\":\"Bearer\",\"expires_in\":3599,\"access_token\":\"{GraphAccessToken}\"}}");
    }

    private static byte[] FromBase64Url(string s)
    {
        s = s.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(s.PadRight(s.Length + (4 - s.Length % 4) % 4, '='));
    }

    private Dictionary<string, List<string>> Headers(JsonNode? node)
    {
        var result = new Dictionary<string, List<string>>(StringComparer.OrdinalIgnoreCase);
        if (node is not JsonObject o) return result;
        foreach (var (k, v) in o)
            result[k] = v is JsonArray arr ? arr.Select(x => Rewrite((string)x!)).ToList() : [Rewrite((string)v!)];
        return result;
    }

    private string Rewrite(string text)
    {
        foreach (var (_, node) in _sources) text = text.Replace((string)node!["rewrite_prefix"]!, BaseUrl, StringComparison.Ordinal);
        return text;
    }

    private static async Task Answer(HttpListenerResponse res, int status, Dictionary<string, List<string>> headers, string body)
    {
        res.StatusCode = status;
        foreach (var (k, values) in headers)
        {
            if (k.Equals("Content-Type", StringComparison.OrdinalIgnoreCase)) { res.ContentType = values[0]; continue; }
            foreach (var v in values) res.Headers.Add(k, v);
        }
        var bytes = Encoding.UTF8.GetBytes(body);
        res.ContentLength64 = bytes.Length;
        await res.OutputStream.WriteAsync(bytes);
        res.Close();
    }

    private static Task Json(HttpListenerResponse res, int status, string body) =>
        Answer(res, status, new Dictionary<string, List<string>> { ["Content-Type"] = ["application/json"] }, body);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        // the managed listener's Close removes its prefixes again, and looking up their endpoint after Stop binds the
        // port anew: should a parallel test have taken the port meanwhile, that throws — the port is released anyway
        try { _listener.Close(); }
        catch (HttpListenerException) { }
        try { await _loop; } catch (Exception) { }
        _stop.Dispose();
    }
}
