namespace Inspections.Hosting;

/// <summary>
/// A <c>date</c> parameter of the web hosts. Minimal APIs bind it through <see cref="TryParse"/>, which reads the text
/// as the CLI reads <c>--date</c> (<see cref="Dates"/>): the same text is the same date, and a bad one the same
/// problem, whether it came from the command line, the API or the dashboard.
/// </summary>
internal readonly record struct DateParameter(DateOnly Value)
{
    public static bool TryParse(string? text, out DateParameter date)
    {
        var parsed = Dates.TryParse(text, out var value, out _);
        date = new DateParameter(value);
        return parsed;
    }

    /// <summary>
    /// Why <paramref name="text"/> is not a date, as a sentence (a problem's detail, a page's paragraph); null when
    /// it is one.
    /// </summary>
    public static string? Problem(string? text) => Dates.TryParse(text, out _, out var problem) ? null : problem + ".";

    public override string ToString() => Dates.Text(Value);
}
