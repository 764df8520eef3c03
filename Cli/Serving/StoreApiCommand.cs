using System.CommandLine;
using Inspections.Hosting;
using Inspections.Pipeline;

namespace Inspections.Serving;

/// <summary><c>inspections store-api --date D</c>.</summary>
internal static class StoreApiCommand
{
    public static Command Create(CliContext cli, Func<DateOnly, string, PipelineTask> storeApi) =>
        PipelineVerb.Create(cli, "store-api",
            "Write the day's predictions, with names, addresses and ranks, to the serving table the HTTP API reads",
            request => storeApi(request.Date, request.Source));
}
