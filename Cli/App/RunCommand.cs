using System.CommandLine;
using Inspections.Hosting;
using Inspections.Monitoring;
using Inspections.Pipeline;

namespace Inspections.App;

/// <summary>
/// <c>inspections run --date D [--until STAGE]</c>: the weekly cron job. Ingest through monitor with the
/// newest selected model, training only when no model exists yet; or up to a stage.
/// </summary>
internal static class RunCommand
{
    public static Command Create(CliContext cli)
    {
        var until = new Option<string?>("--until") { Description = $"Stop after this stage: {string.Join(", ", Dag.Stages)}; default: monitor" };
        until.AcceptOnlyFromAmong([.. Dag.Stages]);
        var failOnDrift = MonitorCommand.FailOnDriftOption();
        return PipelineVerb.Create(cli, "run",
            "The weekly job: ingest, clean, features, predict with the newest selected model (training only when none exists), store-api, monitor",
            request => Dag.For(request.ParseResult.GetValue(until) ?? "monitor", request.Date, request.Source),
            afterRun: (request, _, ct) => (request.ParseResult.GetValue(until) ?? "monitor") == "monitor"
                ? MonitorCommand.DriftExitCodeAsync(cli, request, request.ParseResult.GetValue(failOnDrift), ct)
                : Task.FromResult(ExitCodes.Success),
            until, failOnDrift);
    }
}
