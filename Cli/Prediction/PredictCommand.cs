using System.CommandLine;
using Inspections.Hosting;
using Inspections.Pipeline;

namespace Inspections.Prediction;

/// <summary><c>inspections predict --date D</c>.</summary>
internal static class PredictCommand
{
    public static Command Create(CliContext cli, Func<DateOnly, string, PipelineTask> predict) =>
        PipelineVerb.Create(cli, "predict",
            "Score every active establishment with the newest model selected at or before the date " +
            "(training first if there is none)",
            request => predict(request.Date, request.Source));
}
