using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Xml.Linq;
using Inspections.Pipeline;
using static System.Net.WebUtility;

namespace Inspections.Dashboard;

/// <summary>Everything one page shows; sections that have nothing to show are null or empty.</summary>
internal sealed record DashboardView
{
    public required IReadOnlyList<DashboardData.Drift> History { get; init; }

    /// <summary>The monitored date shown, or null (nothing monitored yet, or the date asked for was refused).</summary>
    public DashboardData.Drift? Drift { get; init; }

    /// <summary>Why the date asked for cannot be shown (unknown or malformed).</summary>
    public string? Problem { get; init; }

    public string? ScoresSvg { get; init; }
    public string? DriftSvg { get; init; }
    public DateOnly DagDate { get; init; }
    public string? DagSvg { get; init; }
    public string? DagError { get; init; }
    public IReadOnlyList<RunHistory.Run> Runs { get; init; } = [];
    public DashboardData.ModelCard? Model { get; init; }
    public IReadOnlyList<DashboardData.BiasRow> Bias { get; init; } = [];
}

/// <summary>The one server-rendered page: inline CSS, inline SVG charts, no JavaScript.</summary>
internal static class DashboardPage
{
    /// <summary>Aequitas' parity band: a disparity outside it is flagged.</summary>
    public const double ParityLow = 0.8, ParityHigh = 1.25;

    /// <summary>The page while the database is unavailable: nothing to show, no reason (the server's log has it), what to do.</summary>
    public static string Unavailable() => $$"""
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <link rel="icon" href="data:,">
        <title>Inspection risk monitoring: database unavailable</title>
        <style>{{Css}}</style>
        </head>
        <body>
        <header><h1>Chicago food inspections: failure risk monitoring</h1></header>
        <main>
        <section class="notice problem" id="unavailable"><h2>Database unavailable</h2>
        <p>The dashboard cannot reach its PostgreSQL database at the moment, so it has nothing to show. Nothing is lost:
        reload this page in a minute. If it stays like this, the dashboard's log says why, and
        <code>inspections db status</code> shows the database's state.</p></section>
        </main>
        </body>
        </html>
        """;

    public static string Render(DashboardView view)
    {
        var html = new StringBuilder();
        var title = view.Drift is { } d ? $"Inspection risk monitoring, {d.Date:yyyy-MM-dd}" : "Inspection risk monitoring";
        html.Append($$"""
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <link rel="icon" href="data:,">
            <title>{{HtmlEncode(title)}}</title>
            <style>{{Css}}</style>
            </head>
            <body>
            <header><h1>Chicago food inspections: failure risk monitoring</h1>{{DatePicker(view)}}</header>
            <main>
            """);

        if (view.Problem is { } problem)
        {
            html.Append($"""<section class="notice problem" id="problem"><h2>Cannot show that date</h2><p>{HtmlEncode(problem)}</p>""");
            if (view.History.Count > 0)
            {
                // Years of weekly runs make hundreds of dates: link the latest, the picker has them all.
                var latest = view.History.TakeLast(12).Select(h => DateLink(h.Date));
                var more = view.History.Count > 12 ? $" (and {view.History.Count - 12} earlier ones in the date picker)" : "";
                html.Append($"""<p>Latest monitored dates: {string.Join(", ", latest)}{more}.</p>""");
            }
            html.Append("</section>");
        }
        else if (view.Drift is null)
        {
            html.Append("""
                <section class="notice" id="empty"><h2>Nothing monitored yet</h2>
                <p>No monitoring figures are in the database, so there are no score distributions to compare yet.
                The weekly job fills them: <code>inspections run --date YYYY-MM-DD</code> ingests, cleans, builds features,
                trains a model when none exists, predicts, stores the predictions for the API and monitors them.
                Reload this page when it has run.</p></section>
                """);
        }
        else
        {
            Scores(html, view.Drift, view.ScoresSvg);
            html.Append($"""<section id="drift-over-time"><h2>Drift over time</h2><figure class="chart">{view.DriftSvg}<figcaption>Download: <a href="/charts/drift.svg?date={view.Drift.Date:yyyy-MM-dd}">SVG</a> · <a href="/charts/drift.png?date={view.Drift.Date:yyyy-MM-dd}">PNG</a></figcaption></figure></section>""");
        }

        if (view.Problem is null)
        {
            Dag(html, view);
            Runs(html, view.Runs);
            ModelCard(html, view.Model);
            Bias(html, view.Model, view.Bias);
        }
        html.Append("</main></body></html>\n");
        return html.ToString();
    }

