using System.CommandLine;
using Inspections.Hosting;
using Inspections.Pipeline;

namespace Inspections.Ingest;

internal static class IngestCommand
{
    public static Command Create(CliContext cli, Func<DateOnly, string, PipelineTask> ingest) =>
        PipelineVerb.Create(cli, "ingest",
            "Load inspections dated up to --date from the portal (or a CSV export / saved SODA JSON file) " +
            "into raw.inspections; incremental",
            request => ingest(request.Date, request.Source));
}
