using System.Globalization;
using CsvHelper;

namespace Inspections.Ingest;

/// <summary>
/// Writes the synthetic sample shipped in <c>samples/</c>: a portal-format CSV export of made-up
/// establishments and inspections, 2010-01 to 2014-12, from a fixed seed (the same bytes every run).
/// Each establishment has a latent propensity to fail that shows in its history (past fails,
/// violations, complaints) and only loosely in its risk category, so a model can beat a
/// risk-category baseline. Mix of types and results follows the real data: mostly canvass
/// inspections, about 20% fail among pass/fail, re-inspections after failures, closures.
/// </summary>
internal static class SyntheticSample
{
    public const int Seed = 20140901;

    public const int ShippedEstablishments = 1500;

    private static readonly DateOnly Start = new(2010, 1, 4);
    private static readonly DateOnly End = new(2014, 12, 31);

    private static readonly (string Type, double Weight, double Effect, string[] Risks)[] FacilityTypes =
    [
        ("Restaurant", 60, 0.2, ["Risk 1 (High)", "Risk 1 (High)", "Risk 1 (High)", "Risk 2 (Medium)"]),
        ("Grocery Store", 10, 0.0, ["Risk 1 (High)", "Risk 2 (Medium)", "Risk 3 (Low)"]),
        ("Grocery store", 2, 0.0, ["Risk 2 (Medium)", "Risk 3 (Low)"]),
        ("School", 9, -0.6, ["Risk 1 (High)", "Risk 2 (Medium)"]),
        ("Bakery", 3, 0.1, ["Risk 1 (High)", "Risk 2 (Medium)"]),
        ("Daycare (2 - 6 Years)", 3, -0.4, ["Risk 1 (High)"]),
        ("Daycare Above and Under 2 Years", 1.5, -0.4, ["Risk 1 (High)"]),
        ("Long Term Care", 1.5, -0.3, ["Risk 1 (High)"]),
        ("Hospital", 0.7, -0.5, ["Risk 1 (High)"]),
        ("Mobile Food Dispenser", 1.5, 0.0, ["Risk 2 (Medium)", "Risk 3 (Low)"]),
        ("TAVERN", 1.5, 0.1, ["Risk 3 (Low)", "Risk 2 (Medium)"]),
        ("Liquor", 1, 0.0, ["Risk 3 (Low)"]),
        ("Catering", 1.5, 0.1, ["Risk 1 (High)"]),
        ("Golden Diner", 1, -0.2, ["Risk 1 (High)"]),
        ("", 0.8, 0.0, ["Risk 1 (High)", ""]),
    ];

    private static readonly (int Number, string Title)[] ViolationTitles =
    [
        (2, "FACILITIES TO MAINTAIN PROPER TEMPERATURE"),
        (3, "POTENTIALLY HAZARDOUS FOOD MEETS TEMPERATURE REQUIREMENT DURING STORAGE, PREPARATION DISPLAY AND SERVICE"),
        (8, "SANITIZING RINSE FOR EQUIPMENT AND UTENSILS:  CLEAN, PROPER TEMPERATURE, CONCENTRATION, EXPOSURE TIME"),
        (11, "ADEQUATE NUMBER, CONVENIENT, ACCESSIBLE, DESIGNED, AND MAINTAINED"),
        (16, "FOOD PROTECTED DURING STORAGE, PREPARATION, DISPLAY, SERVICE AND TRANSPORTATION"),
        (18, "NO EVIDENCE OF RODENT OR INSECT OUTER OPENINGS PROTECTED/RODENT PROOFED, " +
             "A WRITTEN LOG SHALL BE MAINTAINED AVAILABLE TO THE INSPECTORS"),
        (21, "* CERTIFIED FOOD MANAGER ON SITE WHEN POTENTIALLY HAZARDOUS FOODS ARE PREPARED AND SERVED"),
        (24, "DISH WASHING FACILITIES: PROPERLY DESIGNED, CONSTRUCTED, MAINTAINED, INSTALLED, LOCATED AND OPERATED"),
        (32, "FOOD AND NON-FOOD CONTACT SURFACES PROPERLY DESIGNED, CONSTRUCTED AND MAINTAINED"),
        (33, "FOOD AND NON-FOOD CONTACT EQUIPMENT UTENSILS CLEAN, FREE OF ABRASIVE DETERGENTS"),
        (34, "FLOORS: CONSTRUCTED PER CODE, CLEANED, GOOD REPAIR, COVING INSTALLED, DUST-LESS CLEANING METHODS USED"),
        (35, "WALLS, CEILINGS, ATTACHED EQUIPMENT CONSTRUCTED PER CODE: GOOD REPAIR, " +
             "SURFACES CLEAN AND DUST-LESS CLEANING METHODS"),
        (38, "VENTILATION: ROOMS AND EQUIPMENT VENTED AS REQUIRED: PLUMBING: INSTALLED AND MAINTAINED"),
        (41, "PREMISES MAINTAINED FREE OF LITTER, UNNECESSARY ARTICLES, CLEANING  EQUIPMENT PROPERLY STORED"),
        (70, "NO SMOKING REGULATIONS"),
    ];

