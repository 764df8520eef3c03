using System.Net.Http.Headers;
using System.Text.Json;
using Inspections.Api;
using Inspections.Database;
using Inspections.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Inspections.Tests.Infrastructure;
using Npgsql;

namespace Inspections.Tests.Api;

/// <summary>
/// The API as serve-api builds it (<see cref="ApiHost.Create"/>), on real Kestrel at a free loopback port,
/// over a given data source, with its log lines captured.
/// </summary>
internal sealed class ApiServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ILoggerFactory _logs;
    private readonly StringWriter _log = new();

    private ApiServer(WebApplication app, ILoggerFactory logs, StringWriter log)
    {
        _app = app;
        _logs = logs;
        _log = log;
        Client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false })
        {
            BaseAddress = new Uri(app.Urls.Single()),
        };
    }

    public HttpClient Client { get; }

    public string Log { get { lock (_log) return _log.ToString(); } }

    /// <summary>
    /// Serves <paramref name="connectionString"/> through a data source built as serve-api builds its own (read-only,
    /// Api:DatabaseOptions).
    /// </summary>
    /// <param name="config">Configuration over appsettings.json, e.g. <c>Api:Keys:NAME</c>.</param>
    public static async Task<(ApiServer Server, NpgsqlDataSource DataSource)> StartAsync(
        string connectionString,
        Dictionary<string, string?>? config = null)
    {
        var dataSource = DatabaseConnector.Build(connectionString, NullLoggerFactory.Instance, readOnly: true,
            AppSettings.Load([]).Bind<ApiSettings>("Api").DatabaseOptions);
        return (await StartAsync(dataSource, config), dataSource);
    }

    /// <param name="settings">Settings over appsettings.json's (e.g. <c>Api:RefreshSeconds</c>).</param>
    public static async Task<ApiServer> StartAsync(
        NpgsqlDataSource dataSource,
        Dictionary<string, string?>? settings = null)
    {
        var log = new StringWriter();
        var logs = LoggerFactory.Create(b => b
            .SetMinimumLevel(LogLevel.Information)
            .AddFilter("Microsoft", LogLevel.Warning)
            .AddProvider(new TerminalLoggerProvider(log)));
        var app = ApiHost.Create(AppSettings.Load(settings ?? []), dataSource, logs, "http://127.0.0.1:0");
        await app.StartAsync();
        return new ApiServer(app, logs, log);
    }

    public async Task<(HttpResponseMessage Response, JsonElement Json)> GetJsonAsync(string path)
    {
        var response = await Client.GetAsync(path);
        var body = await response.Content.ReadAsStringAsync();
        var json = body.Length == 0 ? default : JsonDocument.Parse(body).RootElement.Clone();
        return (response, json);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        _logs.Dispose();
    }
}

internal static class ApiAssertions
{
    public static void ShouldBeProblem(
        this (HttpResponseMessage Response, JsonElement Json) result,
        int status,
        string? detailContains = null)
    {
        var (response, json) = result;
        ((int)response.StatusCode).ShouldBe(status);
        response.ContentType().MediaType.ShouldBe("application/problem+json");
        json.GetProperty("status").GetInt32().ShouldBe(status);
        json.GetProperty("title").GetString().ShouldNotBeNullOrEmpty();
        if (detailContains is not null) json.GetProperty("detail").GetString()!.ShouldContain(detailContains);
    }

    public static string[] PropertyNames(this JsonElement json) => [.. json.EnumerateObject().Select(p => p.Name)];

    /// <summary>
    /// The response's Content-Type, which it must have: <c>x?.MediaType.ShouldBe(...)</c> would pass a response without
    /// one.
    /// </summary>
    public static MediaTypeHeaderValue ContentType(this HttpResponseMessage response) =>
        response.Content.Headers.ContentType.ShouldNotBeNull(
            $"{(int)response.StatusCode} {response.RequestMessage?.RequestUri} has no Content-Type");
}

/// <summary>
/// A fixture: a database of its own holding <paramref name="seed"/>'s rows, and the API over it (with
/// <paramref name="config"/> over appsettings.json), started once for a test class.
/// </summary>
public abstract class SeededApiServer(string seed, Dictionary<string, string?>? config = null) : IAsyncLifetime
{
    private readonly TestDatabase _db = new();
    private NpgsqlDataSource _readOnly = null!;

    internal ApiServer Server { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await _db.InitializeAsync();
        await using (var command = _db.DataSource.CreateCommand(seed)) await command.ExecuteNonQueryAsync();
        (Server, _readOnly) = await ApiServer.StartAsync(_db.ConnectionString, config);
    }

    public async Task DisposeAsync()
    {
        await Server.DisposeAsync();
        await _readOnly.DisposeAsync();
        await _db.DisposeAsync();
    }
}
