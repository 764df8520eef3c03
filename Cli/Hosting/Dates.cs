using System.Globalization;

namespace Inspections.Hosting;

/// <summary>
/// The product's one date format, <c>yyyy-MM-dd</c>, Chicago local dates: the CLI's <c>--date</c>, the API's
/// and the dashboard's <c>date</c> parameters and dates in configuration are all read here.
/// </summary>
internal static class Dates
{
    public const string Format = "yyyy-MM-dd";

    /// <summary>
    /// The date, or why <paramref name="text"/> is not one (an impossible day says so, not "not of the form"). The
    /// problem quotes at most <see cref="QuotedLength"/> characters of the text: a request may send kilobytes.
    /// </summary>
    public static bool TryParse(string? text, out DateOnly date, out string problem)
    {
        problem = "";
        if (DateOnly.TryParseExact(text?.Trim(), Format, CultureInfo.InvariantCulture, DateTimeStyles.None, out date))
            return true;
        var parts = text?.Trim().Split('-') ?? [];
        var quoted = text is { Length: > QuotedLength } ? text[..QuotedLength] + "…" : text;
        problem = parts is [{ Length: 4 } y, { Length: 2 } m, { Length: 2 } d]
                  && int.TryParse(y, NumberStyles.None, CultureInfo.InvariantCulture, out var year) && year >= 1
                  && int.TryParse(m, NumberStyles.None, CultureInfo.InvariantCulture, out var month)
                  && int.TryParse(d, NumberStyles.None, CultureInfo.InvariantCulture, out _)
            ? month is >= 1 and <= 12
                ? $"'{quoted}' is not a date: " +
                  $"{new DateOnly(year, month, 1).ToString("MMMM yyyy", CultureInfo.InvariantCulture)} " +
                  $"has {DateTime.DaysInMonth(year, month)} days"
                : $"'{quoted}' is not a date: there is no month {month}"
            : $"'{quoted}' is not a date of the form {Format}";
        return false;
    }

    public const int QuotedLength = 40;

    /// <summary>For dates in configuration and other places where a bad date is the user's to fix.</summary>
    public static DateOnly Parse(string text, string what) =>
        TryParse(text, out var date, out var problem)
            ? date
            : throw new UserException(ExitCodes.UsageError, $"{what}: {problem}");

    public static string Text(DateOnly date) => date.ToString(Format, CultureInfo.InvariantCulture);

    /// <summary>Today in Chicago, where the inspections happen (UTC when the machine has no time zone data).</summary>
    public static DateOnly ChicagoToday()
    {
        try
        {
            var chicago = TimeZoneInfo.FindSystemTimeZoneById("America/Chicago");
            return DateOnly.FromDateTime(TimeZoneInfo.ConvertTimeFromUtc(DateTime.UtcNow, chicago));
        }
        catch (TimeZoneNotFoundException)
        {
            return DateOnly.FromDateTime(DateTime.UtcNow);
        }
    }
}
