using System.Data.Common;
using System.Security.Cryptography;
using System.Text;

namespace Gumshoe.Engine.Storage;

/// <summary>What a web user may do: look (viewer), release and extend decisions (helpdesk), everything (admin).</summary>
public enum UserRole { Viewer, Helpdesk, Admin }

/// <summary>A web user (never with its password hash).</summary>
public sealed record User(string Name, UserRole Role, DateTimeOffset Created);

/// <summary>An API token's public part: its id, owner and label; the secret itself is shown once and never stored.</summary>
public sealed record ApiToken(string Id, string UserName, string? Label, DateTimeOffset Created, DateTimeOffset? LastUsed);

/// <summary>
/// Local web users (PBKDF2 password hashes, see <see cref="PasswordHash"/>) and their API tokens (only a SHA-256
/// of each token is stored; tokens carry 256 random bits, so a fast hash is enough).
/// </summary>
public sealed class UserStore(Database db, TimeProvider clock)
{
    // verified against when the user does not exist, so a wrong name costs as long as a wrong password
    private static readonly Lazy<string> DummyHash = new(() => PasswordHash.Hash(PasswordHash.Generate()));

    public static string RoleName(UserRole r) => r.ToString().ToLowerInvariant();

    public static bool TryParseRole(string text, out UserRole role)
    {
        role = text.ToLowerInvariant() switch { "viewer" => UserRole.Viewer, "helpdesk" => UserRole.Helpdesk, "admin" => UserRole.Admin, _ => (UserRole)(-1) };
        return (int)role >= 0;
    }

    /// <summary>Adds a user; false when the name is taken.</summary>
    public Task<bool> AddAsync(string name, UserRole role, string password, CancellationToken ct = default)
    {
        ValidateName(name);
        ValidatePassword(password);
        var hash = PasswordHash.Hash(password);
        return db.WriteAsync(async tx => await tx.Command("""
            INSERT INTO users (name, role, password_hash, created_at, updated_at) VALUES (@n, @r, @h, @now, @now)
            ON CONFLICT (name) DO NOTHING
            """).With("@n", name).With("@r", RoleName(role)).With("@h", hash).With("@now", clock.GetUtcNow()).ExecAsync(ct) == 1, ct);
    }

    /// <summary>Sets a user's password; false when there is no such user.</summary>
    public Task<bool> SetPasswordAsync(string name, string password, CancellationToken ct = default)
    {
        ValidatePassword(password);
        var hash = PasswordHash.Hash(password);
        return db.WriteAsync(async tx => await tx.Command("UPDATE users SET password_hash = @h, updated_at = @now WHERE name = @n")
            .With("@h", hash).With("@now", clock.GetUtcNow()).With("@n", name).ExecAsync(ct) == 1, ct);
    }

    public Task<bool> SetRoleAsync(string name, UserRole role, CancellationToken ct = default) =>
        db.WriteAsync(async tx => await tx.Command("UPDATE users SET role = @r, updated_at = @now WHERE name = @n")
            .With("@r", RoleName(role)).With("@now", clock.GetUtcNow()).With("@n", name).ExecAsync(ct) == 1, ct);

    /// <summary>Removes a user and its tokens.</summary>
    public Task<bool> RemoveAsync(string name, CancellationToken ct = default) =>
        db.WriteAsync(async tx =>
        {
            await tx.Command("DELETE FROM api_tokens WHERE user_name = @n").With("@n", name).ExecAsync(ct);
            return await tx.Command("DELETE FROM users WHERE name = @n").With("@n", name).ExecAsync(ct) == 1;
        }, ct);

    public Task<User?> GetAsync(string name, CancellationToken ct = default) =>
        db.ReadAsync(async c => (await c.Command("SELECT name, role, created_at FROM users WHERE name = @n").With("@n", name).ListAsync(MapUser, ct)).FirstOrDefault(), ct);

    public Task<List<User>> ListAsync(CancellationToken ct = default) =>
        db.ReadAsync(c => c.Command("SELECT name, role, created_at FROM users ORDER BY name").ListAsync(MapUser, ct), ct);

