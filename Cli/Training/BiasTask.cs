using System.Text.Json.Serialization;
using Dapper;
using Inspections.Pipeline;
using Npgsql;
using NpgsqlTypes;

namespace Inspections.Training;

/// <summary>
/// <c>bias</c>: audits the model the select task stored for the run date, at its threshold, on its
/// latest validation fold (<c>models.validation_scores</c> joined to the snapshots for the attributes),
/// and writes <c>models.bias_audit</c>. See <see cref="BiasAudit"/> for the metrics.
/// </summary>
internal sealed class BiasTask(DateOnly date, string source, IReadOnlyList<PipelineTask> upstream)
    : StageTask<BiasResult>(date, source, upstream)
{
    public override string Name => "bias";

    private const string ValidationRows = """
        select v.score, v.label_fail, s.facility_group, s.risk_level, s.area
        from models.validation_scores v
        join features.snapshots s on s.as_of_date = v.as_of_date and s.license = v.license
        where v.model_id = @modelId
        order by v.as_of_date, v.license
        """;

    public override async Task<BiasResult> RunAsync(TaskContext ctx, CancellationToken ct)
    {
        var model = await ModelRegistry.TrainedOnAsync(ctx.Connection, ctx.Transaction, Date, ct)
            ?? throw new InvalidOperationException($"no model was selected on {Date:yyyy-MM-dd}: run select first");
        await ctx.ExecuteAsync("delete from models.bias_audit where model_id = @modelId",
            new { modelId = model.ModelId }, ct);

        var rows = (await ctx
                .QueryAsync<(double Score, bool LabelFail, string FacilityGroup, string RiskLevel, string Area)>(
                    ValidationRows, new { modelId = model.ModelId }, ct))
            .Select(r => new AuditRow(r.Score, r.LabelFail, r.FacilityGroup, r.RiskLevel, r.Area)).ToList();
        var validationRows = await ctx.ScalarAsync<long>(
            "select count(*) from models.validation_scores where model_id = @modelId",
            new { modelId = model.ModelId }, ct);

        var audit = BiasAudit.Compute(rows, model.Threshold);
        var written = await WriteAsync(ctx.Connection, model.ModelId, audit, ct);
        return new BiasResult(model.ModelId, model.Threshold, validationRows, rows.Count, audit.Count,
            audit.Count(g => g.FprDisparity is not null && !BiasAudit.IsParity(g.FprDisparity)),
            audit.Count(g => g.FnrDisparity is not null && !BiasAudit.IsParity(g.FnrDisparity)), written);
    }

    private const string GroupsPerAttribute = """
        select attribute as Attribute, count(*)::int as Groups
        from models.bias_audit
        where model_id = @modelId
        group by attribute
        """;

    // A rate is missing when its denominator (from the counts the row implies) is non-zero but the rate is null.
    private const string MissingMetrics = """
        select attribute || '=' || group_value
        from models.bias_audit
        where model_id = @modelId and (
              prevalence is null or predicted_positive_rate is null
           or (prevalence > 0 and (tpr is null or fnr is null))
           or (prevalence < 1 and fpr is null)
           or (predicted_positive_rate > 0 and (fdr is null or precision is null))
           or (predicted_positive_rate < 1 and false_omission_rate is null))
        order by 1
        """;

    public override async Task CheckAsync(TaskContext ctx, BiasResult result, CheckSet checks, CancellationToken ct)
    {
        var modelId = result.ModelId;
        checks.Equal("validation_rows_audited", result.ValidationRows, (long)result.AuditedRows,
            "every validation score of {model_id} finds its snapshot (for the attributes)");

        var perAttribute = (await ctx.QueryAsync<(string Attribute, int Groups)>(
                GroupsPerAttribute, new { modelId }, ct))
            .ToDictionary(r => r.Attribute, r => r.Groups);
        var counts = BiasAudit.Attributes
            .Select(a => (Attribute: a, Groups: perAttribute.GetValueOrDefault(a)))
            .ToList();
        var fewest = counts.Min(c => c.Groups);
        checks.AtLeast("min_groups_per_attribute", fewest,
            "an attribute with a single group has nothing to compare against: no disparity can be measured",
            counts.Where(c => c.Groups < checks.Threshold("min_groups_per_attribute"))
                .Select(c => $"{c.Attribute}: {c.Groups} group(s)"));

        var missing = (await ctx.QueryAsync<string>(MissingMetrics, new { modelId }, ct)).ToList();
        checks.None("metrics_missing_where_defined", missing.Count,
            "a rate is null only when its denominator is zero (e.g. TPR of a group without any fail)", missing);
    }

    private static async Task<long> WriteAsync(
        NpgsqlConnection connection,
        string modelId,
        IReadOnlyList<GroupAudit> audit,
        CancellationToken ct)
    {
        await using var writer = await connection.BeginBinaryImportAsync("""
            copy models.bias_audit (model_id, attribute, group_value, is_reference, group_size, prevalence,
                predicted_positive_rate, tpr, fpr, fnr, fdr, false_omission_rate, precision, ppr_disparity,
                tpr_disparity, fpr_disparity, fnr_disparity, fdr_disparity, for_disparity, precision_disparity)
                from stdin (format binary)
            """, ct);
        foreach (var g in audit)
        {
            await writer.StartRowAsync(ct);
            await writer.WriteAsync(modelId, NpgsqlDbType.Text, ct);
            await writer.WriteAsync(g.Attribute, NpgsqlDbType.Text, ct);
            await writer.WriteAsync(g.GroupValue, NpgsqlDbType.Text, ct);
            await writer.WriteAsync(g.IsReference, NpgsqlDbType.Boolean, ct);
            await writer.WriteAsync(g.GroupSize, NpgsqlDbType.Integer, ct);
            foreach (var value in new[]
                     {
                         g.Prevalence, g.PredictedPositiveRate, g.Tpr, g.Fpr, g.Fnr, g.Fdr, g.FalseOmissionRate,
                         g.Precision, g.PprDisparity, g.TprDisparity, g.FprDisparity, g.FnrDisparity, g.FdrDisparity,
                         g.ForDisparity, g.PrecisionDisparity,
                     })
            {
                if (value is { } v) await writer.WriteAsync(v, NpgsqlDbType.Double, ct);
                else await writer.WriteNullAsync(ct);
            }
        }
        return (long)await writer.CompleteAsync(ct);
    }
}

/// <summary>The audit bias wrote for the model selected on the run date.</summary>
/// <param name="GroupsOutsideFprParity">
/// Groups whose false positive rate disparity is outside 0.8-1.25 (likewise FNR).
/// </param>
internal sealed record BiasResult(
    string ModelId,
    double Threshold,
    long ValidationRows,
    int AuditedRows,
    int Groups,
    int GroupsOutsideFprParity,
    int GroupsOutsideFnrParity,
    [property: JsonIgnore] long Written) : TaskResult
{
    public override long RowsWritten => Written;
}
