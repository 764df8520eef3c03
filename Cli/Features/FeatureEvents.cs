using Npgsql;

namespace Inspections.Features;

/// <summary>
/// The inspections before the run date as the leakage check's second opinion (<see cref="FeatureRecomputation"/>)
/// reads them, in (date, id) order, held in flat arrays (a million inspections take about 40 MB): licence, day, outcome
/// flags, name key (<see cref="NameFeatures.Key"/>, the C# twin of the SQL's), ZIP code and grid cells, each text value
/// as an integer id.
/// </summary>
internal sealed class FeatureEvents
{
    public const int NoCell = int.MinValue;

    private FeatureEvents(int count)
    {
        License = new int[count];
        Day = new int[count];
        Decided = new bool[count];
        Failed = new bool[count];
        Bad = new bool[count];
        NameKey = new int[count];
        Zip = new int[count];
        X1 = new int[count];
        Y1 = new int[count];
        X2 = new int[count];
        Y2 = new int[count];
    }

    public int Count => Day.Length;

    /// <summary>Index into <see cref="Licenses"/>.</summary>
    public int[] License { get; }

    /// <summary><see cref="DateOnly.DayNumber"/> of the inspection date.</summary>
    public int[] Day { get; }

    /// <summary>A pass/fail outcome (Pass, Pass w/ Conditions, Fail).</summary>
    public bool[] Decided { get; }

    public bool[] Failed { get; }

    /// <summary>Failed, or passed with conditions.</summary>
    public bool[] Bad { get; }

    /// <summary>Index into <see cref="NameKeys"/>; -1 without a name key.</summary>
    public int[] NameKey { get; }

    /// <summary>Index into <see cref="Zips"/>; -1 without a ZIP code.</summary>
    public int[] Zip { get; }

    /// <summary>
    /// Cell on the 1 km grid (X1, Y1) and the 2 km grid (X2, Y2); <see cref="NoCell"/> without coordinates.
    /// </summary>
    public int[] X1 { get; }
    public int[] Y1 { get; }
    public int[] X2 { get; }
    public int[] Y2 { get; }

    public List<string> Licenses { get; } = [];

    /// <summary>The name keys, in ordinal order of their text.</summary>
    public List<string> NameKeys { get; } = [];

    /// <summary>
    /// Per name key, its words' indices into <see cref="Words"/>, ascending (words in ordinal order).
    /// </summary>
    public List<int[]> KeyWords { get; } = [];

    /// <summary>The words of three letters or more of every name key, in ordinal order.</summary>
    public List<string> Words { get; } = [];

    public List<string> Zips { get; } = [];

    public Dictionary<string, int> LicenseIndex { get; } = new(StringComparer.Ordinal);

    /// <summary>
    /// The cell of a point on grid 1 (1 km) or 2 (2 km): km = degrees x 82.8568 east, x 110.57 north, from 87.68 W,
    /// 41.88 N.
    /// </summary>
    public static (int X, int Y) Cell(double latitude, double longitude, int grid) =>
        ((int)Math.Floor((longitude + 87.68) * 82.8568 / grid), (int)Math.Floor((latitude - 41.88) * 110.57 / grid));

