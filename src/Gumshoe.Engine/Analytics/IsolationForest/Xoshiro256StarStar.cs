using System.Numerics;

namespace Gumshoe.Engine.Analytics;

/// <summary>
/// xoshiro256** (Blackman &amp; Vigna 2018): a small fast generator with a fixed, documented sequence, so seeded
/// results never change across .NET versions (unlike <see cref="Random"/>). A mutable struct: pass it by ref.
/// </summary>
public struct Xoshiro256StarStar
{
    private ulong _s0, _s1, _s2, _s3;

    /// <summary>Seeds the four state words from SplitMix64(<paramref name="seed"/>), as the authors recommend.</summary>
    public Xoshiro256StarStar(ulong seed)
    {
        var sm = new SplitMix64(seed);
        _s0 = sm.Next();
        _s1 = sm.Next();
        _s2 = sm.Next();
        _s3 = sm.Next();
    }

    /// <summary>The next 64 random bits.</summary>
    public ulong Next()
    {
        var result = BitOperations.RotateLeft(_s1 * 5, 7) * 9;
        var t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = BitOperations.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>A uniform double in [0, 1): the top 53 bits times 2^-53.</summary>
    public double NextDouble() => (Next() >> 11) * (1.0 / (1UL << 53));

    /// <summary>A uniform integer in [0, <paramref name="bound"/>) without modulo bias (Lemire's multiply-and-reject).</summary>
    public int NextInt(int bound)
    {
        if (bound <= 0) throw new ArgumentOutOfRangeException(nameof(bound), bound, "must be positive");
        var n = (ulong)bound;
        var high = Math.BigMul(Next(), n, out var low);
        if (low < n)
        {
            var floor = (0 - n) % n;
            while (low < floor) high = Math.BigMul(Next(), n, out low);
        }
        return (int)high;
    }
}