    public Task<long> CountAsync(CancellationToken ct = default) =>
        db.ReadAsync(async c => Convert.ToInt64(await c.Command("SELECT COUNT(*) FROM users").ScalarAsync(ct), System.Globalization.CultureInfo.InvariantCulture), ct);

    /// <summary>The user when name and password match; null otherwise, taking as long for an unknown name.</summary>
    public async Task<User?> VerifyPasswordAsync(string name, string password, CancellationToken ct = default)
    {
        var row = await db.ReadAsync(async c => (await c.Command("SELECT name, role, created_at, password_hash FROM users WHERE name = @n").With("@n", name)
            .ListAsync(r => (User: MapUser(r), Hash: r.Str("password_hash")!), ct)).FirstOrDefault(), ct);
        var ok = PasswordHash.Verify(password, row.Hash ?? DummyHash.Value);
        return ok && row.User is not null ? row.User : null;
    }

    /// <summary>Creates an API token for a user; returns the token (shown once) and its public record, or null for an unknown user.</summary>
    public async Task<(string Token, ApiToken Info)?> CreateTokenAsync(string userName, string? label = null, CancellationToken ct = default)
    {
        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));
        var token = $"gst_{id}_{PasswordHash.Base64Url(RandomNumberGenerator.GetBytes(32))}";
        var now = clock.GetUtcNow();
        var ok = await db.WriteAsync(async tx =>
        {
            var exists = await tx.Command("SELECT COUNT(*) FROM users WHERE name = @n").With("@n", userName).ScalarAsync(ct);
            if (Convert.ToInt64(exists, System.Globalization.CultureInfo.InvariantCulture) == 0) return false;
            await tx.Command("INSERT INTO api_tokens (id, user_name, token_hash, label, created_at) VALUES (@id, @u, @h, @l, @now)")
                .With("@id", id).With("@u", userName).With("@h", TokenHash(token)).With("@l", label).With("@now", now).ExecAsync(ct);
            return true;
        }, ct);
        return ok ? (token, new ApiToken(id, userName, label, now, null)) : null;
    }

    /// <summary>The user a bearer token belongs to, or null; records when it was last used.</summary>
    public async Task<User?> VerifyTokenAsync(string token, CancellationToken ct = default)
    {
        var hash = TokenHash(token);
        var user = await db.ReadAsync(async c => (await c.Command("""
            SELECT u.name, u.role, u.created_at FROM api_tokens t JOIN users u ON u.name = t.user_name WHERE t.token_hash = @h
            """).With("@h", hash).ListAsync(MapUser, ct)).FirstOrDefault(), ct);
        if (user is not null)
            await db.WriteAsync(tx => tx.Command("UPDATE api_tokens SET last_used_at = @now WHERE token_hash = @h")
                .With("@now", clock.GetUtcNow()).With("@h", hash).ExecAsync(ct), ct);
        return user;
    }

    public Task<List<ApiToken>> TokensAsync(string? userName = null, CancellationToken ct = default) =>
        db.ReadAsync(c => c.Command("SELECT id, user_name, label, created_at, last_used_at FROM api_tokens WHERE (@u IS NULL OR user_name = @u) ORDER BY created_at, id")
            .With("@u", userName).ListAsync(r => new ApiToken(r.Str("id")!, r.Str("user_name")!, r.Str("label"), r.Time("created_at"), r.TimeOrNull("last_used_at")), ct), ct);

    public Task<bool> RevokeTokenAsync(string id, CancellationToken ct = default) =>
        db.WriteAsync(async tx => await tx.Command("DELETE FROM api_tokens WHERE id = @id").With("@id", id).ExecAsync(ct) == 1, ct);

    private static string TokenHash(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    private static User MapUser(DbDataReader r) =>
        new(r.Str("name")!, TryParseRole(r.Str("role")!, out var role) ? role : UserRole.Viewer, r.Time("created_at"));

    private static void ValidateName(string name)
    {
        if (name.Length is 0 or > 64 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' or '@'))
            throw new ArgumentException($"user name '{name}': use 1–64 letters, digits, '.', '-', '_' or '@'");
    }

    private static void ValidatePassword(string password)
    {
        if (password.Length < 12) throw new ArgumentException("a password needs at least 12 characters");
        if (password.Length > 1024) throw new ArgumentException("a password may have at most 1024 characters");
    }
}
