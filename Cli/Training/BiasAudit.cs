using Dapper;
using Npgsql;

namespace Inspections.Training;

/// <summary>A scored validation row with the attributes audited.</summary>
internal sealed record AuditRow(double Score, bool LabelFail, string FacilityGroup, string RiskLevel, string Area)
{
    public string Attribute(string name) => name switch
    {
        "facility_group" => FacilityGroup,
        "risk_level" => RiskLevel,
        "area" => Area,
        _ => throw new ArgumentException($"'{name}' is not an audited attribute", nameof(name)),
    };
}

/// <summary>
/// One group's confusion-matrix rates and their disparities against the attribute's reference group (a row of
/// <c>models.bias_audit</c>).
/// </summary>
internal sealed record GroupAudit(
    string Attribute,
    string GroupValue,
    bool IsReference,
    int GroupSize,
    int Positives,
    int Negatives,
    int PredictedPositives,
    int PredictedNegatives,
    double? Prevalence,
    double? PredictedPositiveRate,
    double? Tpr,
    double? Fpr,
    double? Fnr,
    double? Fdr,
    double? FalseOmissionRate,
    double? Precision,
    double? PprDisparity,
    double? TprDisparity,
    double? FprDisparity,
    double? FnrDisparity,
    double? FdrDisparity,
    double? ForDisparity,
    double? PrecisionDisparity);

/// <summary>
/// A group's row of <c>models.bias_audit</c> as stored: <see cref="GroupAudit"/>'s rates and disparities, without the
/// counts they were computed from (the table keeps none).
/// </summary>
internal sealed record StoredGroupAudit(
    string Attribute,
    string GroupValue,
    bool IsReference,
    int GroupSize,
    double? Prevalence,
    double? PredictedPositiveRate,
    double? Tpr,
    double? Fpr,
    double? Fnr,
    double? Fdr,
    double? FalseOmissionRate,
    double? Precision,
    double? PprDisparity,
    double? TprDisparity,
    double? FprDisparity,
    double? FnrDisparity,
    double? FdrDisparity,
    double? ForDisparity,
    double? PrecisionDisparity);

/// <summary>
/// An Aequitas-style audit at the model's threshold (flagged = score &gt;= threshold). Per group: prevalence
/// (fails / size), predicted positive rate (flagged / size: Aequitas's "pprev"), TPR and FNR (over the
/// group's fails), FPR (over its passes), FDR and precision (over the flagged), FOR (over the unflagged).
/// A rate whose denominator is zero is null, not 0 or NaN: a group with no fail has no TPR, and saying
/// so beats a silent zero (the complaint of Aequitas issue #104). Disparity = the group's rate / the
/// reference group's (the largest; ties broken by name), null when either is null or the reference's is 0;
/// parity when it lies within [<see cref="ParityLow"/>, <see cref="ParityHigh"/>].
/// </summary>
internal static class BiasAudit
{
    public static IReadOnlyList<string> Attributes { get; } = ["facility_group", "risk_level", "area"];

    public const double ParityLow = 0.8;
    public const double ParityHigh = 1.25;

    public static bool IsParity(double? disparity) => disparity is >= ParityLow and <= ParityHigh;

    // In the order of StoredGroupAudit's constructor, which Dapper matches.
    private const string StoredSql = """
        select attribute as Attribute, group_value as GroupValue, is_reference as IsReference, group_size as GroupSize,
               prevalence as Prevalence, predicted_positive_rate as PredictedPositiveRate, tpr as Tpr, fpr as Fpr,
               fnr as Fnr, fdr as Fdr, false_omission_rate as FalseOmissionRate, precision as Precision,
               ppr_disparity as PprDisparity, tpr_disparity as TprDisparity, fpr_disparity as FprDisparity,
               fnr_disparity as FnrDisparity, fdr_disparity as FdrDisparity, for_disparity as ForDisparity,
               precision_disparity as PrecisionDisparity
        from models.bias_audit where model_id = @modelId
        order by attribute, is_reference desc, group_size desc, group_value
        """;

    /// <summary>
    /// The audit the bias task stored for <paramref name="modelId"/>: per attribute, its reference group first, then
    /// by size.
    /// </summary>
    public static async Task<IReadOnlyList<StoredGroupAudit>> ReadAsync(
        NpgsqlConnection connection,
        string modelId,
        CancellationToken ct) =>
        (await connection.QueryAsync<StoredGroupAudit>(
            new CommandDefinition(StoredSql, new { modelId }, cancellationToken: ct))).AsList();

    public static IReadOnlyList<GroupAudit> Compute(IReadOnlyList<AuditRow> rows, double threshold)
    {
        var audits = new List<GroupAudit>();
        foreach (var attribute in Attributes)
        {
            var groups = rows.GroupBy(r => r.Attribute(attribute))
                .Select(g => Rates(attribute, g.Key, g.ToList(), threshold))
                .OrderByDescending(g => g.GroupSize).ThenBy(g => g.GroupValue, StringComparer.Ordinal)
                .ToList();
            if (groups.Count == 0) continue;
            var reference = groups[0];
            audits.AddRange(groups.Select((g, i) => g with
            {
                IsReference = i == 0,
                PprDisparity = Ratio(g.PredictedPositiveRate, reference.PredictedPositiveRate),
                TprDisparity = Ratio(g.Tpr, reference.Tpr),
                FprDisparity = Ratio(g.Fpr, reference.Fpr),
                FnrDisparity = Ratio(g.Fnr, reference.Fnr),
                FdrDisparity = Ratio(g.Fdr, reference.Fdr),
                ForDisparity = Ratio(g.FalseOmissionRate, reference.FalseOmissionRate),
                PrecisionDisparity = Ratio(g.Precision, reference.Precision),
            }));
        }
        return audits;
    }

    private static GroupAudit Rates(string attribute, string value, IReadOnlyList<AuditRow> rows, double threshold)
    {
        int tp = 0, fp = 0, fn = 0, tn = 0;
        foreach (var r in rows)
        {
            var flagged = r.Score >= threshold;
            if (flagged && r.LabelFail) tp++;
            else if (flagged) fp++;
            else if (r.LabelFail) fn++;
            else tn++;
        }
        int positives = tp + fn, negatives = fp + tn, flaggedCount = tp + fp, unflagged = fn + tn;
        return new GroupAudit(attribute, value, false, rows.Count, positives, negatives, flaggedCount, unflagged,
            Rate(positives, rows.Count), Rate(flaggedCount, rows.Count), Rate(tp, positives), Rate(fp, negatives),
            Rate(fn, positives), Rate(fp, flaggedCount), Rate(fn, unflagged), Rate(tp, flaggedCount),
            null, null, null, null, null, null, null);
    }

    private static double? Rate(int numerator, int denominator) =>
        denominator == 0 ? null : (double)numerator / denominator;

    private static double? Ratio(double? value, double? reference) =>
        value is { } v && reference is { } r && r != 0 ? v / r : null;
}