    /// <summary>Every clean inspection dated before <paramref name="before"/>.</summary>
    public static async Task<FeatureEvents> ReadAsync(
        NpgsqlConnection connection,
        NpgsqlTransaction? transaction,
        DateOnly before,
        CancellationToken ct)
    {
        var count = await new NpgsqlCommand(
            "select count(*) from clean.inspections where inspection_date < @before", connection, transaction)
        {
            CommandTimeout = 0,
            Parameters = { new("before", before) },
        }.ExecuteScalarAsync(ct);
        var events = new FeatureEvents(Convert.ToInt32(count, System.Globalization.CultureInfo.InvariantCulture));
        await using var command = new NpgsqlCommand("""
            select license, inspection_date, outcome, passed_with_conditions, name, zip, latitude, longitude
            from clean.inspections where inspection_date < @before order by inspection_date, inspection_id
            """, connection, transaction) { CommandTimeout = 0 };
        command.Parameters.AddWithValue("before", before);
        var keyOfName = new Dictionary<string, string>(StringComparer.Ordinal);
        var rawKeys = new List<string>();
        var zipIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        var keyIndexRaw = new Dictionary<string, int>(StringComparer.Ordinal);
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            for (var i = 0; await reader.ReadAsync(ct); i++)
            {
                if (i >= events.Count)
                    throw new InvalidOperationException("clean.inspections grew while the features task read it");
                var license = reader.GetString(0);
                if (!events.LicenseIndex.TryGetValue(license, out var l))
                {
                    events.LicenseIndex[license] = l = events.Licenses.Count;
                    events.Licenses.Add(license);
                }
                events.License[i] = l;
                events.Day[i] = reader.GetFieldValue<DateOnly>(1).DayNumber;
                var outcome = reader.GetString(2);
                events.Decided[i] = outcome != "none";
                events.Failed[i] = outcome == "fail";
                events.Bad[i] = outcome == "fail" || (outcome != "none" && reader.GetBoolean(3));
                var key = "";
                if (!reader.IsDBNull(4))
                {
                    var name = reader.GetString(4);
                    if (!keyOfName.TryGetValue(name, out key)) keyOfName[name] = key = NameFeatures.Key(name);
                }
                events.NameKey[i] = -1;
                if (key.Length > 0)
                {
                    if (!keyIndexRaw.TryGetValue(key, out var k))
                    {
                        keyIndexRaw[key] = k = rawKeys.Count;
                        rawKeys.Add(key);
                    }
                    events.NameKey[i] = k;
                }
                events.Zip[i] = -1;
                if (!reader.IsDBNull(5))
                {
                    var zip = reader.GetString(5);
                    if (!zipIndex.TryGetValue(zip, out var z))
                    {
                        zipIndex[zip] = z = events.Zips.Count;
                        events.Zips.Add(zip);
                    }
                    events.Zip[i] = z;
                }
                if (reader.IsDBNull(6) || reader.IsDBNull(7))
                {
                    events.X1[i] = events.Y1[i] = events.X2[i] = events.Y2[i] = NoCell;
                }
                else
                {
                    var (latitude, longitude) = (reader.GetDouble(6), reader.GetDouble(7));
                    (events.X1[i], events.Y1[i]) = Cell(latitude, longitude, 1);
                    (events.X2[i], events.Y2[i]) = Cell(latitude, longitude, 2);
                }
            }
        }
        events.NumberKeys(rawKeys);
        return events;
    }

    /// <summary>
    /// Renumbers the keys in ordinal order of their text, and gives each its words' ids (words in ordinal order too).
    /// </summary>
    private void NumberKeys(List<string> rawKeys)
    {
        var order = Enumerable.Range(0, rawKeys.Count).OrderBy(k => rawKeys[k], StringComparer.Ordinal).ToArray();
        var renumbered = new int[rawKeys.Count];
        for (var n = 0; n < order.Length; n++) renumbered[order[n]] = n;
        for (var i = 0; i < Count; i++)
            if (NameKey[i] >= 0) NameKey[i] = renumbered[NameKey[i]];
        NameKeys.AddRange(order.Select(k => rawKeys[k]));
        var words = NameKeys.SelectMany(NameFeatures.Words).Distinct().Order(StringComparer.Ordinal).ToList();
        var wordIndex = words.Select((w, i) => (w, i)).ToDictionary(p => p.w, p => p.i, StringComparer.Ordinal);
        Words.AddRange(words);
        KeyWords.AddRange(NameKeys.Select(k => NameFeatures.Words(k).Select(w => wordIndex[w]).ToArray()));
    }
}
