namespace Inspections.Cleaning;

/// <summary>
/// The City's 250-odd facility type spellings, folded into a few groups a model and a fairness audit
/// can use. The first rule whose pattern (a PostgreSQL regular expression over the lower-cased,
/// trimmed type) matches wins; nothing matched is <c>other</c>, an empty type <c>unknown</c>.
/// </summary>
internal static class FacilityGroups
{
    public static readonly (string Group, string Pattern)[] Rules =
    [
        ("daycare", @"day ?care|children'?s services|child care|pre ?school|head ?start"),
        ("school", @"school|college|university|charter|academy"),
        ("hospital-care", @"hospital|long.term care|nursing|assisted living|senior|golden diner|rehab|care facility"),
        ("mobile", @"mobile|truck|cart|push|peddler"),
        ("bakery", @"bakery|pastry|donut|doughnut|cake"),
        ("restaurant",
            @"restaurant|restuarant|cafe|coffee|catering|banquet|diner|grill|pizz|taqueria|deli$|kitchen|juice|tea|" +
            @"ice cream|rooftop|roof top|stadium"),
        ("grocery",
            @"grocery|convenience|market|store|mart|deli|wholesale|gas station|produce|meat|butcher|poultry|fish"),
        ("liquor-tavern", @"tavern|\mbar\M|liquor|lounge|\mpub\M|night ?club|brewery|wine"),
    ];

    public static string[] Groups => Rules.Select(r => r.Group).ToArray();

    public static string[] Patterns => Rules.Select(r => r.Pattern).ToArray();
}
