namespace Gumshoe.Engine.Analytics.Logins;

public sealed partial class LoginAnalyzer
{
    /// <summary>
    /// The combined score's inputs, in the order of <see cref="LoginScore.Evidence"/>: each a number the detectors
    /// computed from the profile before the login, weighed on a logit scale by <see cref="EvidenceWeights"/>.
    /// </summary>
    public static readonly string[] EvidenceNames =
    [
        "bias",
        "impossible_travel",       // the travel detector's score
        "country_surprise",        // new country × −ln P(new value) for this user's history
        "country_org_rarity",      // new country × how few users of the organisation have used it
        "asn_surprise",            // new network × −ln P(new value)
        "asn_org_rarity",          // new network × organisation-wide rarity
        "asn_org_unique",          // new network × (organisation-wide rarity)⁴: nobody else uses it (data centres)
        "asn_org_rarity_any",      // organisation-wide rarity of the network, new to the user or not
        "device_surprise",         // new device × −ln P(new value)
        "device_org_rarity",       // new device × organisation-wide rarity
        "city_surprise",           // new place (not within the accuracy radius of a known one) × −ln P(new value)
        "distance_from_usual",     // log distance beyond the login's accuracy radius from the nearest known place
        "hour_rarity",             // smoothed hour-of-week rarity, once the histogram has 30 logins
        "failures",                // decayed failed attempts in the last hour (log scale)
        "foreign_failures",        // ... of them from networks the user had not used
        "isolation_forest",        // the forest's score above 0.5
        "warmup",                  // 1 for a user's first login, falling to 0 at the warm-up
        "warmup_asn_org_rarity",   // while warming up, the organisation's view stands in for the user's
        "warmup_device_org_rarity",
        "warmup_country_org_rarity",
    ];

    private const int E = 20;

    // Organisation-wide rarity of a network a sixth of the users share (a large residential ISP), used when a login has no ASN.
    private const double TypicalAsnOrgRarity = 0.25;

    /// <summary>
    /// Weights of the evidence (logistic regression fitted by <c>Gumshoe.LoginBench fit --seed 1</c>, the tuning seed;
    /// the reported figures use the held-out seed 2).
    /// </summary>
    public static readonly double[] EvidenceWeights =
    [
        -11.511, 6.000, 3.000, 3.000, 7.188, 0.000, 0.000, 5.711, 15.584, 0.000, 0.000, 0.000, 0.756, 5.287, 0.000, 0.000, -8.064, 0.000, 0.000, 0.000,
    ];

    // −ln of the chance that the next login brings a value the user has not had, estimated from how many distinct
    // values their history holds (a Dirichlet-process estimate): a user with one network in 200 logins is surprised by
    // a second, one who hops between VPN exits is not. Scaled to about 0..1.
    private static double Surprise(int distinct, int logins) => Math.Min(1.5, Math.Log((logins + 2.0) / (distinct + 1.0)) / 5);
}
