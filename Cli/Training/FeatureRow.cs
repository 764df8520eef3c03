using Inspections.Features;
using System.Text;
using Npgsql;

namespace Inspections.Training;

/// <summary>
/// One establishment at one as-of date, as the models see it: the <see cref="FeatureSet"/> columns of a
/// row of <c>features.snapshots</c> (with its label) or <c>features.cohort</c> (label null).
/// </summary>
/// <param name="Numeric">Values aligned with <see cref="FeatureSet.Numeric"/>.</param>
/// <param name="Categorical">Values aligned with <see cref="FeatureSet.Categorical"/>.</param>
/// <param name="LabelFail">
/// Whether the next pass/fail inspection in the label window failed; null in the cohort.
/// </param>
/// <param name="LabelDate">The date of that inspection (what "days earlier" reorders); null in the cohort.</param>
internal sealed record FeatureRow(
    DateOnly AsOfDate,
    string License,
    float[] Numeric,
    string[] Categorical,
    bool? LabelFail,
    DateOnly? LabelDate = null)
{
    public string FacilityGroup => Categorical[FeatureSet.CategoricalIndex("facility_group")];

    public string RiskLevel => Categorical[FeatureSet.CategoricalIndex("risk_level")];

    public string Area => Categorical[FeatureSet.CategoricalIndex("area")];

    public string Category(string column) => Categorical[FeatureSet.CategoricalIndex(column)];
}

/// <summary>
/// Reads <see cref="FeatureRow"/>s from the features tables, ordered by (as_of_date, license) so training is
/// reproducible.
/// </summary>
internal static class FeatureRows
{
    public const string Snapshots = "features.snapshots";
    public const string Cohort = "features.cohort";
    public const string FoldCohort = "features.fold_cohort";

    /// <summary>
    /// The rows of <paramref name="table"/> (<see cref="Snapshots"/>, <see cref="Cohort"/> or
    /// <see cref="FoldCohort"/>), of one as-of date or all.
    /// </summary>
    public static Task<IReadOnlyList<FeatureRow>> ReadAsync(
        NpgsqlConnection connection,
        NpgsqlTransaction? tx,
        string table,
        DateOnly? asOfDate,
        CancellationToken ct)
    {
        var labelled = table switch
        {
            Snapshots => true,
            Cohort or FoldCohort => false,
            _ => throw new ArgumentException(
                $"features are read from {Snapshots}, {Cohort} or {FoldCohort}, not '{table}'", nameof(table)),
        };
        // Column and table names come from FeatureSet and the two constants above, never from input.
        var sql = Select(table, labelled)
            + (asOfDate is null ? "" : " where as_of_date = @asOf")
            + " order by as_of_date, license";
        return QueryAsync(connection, tx, sql, labelled, command =>
        {
            if (asOfDate is { } d) command.Parameters.AddWithValue("asOf", d);
        }, ct);
    }

    /// <summary>
    /// The training snapshots of a run date: those whose label is known by <paramref name="knownBy"/>,
    /// i.e. the label window closed (as_of_date + window &lt;= knownBy) and an inspection fell in it;
    /// with <paramref name="from"/>, only those of as-of dates from it on
    /// (<see cref="TrainingSettings.HistoryStart"/>).
    /// </summary>
    public static Task<IReadOnlyList<FeatureRow>> ReadLabelledAsync(
        NpgsqlConnection connection,
        NpgsqlTransaction? tx,
        DateOnly knownBy,
        int labelWindowDays,
        DateOnly? from,
        CancellationToken ct)
    {
        var sql = Select(Snapshots, labelled: true) +
            " where label_fail is not null and as_of_date + @window <= @knownBy and as_of_date >= @from" +
            " order by as_of_date, license";
        return QueryAsync(connection, tx, sql, labelled: true, command =>
        {
            command.Parameters.AddWithValue("window", labelWindowDays);
            command.Parameters.AddWithValue("knownBy", knownBy);
            command.Parameters.AddWithValue("from", from ?? DateOnly.MinValue);
        }, ct);
    }

    /// <summary>
    /// <paramref name="rows"/> in (as_of_date, license ordinal) order: the order every fit and fold uses, so a
    /// model is a function of the set of rows. Rows read here already are in it (one O(n) pass to see that);
    /// sorting 800,000 rows again for every fit cost about 0.4 s each.
    /// </summary>
    public static IReadOnlyList<FeatureRow> InCanonicalOrder(IReadOnlyList<FeatureRow> rows)
    {
        for (var i = 1; i < rows.Count; i++)
        {
            var order = rows[i - 1].AsOfDate.CompareTo(rows[i].AsOfDate);
            if (order > 0 || (order == 0 && string.CompareOrdinal(rows[i - 1].License, rows[i].License) > 0))
                return rows.OrderBy(r => r.AsOfDate).ThenBy(r => r.License, StringComparer.Ordinal).ToList();
        }
        return rows;
    }

    private static string Select(string table, bool labelled)
    {
        var sql = new StringBuilder("select as_of_date, license");
        foreach (var column in FeatureSet.All) sql.Append(", ").Append(column);
        if (labelled) sql.Append(", label_fail, label_inspection_date");
        return sql.Append(" from ").Append(table).ToString();
    }

    private static async Task<IReadOnlyList<FeatureRow>> QueryAsync(
        NpgsqlConnection connection,
        NpgsqlTransaction? tx,
        string sql,
        bool labelled,
        Action<NpgsqlCommand> bind,
        CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection, tx);
        bind(command);
        var rows = new List<FeatureRow>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        var numeric = FeatureSet.Numeric.Count;
        var categorical = FeatureSet.Categorical.Count;
        // A few hundred distinct category values over up to millions of rows: keep one string of each.
        var pool = new Dictionary<string, string>(StringComparer.Ordinal);
        while (await reader.ReadAsync(ct))
        {
            var values = new float[numeric];
            for (var i = 0; i < numeric; i++) values[i] = reader.GetFloat(2 + i);
            var categories = new string[categorical];
            for (var i = 0; i < categorical; i++)
            {
                var value = reader.GetString(2 + numeric + i);
                categories[i] = pool.TryGetValue(value, out var pooled) ? pooled : pool[value] = value;
            }
            var labelColumn = 2 + numeric + categorical;
            bool? label = labelled && !reader.IsDBNull(labelColumn) ? reader.GetBoolean(labelColumn) : null;
            DateOnly? labelDate = labelled && !reader.IsDBNull(labelColumn + 1)
                ? reader.GetFieldValue<DateOnly>(labelColumn + 1)
                : null;
            rows.Add(new FeatureRow(
                reader.GetFieldValue<DateOnly>(0), reader.GetString(1), values, categories, label, labelDate));
        }
        return rows;
    }
}
