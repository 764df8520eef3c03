namespace Inspections.Hosting;

/// <summary>
/// A problem the user can fix (bad input, unreachable database, portal down). The CLI prints its
/// message as one line on stderr and exits with <see cref="ExitCode"/>; no stack trace.
/// </summary>
internal sealed class UserException(int exitCode, string message, Exception? inner = null) : Exception(message, inner)
{
    public int ExitCode { get; } = exitCode;
}
