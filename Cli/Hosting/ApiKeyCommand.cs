using System.CommandLine;
using System.Text.RegularExpressions;

namespace Inspections.Hosting;

/// <summary>
/// <c>inspections api-key new NAME</c>: a fresh key, printed once, with the configuration lines that make the servers
/// accept it (its hash, never the key); <c>inspections api-key list</c>: the names each server would accept.
/// </summary>
internal static partial class ApiKeyCommand
{
    public static Command Create(CliContext cli)
    {
        var name = new Argument<string>("NAME")
        {
            Description =
                "Who holds the key (letters, digits, '_'; e.g. alice, prometheus): the configuration's key name",
        };
        var create = new Command("new",
            "Print a new random API key once, and the configuration lines (its SHA-256) that make serve-api " +
            "and serve-dashboard accept it")
        {
            name,
        };
        create.SetAction(parseResult => New(cli.Terminal, parseResult.GetValue(name)!));

        var list = new Command("list",
            "The names of the keys serve-api (Api:Keys) and serve-dashboard (Dashboard:Keys) accept, " +
            "as configured here");
        list.SetAction(parseResult => List(cli.Terminal, cli.LoadSettings(parseResult)));

        return new Command("api-key", "API keys for serve-api and serve-dashboard (required off loopback)")
        {
            create,
            list,
        };
    }

    private static int New(Terminal terminal, string name)
    {
        // A name becomes an environment variable's last part (Api__Keys__NAME): keep it to what every shell and
        // systemd accept.
        if (!NamePattern().IsMatch(name))
            throw new UserException(ExitCodes.UsageError,
                $"'{name}' is not a key name: a letter, then letters, digits or '_' (at most 64)");
        var key = ApiKeys.NewKey();
        var hash = ApiKeys.Hash(key);
        var output = terminal.Unstamped?.Out ?? terminal.Out;
        output.WriteLine($"API key for {name} (shown only now: the servers keep its SHA-256, not the key):");
        output.WriteLine();
        output.WriteLine($"  {key}");
        output.WriteLine();
        output.WriteLine("Send it as 'Authorization: Bearer KEY' or 'X-Api-Key: KEY' " +
            "(in a browser, the dashboard's login prompt takes it as the password).");
        output.WriteLine("To accept it, add its hash to the server's configuration, " +
            "in the environment (e.g. the units' EnvironmentFile):");
        output.WriteLine();
        output.WriteLine($"  Api__Keys__{name}={hash}");
        output.WriteLine($"  Dashboard__Keys__{name}={hash}");
        output.WriteLine();
        output.WriteLine("or in appsettings.json:");
        output.WriteLine();
        output.WriteLine($"  \"Api\": {{ \"Keys\": {{ \"{name}\": \"{hash}\" }} }}");
        output.WriteLine($"  \"Dashboard\": {{ \"Keys\": {{ \"{name}\": \"{hash}\" }} }}");
        output.WriteLine();
        output.WriteLine("(the Api line for serve-api, the Dashboard line for serve-dashboard); restart the server. " +
            "To revoke it, remove the line.");
        return ExitCodes.Success;
    }

    private static int List(Terminal terminal, AppSettings settings)
    {
        foreach (var setting in new[] { "Api:Keys", "Dashboard:Keys" })
        {
            var configured = settings.Configuration.GetSection(setting).GetChildren()
                .ToDictionary(c => c.Key, c => c.Value ?? "");
            var keys = ApiKeys.From(configured, setting);
            terminal.Out.WriteLine(keys.Count == 0
                ? $"{setting}: none (the server listens on loopback only and asks for no key)"
                : $"{setting}: {string.Join(", ", keys.Names)}");
        }
        return ExitCodes.Success;
    }

    [GeneratedRegex("^[A-Za-z][A-Za-z0-9_]{0,63}$")]
    private static partial Regex NamePattern();
}
