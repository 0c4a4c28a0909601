using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Gumshoe.Engine.Storage;

/// <summary>
/// Password hashes as <c>pbkdf2-sha256$ITERATIONS$SALT$HASH</c> (base64): PBKDF2-HMAC-SHA256 with 600 000
/// iterations (OWASP 2023) and a 16-byte random salt, verified in constant time. The iteration count is stored,
/// so it can be raised later without breaking old hashes.
/// </summary>
public static class PasswordHash
{
    public const int DefaultIterations = 600_000;
    private const string Scheme = "pbkdf2-sha256";

    public static string Hash(string password, int iterations = DefaultIterations)
    {
        var salt = RandomNumberGenerator.GetBytes(16);
        var hash = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, iterations, HashAlgorithmName.SHA256, 32);
        return $"{Scheme}${iterations.ToString(CultureInfo.InvariantCulture)}${Convert.ToBase64String(salt)}${Convert.ToBase64String(hash)}";
    }

    /// <summary>Whether the password matches; a malformed stored hash never matches.</summary>
    public static bool Verify(string password, string stored)
    {
        var parts = stored.Split('$');
        if (parts.Length != 4 || parts[0] != Scheme
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var iterations) || iterations < 1) return false;
        byte[] salt, expected;
        try { salt = Convert.FromBase64String(parts[2]); expected = Convert.FromBase64String(parts[3]); }
        catch (FormatException) { return false; }
        var actual = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, iterations, HashAlgorithmName.SHA256, expected.Length);
        return CryptographicOperations.FixedTimeEquals(actual, expected);
    }

    /// <summary>A random password of 24 URL-safe characters (144 bits).</summary>
    public static string Generate() => Base64Url(RandomNumberGenerator.GetBytes(18));

    internal static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
