using System.CommandLine;
using Inspections.Hosting;
using Inspections.Pipeline;

namespace Inspections.Features;

/// <summary>
/// <c>inspections features --date D</c>: ingest, clean, then features for one date (the same as
/// <c>run --until features</c>).
/// </summary>
internal static class FeaturesCommand
{
    public static Command Create(CliContext cli, Func<DateOnly, string, PipelineTask> features) =>
        PipelineVerb.Create(cli, "features",
            "Ingest, clean, then write the training snapshots up to --date and the cohort to score on --date",
            request => features(request.Date, request.Source));
}
