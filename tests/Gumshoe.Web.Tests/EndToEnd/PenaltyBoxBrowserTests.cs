using System.Net;
using System.Text.RegularExpressions;
using Gumshoe.Engine;
using Gumshoe.Engine.Actions;
using Gumshoe.Engine.Config;
using Gumshoe.Engine.Decisions;
using Gumshoe.Engine.Events;
using Gumshoe.Engine.Metrics;
using Gumshoe.Engine.Parsers.Packs;
using Gumshoe.Engine.Pipeline;
using Gumshoe.Engine.Rules;
using Gumshoe.Engine.Storage;
using Gumshoe.Web.Activity;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Gumshoe.Web.Tests.EndToEnd;

/// <summary>
/// The penalty-box loop in a real browser (Debian's Chromium driven by Playwright): the quickstart's brute-force
/// rule replays the sample auth log, the <c>decision</c> action puts the attackers in the penalty box, an admin
/// signs in, sees and releases one with a reason, finds the audit entry, and <c>/blocked</c> is checked as the
/// blocked address and as others. Screenshots of the main pages go to <c>docs/screenshots/</c>.
/// </summary>
public sealed class PenaltyBoxBrowserTests : IAsyncLifetime
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "gumshoe-e2e-" + Guid.NewGuid().ToString("N"));
    private StoreProvider _provider = null!;
    private GumshoeWebApp _app = null!;
    private string _password = null!;
    private IPlaywright _playwright = null!;
    private IBrowser _browser = null!;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_dir);
        var root = RepositoryRoot();
        var registry = BuiltInComponents.Create().AddSection("web", WebOptions.ReadSection);
        var quickstart = GumshoeConfig.Load(Path.Combine(root, "examples", "quickstart.yml"), registry);
        var metrics = new MetricsRegistry();
        var rules = RuleSet.Compile(quickstart, metrics);
        _provider = quickstart.Components.Storage;
        _provider.DataDirectory = _dir;
        var store = await _provider.GetAsync();
        _password = (await store.EnsureFirstAdminAsync(_dir))!;

        // `gumshoe replay -c examples/quickstart.yml examples/data/auth.log --run-actions`: the rule's own decision
        // action, through the action journal, with the alerts stored before their actions run
        var activity = new LiveActivity();
        var pipeline = new EventPipeline(rules, metrics, NullLogger.Instance);
        var recorder = new AlertRecorder(store.Alerts, activity, metrics, NullLogger.Instance);
        recorder.Attach(pipeline);
        await using (var actions = new ReplayActions(quickstart, rules, _dir, [recorder], metrics, NullLoggerFactory.Instance))
        {
            pipeline.AlertRaised += _ => actions.AfterAlert();
            new ReplayRunner(pipeline, "auth", quickstart.Inputs[0].Parser, TimeZoneInfo.Utc).Run([Path.Combine(root, "examples", "data", "auth.log")]);
            Assert.True(await actions.FinishAsync(TimeSpan.FromSeconds(30)));
        }

        var options = new WebOptions { Listen = new IPEndPoint(IPAddress.Loopback, 0), TrustedProxies = [new IPNetwork(IPAddress.Loopback, 32)], Contact = "Still stuck? Call the IT helpdesk on extension 4242." };
        _app = GumshoeWebApp.Create(options, new RunView(store, metrics, activity, RunView.RulesOf(quickstart.Rules)), _dir, NullLoggerFactory.Instance);
        await _app.StartAsync();

        var chromium = Environment.GetEnvironmentVariable("GUMSHOE_TEST_CHROMIUM");
        Assert.False(string.IsNullOrEmpty(chromium), "GUMSHOE_TEST_CHROMIUM is not set: run `source scripts/services/chromium.sh` first");
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = chromium,
            Args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null) await _browser.DisposeAsync();
        _playwright?.Dispose();
        if (_app is not null) { await _app.StopAsync(TimeSpan.FromSeconds(1)); await _app.DisposeAsync(); }
        await _provider.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public async Task The_helpdesk_releases_a_brute_forcer_with_a_reason_and_blocked_shows_each_visitor_only_their_own_block()
    {
        var shots = Path.Combine(RepositoryRoot(), "docs", "screenshots");
        Directory.CreateDirectory(shots);
        var baseUrl = _app.Address!.ToString().TrimEnd('/');
        await using var admin = await _browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = baseUrl, ViewportSize = new ViewportSize { Width = 1280, Height = 800 } });
        var page = await admin.NewPageAsync();

        await page.GotoAsync("/decisions");
        await Expect(page).ToHaveURLAsync(new Regex("/login"));
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(shots, "login.png") });
        await page.GetByLabel("User name").FillAsync("admin");
        await page.GetByLabel("Password").FillAsync(_password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Decisions", Exact = true })).ToBeVisibleAsync();

        // the brute forcers of the sample log are in the penalty box, put there by the rule
        var row = page.Locator("tr", new() { Has = page.GetByRole(AriaRole.Link, new() { Name = "203.0.113.45", Exact = true }) });
        await Expect(row).ToContainTextAsync("SSH brute force");
        await Expect(row).ToContainTextAsync("ssh-bruteforce");
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "198.51.100.23", Exact = true })).ToBeVisibleAsync();
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(shots, "decisions.png"), FullPage = true });

        // release with a reason
        await row.GetByPlaceholder("why (required)").FillAsync("Owner confirmed a misconfigured backup script; fixed");
        await row.GetByRole(AriaRole.Button, new() { Name = "Release" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("Decision released");
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "203.0.113.45", Exact = true })).ToHaveCountAsync(0);

        // the audit log says who released it and why
        await page.GetByRole(AriaRole.Link, new() { Name = "Audit log" }).ClickAsync();
        var entry = page.Locator("tr", new() { HasText = "Owner confirmed a misconfigured backup script" });
        await Expect(entry).ToContainTextAsync("web:admin");
        await Expect(entry).ToContainTextAsync("release");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(shots, "audit.png") });

        await page.GetByRole(AriaRole.Link, new() { Name = "Dashboard" }).ClickAsync();
        await Expect(page.Locator("#alerts-chart")).ToBeVisibleAsync();
        await page.WaitForFunctionAsync("() => window.Chart && Chart.getChart(document.getElementById('alerts-chart'))");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(shots, "dashboard.png"), FullPage = true });
        await page.GotoAsync("/alerts");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(shots, "alerts.png") });
        await page.GetByRole(AriaRole.Link, new() { NameRegex = new Regex("SSH brute force from 198\\.51\\.100\\.23") }).First.ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { NameRegex = new Regex("Contributing events") })).ToBeVisibleAsync();
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(shots, "alert.png"), FullPage = true });
        await page.GotoAsync("/entities/ip/198.51.100.23");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(shots, "entity.png"), FullPage = true });
        await page.GotoAsync("/rules");
        await Expect(page.Locator("tr", new() { HasText = "ssh-bruteforce" })).ToContainTextAsync("enabled");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(shots, "rules.png") });

        // /blocked as the still-blocked address: its own block, explained, with the self-release button
        await using var blocked = await Visitor(baseUrl, "198.51.100.23");
        var bp = await blocked.NewPageAsync();
        await bp.GotoAsync("/blocked");
        await Expect(bp.GetByRole(AriaRole.Heading, new() { NameRegex = new Regex("Blocked: your address 198\\.51\\.100\\.23") })).ToBeVisibleAsync();
        await Expect(bp.Locator(".explain")).ToContainTextAsync("failed SSH sign-ins from your address 198.51.100.23");
        await Expect(bp.Locator("main")).Not.ToContainTextAsync("203.0.113");
        await bp.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(shots, "blocked.png"), FullPage = true });
        await bp.GetByLabel("I have followed the steps above").CheckAsync();
        await bp.GetByRole(AriaRole.Button, new() { Name = "Restore my access" }).ClickAsync();
        await Expect(bp.GetByRole(AriaRole.Status)).ToContainTextAsync("Your access is restored");

        // the released address and an uninvolved one see nothing, and nobody else's data
        foreach (var address in new[] { "203.0.113.45", "192.0.2.99" })
        {
            await using var other = await Visitor(baseUrl, address);
            var op = await other.NewPageAsync();
            await op.GotoAsync("/blocked");
            await Expect(op.GetByRole(AriaRole.Heading, new() { Name = "Nothing is blocked for you" })).ToBeVisibleAsync();
            await Expect(op.Locator("main")).ToContainTextAsync(address);
            await Expect(op.Locator("main")).Not.ToContainTextAsync("198.51.100");
            await Expect(op.Locator("main")).Not.ToContainTextAsync("2001:db8");
        }
    }

    private Task<IBrowserContext> Visitor(string baseUrl, string address) =>
        _browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = baseUrl, ViewportSize = new ViewportSize { Width = 900, Height = 800 },
            ExtraHTTPHeaders = new Dictionary<string, string> { ["X-Forwarded-For"] = address },
        });

    private static string RepositoryRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "Gumshoe.sln"))) return d.FullName;
        throw new DirectoryNotFoundException("Gumshoe.sln not found above " + AppContext.BaseDirectory);
    }
}
