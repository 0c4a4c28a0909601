using Gumshoe.Engine.Config;
using Gumshoe.Engine.Events;
using Gumshoe.Engine.Pipeline;

namespace Gumshoe.Engine.Analytics.Logins;

/// <summary>When a detector raises its own finding: on every hit, only when the login is flagged, or never (reasons only).</summary>
public enum FindingMode { Always, Flagged, Never }

/// <summary>Impossible travel: haversine distance over time between a user's consecutive located logins.</summary>
public sealed record TravelOptions
{
    public bool Enabled { get; init; } = true;
    /// <summary>Pairs closer than this (after subtracting both accuracy radii) never count.</summary>
    public double MinDistanceKm { get; init; } = 500;
    public double MaxSpeedKmh { get; init; } = 1000;
    /// <summary>Subtract both locations' accuracy radii from the distance.</summary>
    public bool UseAccuracyRadius { get; init; } = true;
    /// <summary>Networks (corporate or consumer VPNs, known egress points) whose logins never count as travel.</summary>
    public IReadOnlySet<long> AllowAsns { get; init; } = new HashSet<long>();
    /// <summary>Case-insensitive substrings of AS organisation names allowed likewise.</summary>
    public IReadOnlyList<string> AllowAsOrganizations { get; init; } = [];
    public FindingMode Findings { get; init; } = FindingMode.Always;
}

/// <summary>Settings of the isolation-forest detector: per-user models with an organisation-wide model behind them.</summary>
public sealed record ForestOptions
{
    public bool Enabled { get; init; } = true;
    /// <summary>Per-user model: trees, rows per tree, and the window of recent logins it is fitted on.</summary>
    public int Trees { get; init; } = 50;
    public int Subsample { get; init; } = 32;
    public int Window { get; init; } = 32;
    /// <summary>Refit a user's model after this many new logins, or when the model is older than <see cref="RefitInterval"/>.</summary>
    public int RefitEvery { get; init; } = 8;
    public TimeSpan RefitInterval { get; init; } = TimeSpan.FromDays(7);
    /// <summary>Logins a user needs before getting a model of their own; before that the organisation's model scores.</summary>
    public int MinRows { get; init; } = 24;
    /// <summary>Fitted per-user models kept in memory; the rest are refitted from their rows when needed.</summary>
    public int MaxModels { get; init; } = 4096;
    /// <summary>Organisation-wide model: trees, subsample, reservoir of rows, refit period in logins.</summary>
    public int OrgTrees { get; init; } = 100;
    public int OrgSubsample { get; init; } = 256;
    public int OrgReservoir { get; init; } = 4096;
    public int OrgRefitEvery { get; init; } = 2000;
    public FindingMode Findings { get; init; } = FindingMode.Flagged;
}

/// <summary>Settings of the <c>analytics: logins:</c> analyzer.</summary>
public sealed record LoginAnalyzerOptions
{
    /// <summary>Fields holding the canonical user, first present wins (the identity enricher writes <c>gumshoe.user</c>).</summary>
    public IReadOnlyList<string> UserFields { get; init; } = ["gumshoe.user", "user.email", "user.name"];
    /// <summary>Which events are login attempts; null means the built-in test (authentication start with an outcome).</summary>
    public Func<Event, bool>? Logins { get; init; }
    /// <summary>Logins a user needs before "first time from …" counts.</summary>
    public int Warmup { get; init; } = 5;
    /// <summary>Combined score at or above which a login is flagged.</summary>
    public double Threshold { get; init; } = 0.5;
    /// <summary>Master seed of every model fit.</summary>
    public ulong Seed { get; init; }
    /// <summary>Profile snapshot file, restored at start and written at the end; null keeps profiles in memory only.</summary>
    public string? StateFile { get; init; }
    public TravelOptions Travel { get; init; } = new();
    public bool NewCountry { get; init; } = true;
    public bool NewAsn { get; init; } = true;
    public bool NewDevice { get; init; } = true;
    public FindingMode NewCountryFindings { get; init; } = FindingMode.Flagged;
    public FindingMode NewAsnFindings { get; init; } = FindingMode.Flagged;
    public FindingMode NewDeviceFindings { get; init; } = FindingMode.Flagged;
    public ForestOptions Forest { get; init; } = new();
    /// <summary>Hand each <see cref="LoginScore"/> a copy of the evidence behind its combined score (for fitting the weights).</summary>
    public bool RecordEvidence { get; init; }

