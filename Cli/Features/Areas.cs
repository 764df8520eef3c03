namespace Inspections.Features;

/// <summary>
/// Chicago ZIP codes grouped into seven areas (roughly the City's "sides"), so a model and the
/// fairness audit see a handful of places rather than sixty ZIP codes. A ZIP outside the list is
/// <c>outside</c>; a missing one <c>unknown</c>.
/// </summary>
internal static class Areas
{
    private static readonly (string Area, int[] Zips)[] Groups =
    [
        ("central", [60601, 60602, 60603, 60604, 60605, 60606, 60607, 60610, 60611, 60654, 60661]),
        ("north", [60613, 60614, 60618, 60625, 60626, 60640, 60645, 60657, 60659, 60660]),
        ("northwest", [60630, 60631, 60634, 60635, 60641, 60646, 60656, 60666, 60706, 60707, 60639]),
        ("west", [60612, 60622, 60623, 60624, 60644, 60647, 60651]),
        ("south", [60609, 60615, 60616, 60617, 60619, 60621, 60637, 60649, 60653, 60636]),
        ("southwest", [60608, 60620, 60629, 60632, 60638, 60652, 60655, 60643]),
        ("far-south", [60627, 60628, 60633, 60827]),
    ];

    public static string[] Zips => Groups
        .SelectMany(g => g.Zips.Select(z => z.ToString(System.Globalization.CultureInfo.InvariantCulture)))
        .ToArray();

    public static string[] AreaOfZips => Groups.SelectMany(g => g.Zips.Select(_ => g.Area)).ToArray();
}
