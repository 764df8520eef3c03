using Inspections.Dashboard;
using Inspections.Database;
using Inspections.Pipeline;
using Inspections.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Inspections.Tests.Dashboard;

/// <summary>
/// The dashboard's own host factory on a free loopback port, over a database of its own (filled by
/// <see cref="DashboardSeed"/> unless <see cref="Seeded"/> is false), read through a read-only data source.
/// </summary>
public abstract class DashboardServer : IAsyncLifetime
{
    /// <summary>
    /// The weekly DAG's shape (ten instances in nine columns), so the page is checked at its real width.
    /// </summary>
    internal static readonly IReadOnlyList<DagNode> Dag = WeeklyDag();

    private static IReadOnlyList<DagNode> WeeklyDag()
    {
        static string Key(string task) => $"{task}(date=2024-01-21, source=socrata)";
        var ran = new DateTime(2024, 1, 22, 2, 40, 0, DateTimeKind.Utc);
        (string Task, DagState State, string[] Upstream)[] tasks =
        [
            ("ingest", DagState.Complete, []), ("clean", DagState.Complete, ["ingest"]),
            ("features", DagState.Complete, ["clean"]), ("evaluate", DagState.Complete, ["clean"]),
            ("train", DagState.Complete, ["features"]), ("select", DagState.Complete, ["train"]),
            ("bias", DagState.Complete, ["select"]), ("predict", DagState.Failed, ["features", "bias"]),
            ("store-api", DagState.NotRun, ["predict"]), ("monitor", DagState.NotRun, ["store-api", "evaluate"]),
        ];
        return
        [
            .. tasks.Select(t => new DagNode(Key(t.Task), t.Task, t.State, [.. t.Upstream.Select(Key)],
                t.State == DagState.Complete ? ran : null)),
        ];
    }

    private NpgsqlDataSource? _readOnly;
    private WebApplication? _app;

    protected abstract bool Seeded { get; }

    /// <summary>The API keys the dashboard accepts, name to SHA-256 (none: it asks for none).</summary>
    protected virtual Dictionary<string, string> Keys => new();

    public TestDatabase Database { get; } = new();

    public HttpClient Client { get; private set; } = null!;

    public string BaseUrl { get; private set; } = "";

    /// <summary>The dates the DAG delegate was asked for, in order.</summary>
    public List<DateOnly> DagRequests { get; } = [];

    public async Task InitializeAsync()
    {
        await Database.InitializeAsync();
        if (Seeded) await DashboardSeed.FillAsync(Database.DataSource);
        _readOnly = DatabaseConnector.Build(Database.ConnectionString, NullLoggerFactory.Instance, readOnly: true);
        _app = DashboardHost.Create("http://127.0.0.1:0", _readOnly, (date, _) =>
        {
            lock (DagRequests) DagRequests.Add(date);
            return Task.FromResult(Dag);
        }, new DashboardSettings
        {
            RecentRuns = 20, AllRuns = 500, BiasMinGroupSize = 30, Keys = Keys,
            Monitoring = new()
            {
                AucWarnMargin = 0.05, AucAlertMargin = 0.1, PrecisionWarnMargin = 0.05, PrecisionAlertMargin = 0.1,
            },
        }, NullLoggerFactory.Instance);
        await _app.StartAsync();
        BaseUrl = _app.Services.GetRequiredService<IServer>()
            .Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        Client = new HttpClient { BaseAddress = new Uri(BaseUrl) };
    }

    public async Task DisposeAsync()
    {
        Client.Dispose();
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
        if (_readOnly is not null) await _readOnly.DisposeAsync();
        await Database.DisposeAsync();
    }
}

public sealed class SeededDashboard : DashboardServer
{
    protected override bool Seeded => true;
}

public sealed class EmptyDashboard : DashboardServer
{
    protected override bool Seeded => false;
}