    /// <summary>
    /// A standalone SVG made fit to inline in HTML: scaled by its container (viewBox), labelled, and
    /// its ids prefixed so that two charts on one page never share a clip path.
    /// </summary>
    public static string InlineSvg(string svg, string idPrefix, string label)
    {
        var root = XDocument.Parse(svg).Root!;
        if (root.Attribute("viewBox") is null)
            root.SetAttributeValue("viewBox", $"0 0 {(string?)root.Attribute("width")} {(string?)root.Attribute("height")}");
        root.SetAttributeValue("role", "img");
        root.SetAttributeValue("aria-label", label);
        foreach (var element in root.DescendantsAndSelf())
            foreach (var attribute in element.Attributes())
            {
                if (attribute.Name == "id") attribute.Value = idPrefix + attribute.Value;
                else if (attribute.Value.Contains("url(#", StringComparison.Ordinal))
                    attribute.Value = attribute.Value.Replace("url(#", $"url(#{idPrefix}", StringComparison.Ordinal);
            }
        return root.ToString(SaveOptions.DisableFormatting);
    }

    private static void Scores(StringBuilder html, DashboardData.Drift drift, string? svg)
    {
        var date = drift.Date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        html.Append($$"""
            <section id="scores"><h2>Score distributions: validation vs. predictions of {{date}}</h2>
            <div class="scores">
            <figure class="chart">{{svg}}
            <figcaption>Download: <a href="/charts/scores.svg?date={{date}}">SVG</a> · <a href="/charts/scores.png?date={{date}}">PNG</a></figcaption></figure>
            <aside class="stats" id="drift-stats">
            <p class="status {{HtmlEncode(drift.Status)}}">Drift status: <strong>{{HtmlEncode(drift.Status)}}</strong></p>
            <table>
            <tr><th>PSI</th><td id="psi">{{N(drift.Psi, "0.000")}}</td></tr>
            <tr><th>KS statistic</th><td id="ks">{{N(drift.Ks, "0.000")}}</td></tr>
            <tr><th>Mean score, validation</th><td>{{N(drift.MeanReference, "0.000")}}</td></tr>
            <tr><th>Mean score, predictions</th><td>{{N(drift.MeanCurrent, "0.000")}}</td></tr>
            <tr><th>Mean shift</th><td id="mean-shift">{{N(drift.MeanShift, "+0.000;-0.000;0.000")}}</td></tr>
            <tr><th>Labelled fail, validation</th><td>{{N(drift.FailShareReference, "0.0%")}}</td></tr>
            <tr><th>Labelled fail, predictions</th><td id="fail-share">{{N(drift.FailShareCurrent, "0.0%")}}</td></tr>
            <tr><th>Establishments scored</th><td>{{drift.ReferenceRows:N0}} validation, {{drift.CurrentRows:N0}} predicted</td></tr>
            </table>
            <p class="hint">PSI below 0.1 is usually read as no shift, 0.1 to 0.25 as a moderate one, above 0.25 as a large one.
            KS is the largest gap between the two cumulative distributions.</p>
            </aside>
            </div></section>
            """);
    }

    private static void Dag(StringBuilder html, DashboardView view)
    {
        var date = view.DagDate.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        html.Append($"""<section id="dag"><h2>Pipeline DAG for {date}</h2>""");
        if (view.DagError is { } error) html.Append($"""<p class="problem">The DAG could not be read: {HtmlEncode(error)}</p>""");
        else html.Append($"""<div class="dag">{view.DagSvg}</div><p class="hint"><a href="/charts/dag.svg?date={date}">DAG as SVG</a></p>""");
        html.Append("</section>");
    }

