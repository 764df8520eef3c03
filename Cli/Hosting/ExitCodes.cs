namespace Inspections.Hosting;

/// <summary>
/// Every exit code the executable returns, in one place. The README documents the same table;
/// cron jobs and scripts rely on these values, so never renumber one.
/// </summary>
internal static class ExitCodes
{
    public const int Success = 0;

    /// <summary>An unexpected error: a bug. The only code that comes with a stack trace.</summary>
    public const int Unexpected = 1;

    /// <summary>A bad command line or bad input the user can fix (unknown option, bad date, missing file).</summary>
    public const int UsageError = 2;

    /// <summary>A data check failed: the task was rolled back and the DAG is red.</summary>
    public const int CheckFailed = 3;

    /// <summary>A task threw: it was rolled back and the DAG is red.</summary>
    public const int TaskFailed = 4;

    /// <summary>The database could not be reached or refused the connection.</summary>
    public const int DatabaseUnavailable = 5;

    /// <summary><c>monitor --fail-on-drift</c> found drift at the alert level.</summary>
    public const int DriftAlert = 6;

    /// <summary>No connection string is configured and the PostgreSQL server binaries are not installed.</summary>
    public const int PostgresMissing = 7;

    /// <summary>The data source (the Socrata portal) could not be reached or kept failing.</summary>
    public const int SourceUnavailable = 8;

    /// <summary>
    /// The embedded cluster's folder (<c>Database:DataDirectory</c>) cannot be used: a read-only file system, or not
    /// writable by the user the server runs as. Unlike <see cref="DatabaseUnavailable"/>, waiting will not help:
    /// fix the folder.
    /// </summary>
    public const int DataDirectoryUnusable = 9;

    /// <summary><c>status</c>: nothing failed, but some task instance of the DAG has not run yet.</summary>
    public const int Incomplete = 10;

    /// <summary>
    /// The name of an exit code, as the README's table gives it (<c>Exit3</c> for a code that has none).
    /// </summary>
    public static string Name(int code) => Names.TryGetValue(code, out var name) ? name : $"Exit{code}";

    private static readonly Dictionary<int, string> Names = typeof(ExitCodes)
        .GetFields(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static)
        .Where(f => f.IsLiteral && f.FieldType == typeof(int))
        .ToDictionary(f => (int)f.GetRawConstantValue()!, f => f.Name);
}
