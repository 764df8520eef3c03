using Inspections.App;
using Inspections.Hosting;

return await CliApp.InvokeAsync(args, Terminal.FromConsole());