    private static void Runs(StringBuilder html, IReadOnlyList<RunHistory.Run> runs)
    {
        html.Append("""<section id="runs"><h2>Recent runs</h2>""");
        if (runs.Count == 0)
        {
            html.Append("<p>No task has run yet.</p></section>");
            return;
        }
        html.Append("<table class=\"grid\"><thead><tr><th>Started (UTC)</th><th>Task</th><th>Parameters</th><th>State</th>" +
                    "<th class=\"num\">Duration</th><th class=\"num\">Rows</th><th>Checks</th></tr></thead><tbody>");
        foreach (var run in runs)
        {
            var failed = run.State != "succeeded";
            var passed = run.Checks.Count(c => c.Passed);
            html.Append($"""
                <tr class="{(failed ? "failed" : "ok")}"><td>{run.StartedAt.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)}</td>
                <td>{HtmlEncode(run.Task)}</td><td title="{HtmlEncode(run.TaskKey)}">{HtmlEncode(Parameters(run.Parameters))}</td>
                <td><span class="state {(failed ? "failed" : "ok")}">{HtmlEncode(run.State)}</span></td>
                <td class="num">{Duration(run.DurationMs)}</td><td class="num">{(run.RowsWritten is { } rows ? rows.ToString("N0", CultureInfo.InvariantCulture) : "")}</td>
                <td>{(run.Checks.Count == 0 ? "" : $"{passed} of {run.Checks.Count} passed")}</td></tr>
                """);
            if (failed)
            {
                var context = run.FailureReport ?? run.Error ?? "(no context was recorded)";
                var failedChecks = string.Join(", ", run.Checks.Where(c => !c.Passed).Select(c => c.CheckName));
                html.Append($"""
                    <tr class="context"><td colspan="7"><details><summary>Why it failed{(failedChecks.Length > 0 ? $": {HtmlEncode(failedChecks)}" : "")}</summary>
                    <pre>{HtmlEncode(context.TrimEnd())}</pre></details></td></tr>
                    """);
            }
        }
        html.Append("</tbody></table></section>");
    }

    private static void ModelCard(StringBuilder html, DashboardData.ModelCard? model)
    {
        html.Append("""<section id="model"><h2>Model card</h2>""");
        if (model is null)
        {
            html.Append("<p>No model has been selected yet (<code>inspections train --date YYYY-MM-DD</code>).</p></section>");
            return;
        }
        html.Append($"""
            <table class="card">
            <tr><th>Model</th><td><code>{HtmlEncode(model.ModelId)}</code></td></tr>
            <tr><th>Algorithm</th><td>{HtmlEncode(model.Algorithm)} <span class="hint">({HtmlEncode(model.Candidate)})</span></td></tr>
            <tr><th>Hyper-parameters</th><td>{HtmlEncode(FlatJson(model.HyperParameters))}</td></tr>
            <tr><th>Trained on</th><td>{D(model.TrainedOn)}</td></tr>
            <tr><th>Training window</th><td>{D(model.TrainingWindowStart)} to {D(model.TrainingWindowEnd)} ({model.TrainingRows:N0} rows)</td></tr>
            <tr><th>Selected by</th><td>{HtmlEncode(model.SelectionMetric)} = {N(model.SelectionValue, "0.000")}</td></tr>
            <tr><th>Threshold</th><td id="threshold">{N(model.Threshold, "0.000")} <span class="hint">({HtmlEncode(model.ThresholdRule)})</span></td></tr>
            <tr><th>Features</th><td>{HtmlEncode(FlatJson(model.Features))}</td></tr>
            </table>
            <h3>Validation folds</h3>
            {FoldMetrics(model.FoldMetrics)}
            </section>
            """);
    }

    private static void Bias(StringBuilder html, DashboardData.ModelCard? model, IReadOnlyList<DashboardData.BiasRow> rows)
    {
        if (model is null) return;
        html.Append("""<section id="bias"><h2>Bias audit</h2>""");
        if (rows.Count == 0)
        {
            html.Append("<p>No bias audit is stored for this model.</p></section>");
            return;
        }
        html.Append($"""
            <p class="hint">Each metric with its disparity against the attribute's reference group (the largest, marked ★) below it;
            a disparity outside {ParityLow}–{ParityHigh} is <span class="disparity">highlighted</span>.</p>
            <table class="grid bias"><thead><tr><th>Attribute</th><th>Group</th><th class="num">Size</th><th class="num">Prevalence</th>
            <th class="num">Predicted positive</th><th class="num">FPR</th><th class="num">FNR</th><th class="num">FDR</th><th class="num">FOR</th><th class="num">Precision</th></tr></thead><tbody>
            """);
        foreach (var row in rows)
        {
            html.Append($"""
                <tr><td>{HtmlEncode(row.Attribute)}</td><td>{HtmlEncode(row.GroupValue)}{(row.IsReference ? " ★" : "")}</td>
                <td class="num">{row.GroupSize:N0}</td><td class="num">{N(row.Prevalence, "0.000")}</td>
                {Metric(row.PredictedPositiveRate, row.PprDisparity)}{Metric(row.Fpr, row.FprDisparity)}{Metric(row.Fnr, row.FnrDisparity)}
                {Metric(row.Fdr, row.FdrDisparity)}{Metric(row.FalseOmissionRate, row.ForDisparity)}{Metric(row.Precision, row.PrecisionDisparity)}</tr>
                """);
        }
        html.Append("</tbody></table></section>");
    }

