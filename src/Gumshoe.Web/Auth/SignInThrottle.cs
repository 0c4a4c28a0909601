using System.Threading.RateLimiting;

namespace Gumshoe.Web.Auth;

/// <summary>
/// Limits sign-in attempts per user name (the per-address limit is the rate-limiting middleware's): slows down
/// password guessing against one account from many addresses.
/// </summary>
public sealed class SignInThrottle(int perUser, TimeSpan window) : IDisposable
{
    private readonly PartitionedRateLimiter<string> _limiter = PartitionedRateLimiter.Create<string, string>(name =>
        RateLimitPartition.GetFixedWindowLimiter(name, _ => new FixedWindowRateLimiterOptions { PermitLimit = perUser, Window = window, QueueLimit = 0 }));

    /// <summary>Takes one attempt for the name; false when its attempts are used up for now.</summary>
    public bool TryAttempt(string userName)
    {
        using var lease = _limiter.AttemptAcquire(userName.Trim().ToLowerInvariant());
        return lease.IsAcquired;
    }

    public void Dispose() => _limiter.Dispose();
}