    private static readonly string[] Comments =
    [
        "MUST CLEAN AND MAINTAIN.", "OBSERVED MOUSE DROPPINGS IN STORAGE AREA. MUST REMOVE AND SANITIZE.",
        "COOLER AT 48F. MUST BE 41F OR BELOW.", "MUST REPAIR TORN DOOR GASKET.", "INSTRUCTED TO DETAIL CLEAN.",
        "NO TEST STRIPS ON SITE.", "MUST SEAL GAP AT BOTTOM OF REAR DOOR.", "MUST PROVIDE SOAP AT HAND SINK.",
    ];

    private static readonly string[] NameWords =
    [
        "GOLDEN", "LUCKY", "CITY", "LAKE", "WINDY", "NORTH", "GRAND", "LITTLE", "OLD", "NEW", "STAR", "HAPPY", "ROYAL",
        "MAPLE", "PARK", "RIVER", "SUNSET", "CORNER", "FRESH", "MAMA'S",
    ];

    private static readonly string[] NameKinds =
    [
        "GRILL", "CAFE", "PIZZA", "TAQUERIA", "KITCHEN", "FOOD MART", "BAKERY", "DINER", "BBQ", "SUSHI", "DELI",
        "TAVERN",
    ];

    private static readonly string[] Streets =
    [
        "N CLARK ST", "W FULLERTON AVE", "S HALSTED ST", "N MILWAUKEE AVE", "W 63RD ST", "S ASHLAND AVE", "N BROADWAY",
        "W DIVISION ST", "S COTTAGE GROVE AVE", "W BELMONT AVE", "S PULASKI RD", "N LINCOLN AVE",
    ];

    private static readonly string[] Zips =
    [
        "60601", "60605", "60607", "60608", "60609", "60611", "60612", "60613", "60614", "60615", "60616", "60617",
        "60618", "60619", "60620", "60622", "60623", "60624", "60625", "60626", "60628", "60629", "60630", "60632",
        "60634", "60636", "60637", "60639", "60640", "60641", "60643", "60644", "60647", "60649", "60651", "60652",
        "60657", "60659", "60660",
    ];

    private sealed record Establishment(string License, string Name, string FacilityType, string Risk, string Address,
        string Zip, double Latitude, double Longitude, double Propensity, DateOnly Opened, DateOnly? Closes);

    private sealed record Inspection(DateOnly Date, Establishment Place, string Type, string Result, string Violations);

    /// <summary>Writes the sample (about 1,500 establishments and 15,000 inspections) as a portal CSV export.</summary>
    public static void Write(TextWriter output, int establishments = ShippedEstablishments)
    {
        var random = new Random(Seed);
        var inspections = new List<Inspection>();
        var licenses = new HashSet<int>();
        for (var i = 0; i < establishments; i++)
        {
            var place = NewEstablishment(random, licenses);
            inspections.AddRange(History(random, place));
        }

        using var csv = new CsvWriter(output, CultureInfo.InvariantCulture, leaveOpen: true);
        foreach (var header in SourceRecord.CsvHeader) csv.WriteField(header);
        csv.NextRecord();
        var id = 60000;
        foreach (var inspection in
                 inspections.OrderBy(x => x.Date).ThenBy(x => x.Place.License, StringComparer.Ordinal))
        {
            id += 1 + random.Next(40);
            var p = inspection.Place;
            var latitude = p.Latitude.ToString("0.000000000", CultureInfo.InvariantCulture);
            var longitude = p.Longitude.ToString("0.000000000", CultureInfo.InvariantCulture);
            string[] fields =
            [
                id.ToString(CultureInfo.InvariantCulture), p.Name, p.Name, p.License, p.FacilityType, p.Risk, p.Address,
                "CHICAGO", "IL", p.Zip, inspection.Date.ToString("MM/dd/yyyy", CultureInfo.InvariantCulture),
                inspection.Type, inspection.Result, inspection.Violations, latitude, longitude,
                $"({latitude}, {longitude})",
            ];
            foreach (var field in fields) csv.WriteField(field);
            csv.NextRecord();
        }
    }

    private static Establishment NewEstablishment(Random random, HashSet<int> licenses)
    {
        int license;
        do license = random.Next(1000000, 2400000); while (!licenses.Add(license));
        var (type, _, effect, risks) = Pick(random, FacilityTypes, t => t.Weight);
        var risk = risks[random.Next(risks.Length)];
        // Latent propensity: mostly the establishment's own, a little its type's and its risk category's.
        var riskEffect = risk == "Risk 1 (High)" ? 0.25 : risk == "Risk 3 (Low)" ? -0.25 : 0;
        var propensity = -2.0 + Normal(random) * 1.1 + effect + riskEffect;
        var opened = Start.AddDays(random.Next(-1500, 1700));
        DateOnly? closes = random.NextDouble() < 0.18 + 0.08 * Math.Max(0, propensity + 1.5)
            ? opened.AddDays(200 + random.Next(1500)) : null;
        var zip = Zips[random.Next(Zips.Length)];
        var zipOffset = Array.IndexOf(Zips, zip) / (double)Zips.Length;
        return new Establishment(license.ToString(CultureInfo.InvariantCulture),
            $"{NameWords[random.Next(NameWords.Length)]} {NameWords[random.Next(NameWords.Length)]} " +
            $"{NameKinds[random.Next(NameKinds.Length)]}",
            type, risk, $"{random.Next(100, 9900)} {Streets[random.Next(Streets.Length)]} ", zip,
            41.98 - 0.25 * zipOffset + random.NextDouble() * 0.02, -87.75 + random.NextDouble() * 0.15,
            propensity, opened, closes);
    }

