using System.CommandLine;
using Inspections.Hosting;
using Inspections.Pipeline;

namespace Inspections.Monitoring;

/// <summary><c>inspections evaluate --date D [--fail-on-drift]</c>.</summary>
internal static class EvaluateCommand
{
    public static Command Create(CliContext cli, Func<DateOnly, string, PipelineTask> evaluate)
    {
        var failOnDrift = MonitorCommand.FailOnDriftOption();
        return PipelineVerb.Create(cli, "evaluate",
            "Measure the realised performance of every earlier prediction date whose label window has closed " +
            "(AUC, precision at 5/10/20%, " +
            "lift, days earlier, calibration) against the model's validation figures, and store it",
            request => evaluate(request.Date, request.Source),
            afterRun: (request, _, ct) =>
                MonitorCommand.PerformanceExitCodeAsync(cli, request, request.ParseResult.GetValue(failOnDrift), ct),
            extraOptions: failOnDrift);
    }
}