    /// <summary>Reads <c>analytics: logins:</c>.</summary>
    public static LoginAnalyzerOptions Read(ConfigNode node, ComponentContext context)
    {
        if (node.IsNull) return new LoginAnalyzerOptions();
        if (!node.IsMapping) throw node.Error("logins: expected a mapping of settings");
        var o = new LoginAnalyzerOptions();
        if (node.Get("user_fields") is { IsNull: false } uf)
        {
            var list = uf.AsStringList();
            if (list.Count == 0) throw uf.Error("user_fields: name at least one field");
            o = o with { UserFields = list };
        }
        if (node.Get("when") is { IsNull: false } when)
        {
            var compile = context.ConditionCompiler ?? throw when.Error("conditions are not available here");
            o = o with { Logins = compile(when) };
        }
        o = o with
        {
            Warmup = node.Int("warmup", 0, 1_000_000) ?? o.Warmup,
            Threshold = node.Get("threshold") is { IsNull: false } th ? Fraction(th) : o.Threshold,
            Seed = node.Get("seed") is { IsNull: false } seed ? (ulong)seed.AsInt(0) : 0,
            StateFile = node.Get("state_file") is { IsNull: false } sf ? sf.AsPath() : null,
        };
        if (node.Get("impossible_travel") is { } tn)
        {
            var t = new TravelOptions();
            if (!tn.IsNull)
            {
                var allow = new HashSet<long>();
                if (tn.Get("allow_asns") is { IsNull: false } an) foreach (var a in an.Items) allow.Add(a.AsInt(0));
                t = t with
                {
                    Enabled = tn.Bool("enabled") ?? true,
                    MinDistanceKm = tn.Get("min_distance_km") is { IsNull: false } md ? Positive(md) : t.MinDistanceKm,
                    MaxSpeedKmh = tn.Get("max_speed_kmh") is { IsNull: false } ms ? Positive(ms) : t.MaxSpeedKmh,
                    UseAccuracyRadius = tn.Bool("use_accuracy_radius") ?? true,
                    AllowAsns = allow,
                    AllowAsOrganizations = tn.StringList("allow_as_organizations") ?? [],
                    Findings = Mode(tn, FindingMode.Always),
                };
                tn.EnsureNoUnknownKeys("impossible_travel");
            }
            o = o with { Travel = t };
        }
        (var nc, var ncm) = Detector(node, "new_country");
        (var na, var nam) = Detector(node, "new_asn");
        (var nd, var ndm) = Detector(node, "new_device");
        o = o with { NewCountry = nc, NewCountryFindings = ncm, NewAsn = na, NewAsnFindings = nam, NewDevice = nd, NewDeviceFindings = ndm };
        if (node.Get("isolation_forest") is { IsNull: false } fn)
        {
            var f = new ForestOptions();
            f = f with
            {
                Enabled = fn.Bool("enabled") ?? true,
                Trees = fn.Int("trees", 1, 1000) ?? f.Trees,
                Subsample = fn.Int("subsample", 2, 4096) ?? f.Subsample,
                Window = fn.Int("window", 2, 1024) ?? f.Window,
                RefitEvery = fn.Int("refit_every", 1, 1_000_000) ?? f.RefitEvery,
                RefitInterval = fn.DurationAt("refit_interval") ?? f.RefitInterval,
                MinRows = fn.Int("min_rows", 2, 1024) ?? f.MinRows,
                MaxModels = fn.Int("max_models", 0, 10_000_000) ?? f.MaxModels,
                OrgTrees = fn.Int("org_trees", 1, 1000) ?? f.OrgTrees,
                OrgSubsample = fn.Int("org_subsample", 2, 4096) ?? f.OrgSubsample,
                OrgReservoir = fn.Int("org_reservoir", 16, 1_000_000) ?? f.OrgReservoir,
                OrgRefitEvery = fn.Int("org_refit_every", 1, 100_000_000) ?? f.OrgRefitEvery,
                Findings = Mode(fn, FindingMode.Flagged),
            };
            if (f.MinRows > f.Window) throw fn.Error($"min_rows ({f.MinRows}) cannot exceed window ({f.Window})");
            fn.EnsureNoUnknownKeys("isolation_forest");
            o = o with { Forest = f };
        }
        return o;
    }

    private static (bool, FindingMode) Detector(ConfigNode parent, string key)
    {
        if (parent.Get(key) is not { } n || n.IsNull) return (true, FindingMode.Flagged);
        var r = (n.Bool("enabled") ?? true, Mode(n, FindingMode.Flagged));
        n.EnsureNoUnknownKeys(key);
        return r;
    }

    private static FindingMode Mode(ConfigNode n, FindingMode fallback) => n.Get("findings") is { IsNull: false } m
        ? m.AsEnum("always", "flagged", "never") switch { "always" => FindingMode.Always, "flagged" => FindingMode.Flagged, _ => FindingMode.Never }
        : fallback;

    private static double Fraction(ConfigNode n)
    {
        var v = n.AsDouble();
        return v is >= 0 and <= 1 ? v : throw n.Error($"expected a number in 0..1, got {v}");
    }

    private static double Positive(ConfigNode n)
    {
        var v = n.AsDouble();
        return v > 0 ? v : throw n.Error($"expected a positive number, got {v}");
    }
}
