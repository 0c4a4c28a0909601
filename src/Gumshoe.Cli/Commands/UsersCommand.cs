using System.CommandLine;
using Gumshoe.Engine.Storage;

namespace Gumshoe.Cli.Commands;

/// <summary><c>gumshoe users add|list|token</c>: local web users and their API tokens.</summary>
public static class UsersCommand
{
    public static Command Create()
    {
        var dataDir = DbCommand.DataDirOption();
        var name = new Argument<string>("name") { Description = "User name" };
        var role = new Option<string>("--role") { Description = "viewer, helpdesk or admin", Required = true };
        role.AcceptOnlyFromAmong("viewer", "helpdesk", "admin");
        var passwordFile = new Option<string?>("--password-file") { Description = "Read the password from this file (else one is generated and printed once)" };
        var add = new Command("add", "Add a web user") { name, role, passwordFile, dataDir };
        add.SetAction(async (r, ct) =>
        {
            await using var provider = DbCommand.OpenProvider(r, dataDir, out var code);
            if (provider is null) return code;
            var store = await DbCommand.OpenAsync(provider);
            if (store is null) return 1;
            string password;
            var generated = false;
            if (r.GetValue(passwordFile) is { } file)
            {
                try { password = File.ReadAllText(file).TrimEnd('\r', '\n'); }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    Console.Error.WriteLine($"error: cannot read password file {file}: {ex.Message}");
                    return 2;
                }
            }
            else { password = PasswordHash.Generate(); generated = true; }
            UserStore.TryParseRole(r.GetValue(role)!, out var userRole);
            var user = r.GetValue(name)!;
            try
            {
                if (!await store.Users.AddAsync(user, userRole, password, ct))
                {
                    Console.Error.WriteLine($"error: user '{user}' exists");
                    return 1;
                }
            }
            catch (ArgumentException ex)
            {
                Console.Error.WriteLine($"error: {ex.Message}");
                return 2;
            }
            await store.Audit.AppendAsync(DbCommand.Actor(null), "user_add", null, null, $"{user} ({UserStore.RoleName(userRole)})", ct);
            Console.Error.WriteLine($"added user {user} ({UserStore.RoleName(userRole)})");
            if (generated) Console.WriteLine($"password for {user} (shown once): {password}");
            return 0;
        });

        var list = new Command("list", "List web users and their tokens") { dataDir };
        list.SetAction(async (r, ct) =>
        {
            await using var provider = DbCommand.OpenProvider(r, dataDir, out var code);
            if (provider is null) return code;
            var store = await DbCommand.OpenAsync(provider);
            if (store is null) return 1;
            var tokens = (await store.Users.TokensAsync(ct: ct)).ToLookup(t => t.UserName);
            foreach (var u in await store.Users.ListAsync(ct))
                Console.WriteLine($"{u.Name}\t{UserStore.RoleName(u.Role)}\tcreated {Gumshoe.Engine.Events.EventTime.Format(u.Created)}\t{tokens[u.Name].Count()} token(s)");
            return 0;
        });

        var tokenUser = new Argument<string>("name") { Description = "User the token acts as" };
        var label = new Option<string?>("--label") { Description = "What the token is for" };
        var token = new Command("token", "Create an API token for a user (printed once; only its hash is stored)") { tokenUser, label, dataDir };
        token.SetAction(async (r, ct) =>
        {
            await using var provider = DbCommand.OpenProvider(r, dataDir, out var code);
            if (provider is null) return code;
            var store = await DbCommand.OpenAsync(provider);
            if (store is null) return 1;
            var user = r.GetValue(tokenUser)!;
            if (await store.Users.CreateTokenAsync(user, r.GetValue(label), ct) is not { } created)
            {
                Console.Error.WriteLine($"error: no user '{user}'");
                return 1;
            }
            await store.Audit.AppendAsync(DbCommand.Actor(null), "token_create", null, null, $"{user} token {created.Info.Id}", ct);
            Console.Error.WriteLine($"token {created.Info.Id} for {user} (shown once; use it as 'Authorization: Bearer TOKEN'):");
            Console.WriteLine(created.Token);
            return 0;
        });
        return new Command("users", "Web users and API tokens") { add, list, token };
    }
}
