using Spectre.Console;

namespace Inspections.Hosting;

/// <summary>
/// A live progress bar around a piece of work, on a terminal only: cron logs get no control characters.
/// </summary>
internal static class TerminalProgress
{
    /// <param name="body">Gets a callback (done, total, what), or null when nothing is displayed.</param>
    public static async Task ShowAsync(
        Terminal terminal, string title, Func<Action<double, double?, string?>?, Task> body)
    {
        if (!terminal.IsInteractive)
        {
            await body(null);
            return;
        }
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(terminal.Out) });
        await console.Progress().AutoClear(true).StartAsync(async progress =>
        {
            var bar = progress.AddTask(title.EscapeMarkup(), maxValue: 1);
            await body((done, total, what) =>
            {
                if (total is { } t) bar.MaxValue = Math.Max(t, 1);
                else if (done > bar.MaxValue) bar.MaxValue = done * 2;
                bar.Value = Math.Min(done, bar.MaxValue);
                if (what is not null) bar.Description = what;
            });
        });
    }
}
