using System.CommandLine;
using Inspections.Hosting;

namespace Inspections.Ingest;

/// <summary>
/// A hidden verb that regenerates the shipped synthetic sample (<c>samples/synthetic-food-inspections.csv</c>).
/// </summary>
internal static class GenerateSampleCommand
{
    public static Command Create(CliContext cli)
    {
        var output = new Option<string>("--output") { Description = "The CSV file to write", Required = true };
        var establishments = new Option<int>("--establishments")
        {
            Description = "How many establishments (the shipped sample has 1,500; more makes a load test)",
            DefaultValueFactory = _ => SyntheticSample.ShippedEstablishments,
        };
        var command = new Command("generate-sample",
            "Write the synthetic sample, a portal-format CSV export, from its fixed seed")
        {
            output,
            establishments,
        };
        command.Hidden = true;
        command.SetAction((parseResult, ct) =>
        {
            var path = parseResult.GetValue(output)!;
            using (var writer =
                   new StreamWriter(path, append: false, new System.Text.UTF8Encoding(false)) { NewLine = "\n" })
                SyntheticSample.Write(writer, parseResult.GetValue(establishments));
            cli.Terminal.Out.WriteLine($"wrote {path}");
            return Task.FromResult(ExitCodes.Success);
        });
        return command;
    }
}