    private static IEnumerable<Inspection> History(Random random, Establishment place)
    {
        var end = place.Closes is { } closes && closes < End ? closes : End;
        var date = place.Opened;
        var firstVisit = true;
        // Canvass rhythm by risk: high about twice a year, low about once in two years.
        var interval = place.Risk switch { "Risk 1 (High)" => 150, "Risk 2 (Medium)" => 260, _ => 480 };
        while (true)
        {
            string type;
            if (firstVisit && place.Opened >= Start)
            {
                type = "License";
            }
            else
            {
                var complaintRate = 0.035 * Math.Exp(place.Propensity + 2.0);
                var gap = (int)(interval * (0.6 + random.NextDouble() * 0.8));
                type = random.NextDouble() < complaintRate
                    ? (random.NextDouble() < 0.3 ? "Short Form Complaint" : "Complaint")
                    : "Canvass";
                date = date.AddDays(firstVisit ? random.Next(interval) : gap);
            }
            firstVisit = false;
            date = Weekday(date);
            if (date > end) break;
            if (date < Start) continue;
            if (random.NextDouble() < 0.02)
            {
                yield return new Inspection(date, place, type, "No Entry", "");
                continue;
            }

            var typeEffect = type.Contains("Complaint", StringComparison.Ordinal) ? 0.8 : type == "License" ? 0.3 : 0;
            var failed = random.NextDouble() < Sigmoid(place.Propensity + typeEffect);
            var result = failed ? "Fail"
                : random.NextDouble() < 0.16 + 0.1 * Sigmoid(place.Propensity) ? "Pass w/ Conditions" : "Pass";
            yield return new Inspection(date, place, type, result, Violations(random, place, result));

            // A failure brings a re-inspection within weeks, until the place passes (or gives up).
            var reinspections = 0;
            while (result == "Fail" && reinspections++ < 3)
            {
                date = Weekday(date.AddDays(7 + random.Next(21)));
                if (date > end) yield break;
                var reType = type == "Canvass" ? "Canvass Re-Inspection"
                    : type == "License" ? "License Re-Inspection"
                    : "Complaint Re-Inspection";
                result = random.NextDouble() < Sigmoid(place.Propensity + 0.5) ? "Fail" : "Pass";
                yield return new Inspection(date, place, reType, result, Violations(random, place, result));
            }
        }
        if (place.Closes is { } closed && closed <= End && closed >= Start)
            yield return new Inspection(Weekday(closed), place,
                random.NextDouble() < 0.9 ? "Canvass" : "Out of Business",
                random.NextDouble() < 0.97 ? "Out of Business" : "Business Not Located", "");
    }

    /// <summary>
    /// Violations text in the portal's format, "N. TITLE - Comments: text | ...", worse for failures and for risky
    /// places.
    /// </summary>
    private static string Violations(Random random, Establishment place, string result)
    {
        var count = result switch
        {
            "Fail" => 2 + random.Next(3) + (place.Propensity > -1 ? 1 : 0),
            "Pass w/ Conditions" => 1 + random.Next(3),
            _ => random.NextDouble() < 0.3 + 0.15 * Math.Tanh(place.Propensity + 2.0) ? random.Next(1, 3) : 0,
        };
        var chosen = new SortedSet<int>();
        if (result == "Fail") chosen.Add(random.Next(0, 6));          // a critical or serious one
        if (result == "Pass w/ Conditions") chosen.Add(random.Next(3, 8));
        while (chosen.Count < count)
            chosen.Add(result == "Pass" ? random.Next(8, ViolationTitles.Length) : random.Next(ViolationTitles.Length));
        return string.Join(" | ", chosen.Select(i =>
            $"{ViolationTitles[i].Number}. {ViolationTitles[i].Title} - Comments: " +
            $"{Comments[random.Next(Comments.Length)]}"));
    }

    private static DateOnly Weekday(DateOnly date) => date.DayOfWeek switch
    {
        DayOfWeek.Saturday => date.AddDays(2),
        DayOfWeek.Sunday => date.AddDays(1),
        _ => date,
    };

    private static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));

    private static double Normal(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

    private static T Pick<T>(Random random, T[] items, Func<T, double> weight)
    {
        var roll = random.NextDouble() * items.Sum(weight);
        foreach (var item in items)
        {
            roll -= weight(item);
            if (roll <= 0) return item;
        }
        return items[^1];
    }
}
