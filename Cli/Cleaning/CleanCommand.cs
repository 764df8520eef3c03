using System.CommandLine;
using Inspections.Hosting;
using Inspections.Ingest;
using Inspections.Pipeline;

namespace Inspections.Cleaning;

/// <summary>A hidden verb for operators and benchmarks: ingest then clean for one date (<c>run --until clean</c> is the public way).</summary>
internal static class CleanCommand
{
    public static Command Create(CliContext cli)
    {
        var command = PipelineVerb.Create(cli, "clean",
            "Ingest, then type and normalise the inspections up to --date into clean.inspections, clean.violations and clean.establishments",
            request => Dag.Clean(request.Date, request.Source));
        command.Hidden = true;
        return command;
    }
}
