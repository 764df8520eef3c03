using System.CommandLine;
using Inspections.Hosting;
using Inspections.Monitoring;
using Inspections.Pipeline;

namespace Inspections.App;

/// <summary>
/// <c>inspections run --date D [--until STAGE]</c>: the weekly cron job. Ingest through monitor with the
/// newest selected model, training only when no model exists yet; or up to a stage. With <c>--from D1 --to D2</c>,
/// a backfill: every date of the schedule in order, stopping at the first that fails; running it again goes on
/// from there, since completed instances are skipped.
/// </summary>
internal static class RunCommand
{
    public static Command Create(CliContext cli)
    {
        var until = new Option<string?>("--until")
        {
            Description = $"Stop after this stage: {string.Join(", ", Dag.Stages)}; default: monitor",
        };
        until.AcceptOnlyFromAmong([.. Dag.Stages]);
        var failOnDrift = MonitorCommand.FailOnDriftOption();
        var from = PipelineVerb.DateOption("--from");
        from.Description = "A backfill: run every date from this one (yyyy-MM-dd) to --to, in order";
        var to = PipelineVerb.DateOption("--to");
        to.Description = "The last date of a backfill; default: --date (today)";
        var every = new Option<string>("--every")
        {
            Description = "The backfill's step: day, week or month",
            DefaultValueFactory = _ => "week",
        };
        every.AcceptOnlyFromAmong("day", "week", "month");
        var command = PipelineVerb.Create(cli, "run",
            "The weekly job: ingest, clean, features, predict with the newest selected model " +
            "(training only when none exists), store-api, monitor; " +
            "or a backfill of many dates (--from, --to, --every)",
            request => Dag.For(request.ParseResult.GetValue(until) ?? "monitor", request.Date, request.Source),
            afterRun: (request, _, ct) => (request.ParseResult.GetValue(until) ?? "monitor") == "monitor"
                ? MonitorCommand.DriftExitCodeAsync(cli, request, request.ParseResult.GetValue(failOnDrift), ct)
                : Task.FromResult(ExitCodes.Success),
            dates: (parseResult, date) => parseResult.GetValue(from) is { } first
                ? Schedule(first, parseResult.GetValue(to) ?? date, parseResult.GetValue(every)!)
                : [date],
            extraOptions: [until, failOnDrift, from, to, every]);
        command.Validators.Add(result =>
        {
            if (result.GetResult(to) is not null && result.GetResult(from) is null)
                result.AddError("--to needs --from (the first date of the backfill)");
        });
        return command;
    }

    /// <summary>
    /// From <paramref name="first"/> to <paramref name="last"/> by <paramref name="every"/>; a month step keeps the
    /// day (or the month's last).
    /// </summary>
    public static IReadOnlyList<DateOnly> Schedule(DateOnly first, DateOnly last, string every)
    {
        if (last < first)
            throw new UserException(
                ExitCodes.UsageError, $"--from {Dates.Text(first)} is after --to {Dates.Text(last)}");
        var dates = new List<DateOnly>();
        for (var i = 0; ; i++)
        {
            var date = every switch
            {
                "day" => first.AddDays(i),
                "week" => first.AddDays(7 * i),
                _ => first.AddMonths(i),
            };
            if (date > last) return dates;
            dates.Add(date);
        }
    }
}
