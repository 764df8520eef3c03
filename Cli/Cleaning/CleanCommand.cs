using System.CommandLine;
using Inspections.Hosting;
using Inspections.Pipeline;

namespace Inspections.Cleaning;

/// <summary>
/// <c>inspections clean --date D</c>: ingest then clean for one date (the same as <c>run --until clean</c>).
/// </summary>
internal static class CleanCommand
{
    public static Command Create(CliContext cli, Func<DateOnly, string, PipelineTask> clean) =>
        PipelineVerb.Create(cli, "clean",
            "Ingest, then type and normalise the inspections up to --date into clean.inspections and clean.violations",
            request => clean(request.Date, request.Source));
}