    public static bool OutsideParity(double? disparity) => disparity is { } x && (x < ParityLow || x > ParityHigh);

    private static string Metric(double? value, double? disparity)
    {
        var flagged = OutsideParity(disparity);
        var ratio = disparity is { } x ? $"<small>×{N(x, "0.00")}</small>" : "";
        return $"""<td class="num{(flagged ? " disparity" : "")}">{N(value, "0.000")}<br>{ratio}</td>""";
    }

    /// <summary>Folds as a table whatever the JSON holds: an array of objects (one per fold) or an object of them.</summary>
    private static string FoldMetrics(string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            var folds = document.RootElement.ValueKind switch
            {
                JsonValueKind.Array => document.RootElement.EnumerateArray().Select((f, i) => ((i + 1).ToString(CultureInfo.InvariantCulture), f)).ToList(),
                JsonValueKind.Object => document.RootElement.EnumerateObject().Select(p => (p.Name, p.Value)).ToList(),
                _ => [],
            };
            if (folds.Count == 0 || folds.Any(f => f.Item2.ValueKind != JsonValueKind.Object))
                return $"<pre>{HtmlEncode(json)}</pre>";
            var columns = folds.SelectMany(f => f.Item2.EnumerateObject().Select(p => p.Name)).Distinct().ToList();
            var table = new StringBuilder("<table class=\"grid folds\"><thead><tr><th>Fold</th>");
            foreach (var column in columns.Where(c => c != "fold")) table.Append($"<th class=\"num\">{HtmlEncode(column.Replace('_', ' '))}</th>");
            table.Append("</tr></thead><tbody>");
            foreach (var (name, fold) in folds)
            {
                var label = fold.TryGetProperty("fold", out var f) ? Cell(f) : name;
                table.Append($"<tr><td>{HtmlEncode(label)}</td>");
                foreach (var column in columns.Where(c => c != "fold"))
                    table.Append($"<td class=\"num\">{(fold.TryGetProperty(column, out var v) ? HtmlEncode(Cell(v)) : "")}</td>");
                table.Append("</tr>");
            }
            return table.Append("</tbody></table>").ToString();
        }
        catch (JsonException)
        {
            return $"<pre>{HtmlEncode(json)}</pre>";
        }
    }

    private static string Cell(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Number when value.TryGetInt64(out var i) => i.ToString("N0", CultureInfo.InvariantCulture),
        JsonValueKind.Number => value.GetDouble().ToString("0.000", CultureInfo.InvariantCulture),
        JsonValueKind.String => value.GetString() ?? "",
        JsonValueKind.Null => "",
        _ => value.GetRawText(),
    };

    /// <summary>A JSON object as <c>k=v, k=v</c>, an array as <c>a, b</c> (file paths shortened to their names).</summary>
    public static string FlatJson(string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            var root = document.RootElement;
            return root.ValueKind switch
            {
                JsonValueKind.Object => string.Join(", ", root.EnumerateObject().Select(p => $"{p.Name}={Short(Cell(p.Value))}")),
                JsonValueKind.Array => string.Join(", ", root.EnumerateArray().Select(Cell)),
                _ => Cell(root),
            };
        }
        catch (JsonException)
        {
            return json;
        }
    }

    private static string Parameters(string json) => FlatJson(json);

    private static string Short(string value) => value.Contains('/') ? Path.GetFileName(value) : value;

    private static string DatePicker(DashboardView view)
    {
        if (view.History.Count == 0) return "";
        var options = new StringBuilder();
        foreach (var drift in view.History.Reverse())
        {
            var date = drift.Date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
            var selected = view.Drift?.Date == drift.Date ? " selected" : "";
            options.Append($"""<option value="{date}"{selected}>{date} ({HtmlEncode(drift.Status)})</option>""");
        }
        return $"""<form method="get" action="/" class="picker"><label for="date">Monitored date</label> <select id="date" name="date">{options}</select> <button type="submit">Show</button></form>""";
    }

    private static string DateLink(DateOnly date)
    {
        var text = date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        return $"""<a href="/?date={text}">{text}</a>""";
    }

    private static string Duration(double ms) =>
        ms < 1000 ? $"{ms:0} ms" : ms < 120_000 ? $"{ms / 1000:0.0} s" : $"{ms / 60_000:0.0} min";

    private static string D(DateTime date) => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static string N(double? value, string format) => value is { } x && double.IsFinite(x) ? x.ToString(format, CultureInfo.InvariantCulture) : "–";

    private const string Css = """
        :root { --ink: #1d2329; --muted: #5b6670; --line: #d8dee4; --bg: #f4f6f8; }
        * { box-sizing: border-box; }
        body { margin: 0; font-family: "DejaVu Sans", system-ui, sans-serif; font-size: 14px; color: var(--ink); background: var(--bg); line-height: 1.45; }
        header { display: flex; flex-wrap: wrap; align-items: center; justify-content: space-between; gap: 12px; padding: 14px 28px; background: #203040; color: white; }
        header h1 { font-size: 19px; margin: 0; font-weight: 600; }
        .picker { font-size: 14px; } .picker select, .picker button { font: inherit; padding: 3px 6px; }
        main { max-width: 1240px; margin: 0 auto; padding: 16px 24px 40px; }
        section { background: white; border: 1px solid var(--line); border-radius: 8px; padding: 14px 20px 18px; margin: 16px 0; }
        h2 { font-size: 17px; margin: 0 0 10px; } h3 { font-size: 15px; margin: 18px 0 8px; }
        figure { margin: 0; } figcaption, .hint { color: var(--muted); font-size: 12.5px; }
        .chart svg, .dag svg { display: block; max-width: 100%; height: auto; }
        .dag { overflow-x: auto; }
        .scores { display: grid; grid-template-columns: minmax(0, 1fr) 340px; gap: 20px; align-items: start; }
        @media (max-width: 900px) { .scores { grid-template-columns: 1fr; } }
        .stats table { width: 100%; border-collapse: collapse; }
        .stats th { text-align: left; font-weight: normal; color: var(--muted); padding: 3px 8px 3px 0; white-space: nowrap; vertical-align: top; }
        .stats td { text-align: right; font-variant-numeric: tabular-nums; padding: 3px 0; }
        .status { font-size: 16px; padding: 8px 12px; border-radius: 6px; margin: 0 0 10px; }
        .status.ok { background: #e3f4e4; color: #1b5e20; } .status.warn { background: #fff3d6; color: #7a4f00; } .status.alert { background: #fde2e1; color: #a31515; }
        table.grid { border-collapse: collapse; width: 100%; font-size: 13px; }
        table.grid th, table.grid td { border-bottom: 1px solid var(--line); padding: 5px 8px; text-align: left; vertical-align: top; }
        table.grid thead th { background: #eef1f4; font-weight: 600; }
        .num { text-align: right !important; font-variant-numeric: tabular-nums; }
        .state { padding: 1px 8px; border-radius: 10px; font-size: 12px; }
        .state.ok { background: #e3f4e4; color: #1b5e20; } .state.failed { background: #c62828; color: white; }
        tr.failed td { background: #fff5f5; } tr.context td { background: #fff5f5; padding-top: 0; }
        details summary { cursor: pointer; color: #a31515; }
        pre { background: #1e1e1e; color: #f0f0f0; padding: 10px 12px; border-radius: 6px; overflow-x: auto; font-size: 12px; }
        table.card th { text-align: left; color: var(--muted); font-weight: normal; padding: 3px 16px 3px 0; vertical-align: top; }
        table.card td { padding: 3px 0; }
        table.grid.folds { width: auto; min-width: 50%; }

        td.disparity { background: #ffe0b2; color: #8a3a00; font-weight: 600; } span.disparity { background: #ffe0b2; padding: 0 4px; }
        small { color: var(--muted); } td.disparity small { color: #8a3a00; }
        .notice { border-left: 5px solid #2f6fad; } .notice.problem { border-left-color: #c62828; }
        p.problem { color: #a31515; }
        code { font-size: 12.5px; background: #eef1f4; padding: 0 4px; border-radius: 3px; }
        a { color: #1f5fa0; }
        """;
}
