using System.CommandLine;
using Inspections.Hosting;
using Inspections.Pipeline;

namespace Inspections.Cleaning;

/// <summary>A hidden verb for operators and benchmarks: ingest then clean for one date (<c>run --until clean</c> is the public way).</summary>
internal static class CleanCommand
{
    public static Command Create(CliContext cli, Func<DateOnly, string, PipelineTask> clean)
    {
        var command = PipelineVerb.Create(cli, "clean",
            "Ingest, then type and normalise the inspections up to --date into clean.inspections and clean.violations",
            request => clean(request.Date, request.Source));
        command.Hidden = true;
        return command;
    }
}
