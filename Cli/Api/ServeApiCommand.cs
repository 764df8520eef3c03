using System.CommandLine;
using Inspections.Database;
using Inspections.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;

namespace Inspections.Api;

/// <summary>
/// <c>inspections serve-api [--urls URLS]</c>: the HTTP API over the serving table, until stopped (Ctrl+C, SIGTERM).
/// </summary>
internal static class ServeApiCommand
{
    public static Command Create(CliContext cli)
    {
        var urls = new Option<string?>("--urls")
        {
            Description = "Where to listen, ';'-separated (default: Api:Urls, http://127.0.0.1:5000: loopback, " +
                "reach it through SSH port forwarding)",
        };
        var command = new Command(
            "serve-api", "Serve the predictions over HTTP: JSON endpoints, OpenAPI document, Swagger UI") { urls };
        command.SetAction((parseResult, ct) =>
        {
            var settings = cli.LoadSettings(parseResult,
                parseResult.GetValue(urls) is { Length: > 0 } given ? [new("Api:Urls", given)] : null);
            return ServeAsync(cli, settings, parseResult, ct);
        });
        return command;
    }

    private static async Task<int> ServeAsync(
        CliContext cli,
        AppSettings settings,
        ParseResult parseResult,
        CancellationToken ct)
    {
        var api = settings.Bind<ApiSettings>("Api");
        try
        {
            _ = new NpgsqlConnectionStringBuilder(api.DatabaseOptions);
        }
        catch (ArgumentException e)
        {
            throw new UserException(
                ExitCodes.UsageError, $"Api:DatabaseOptions is not a list of Npgsql keywords: {e.Message}");
        }
        if (!(api.RefreshSeconds > 0))
            throw new UserException(
                ExitCodes.UsageError,
                $"Api:RefreshSeconds must be a number of seconds above 0, not {api.RefreshSeconds}");
        var urls = api.Urls;
        // Before the database: a bad --urls, or the network without keys, is the user's to fix whatever the database
        // says.
        ListenUrls.Check(urls, ApiKeys.From(api.Keys, ApiHost.KeySetting), ApiHost.KeySetting);
        // One access line per request: at 20,000+ requests/s a write system call each would cost more CPU than serving
        // a prediction from memory. Lines reach stderr within 200 ms, and all of them before the verb returns.
        using var errorLog = new BatchingWriter(cli.Terminal.Error, TimeSpan.FromMilliseconds(200));
        using var logs = cli.CreateLoggerFactory(parseResult, errorLog);
        WebHostDefaults.WarnIfRoot(logs, "serve-api");
        await using var dataSource =
            await DatabaseConnector.OpenAsync(settings, logs, ct, DatabaseRole.Api, api.DatabaseOptions);
        await using var app = ApiHost.Create(settings, dataSource, logs, urls);
        try
        {
            await app.StartAsync(ct);
        }
        catch (IOException e)
        {
            throw new UserException(ExitCodes.UsageError, $"cannot listen on {urls}: {e.Message}");
        }
        var keys = app.Services.GetRequiredService<ApiKeys>();
        cli.Terminal.Out.WriteLine(
            $"Serving the API on {string.Join(", ", app.Urls)} " +
            $"(Swagger UI at /swagger, metrics at {HttpMetrics.Path}; " +
            $"{(keys.Count == 0
                ? "no API keys: loopback only"
                : $"API keys required: {string.Join(", ", keys.Names)}")}); Ctrl+C stops.");
        await app.WaitForShutdownAsync(ct);
        return ExitCodes.Success;
    }
}
