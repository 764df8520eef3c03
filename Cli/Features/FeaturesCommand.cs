using System.CommandLine;
using Inspections.Hosting;
using Inspections.Pipeline;

namespace Inspections.Features;

/// <summary>A hidden verb for operators and benchmarks: ingest, clean, then features for one date (<c>run --until features</c> is the public way).</summary>
internal static class FeaturesCommand
{
    public static Command Create(CliContext cli, Func<DateOnly, string, PipelineTask> features)
    {
        var command = PipelineVerb.Create(cli, "features",
            "Ingest, clean, then write the training snapshots up to --date and the cohort to score on --date",
            request => features(request.Date, request.Source));
        command.Hidden = true;
        return command;
    }
}
