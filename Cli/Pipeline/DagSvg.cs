using System.Globalization;
using System.Xml.Linq;

namespace Inspections.Pipeline;

/// <summary>
/// The DAG as an SVG picture (<c>dag --svg</c> and the dashboard): one rounded box per task instance,
/// coloured by state, laid out left to right by depth (the longest path from a root), with arrows
/// from each upstream instance to the instance that needs it. The output depends only on the nodes
/// and their order, so the same DAG always gives the same bytes.
/// </summary>
internal static class DagSvg
{
    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";

    // Narrow enough that the weekly DAG's nine columns fit a dashboard section (about 1,150 px) at a scale that keeps
    // the 11.5 px labels at 11 px or more; the tooltip has the full key.
    private const int NodeWidth = 116;
    private const int NodeHeight = 76;
    private const int ColumnGap = 14;
    private const int RowGap = 18;
    private const int Margin = 16;
    private const int LegendHeight = 28;

    /// <summary>Vertical distance between the lanes below the boxes that carry edges skipping a column.</summary>
    private const int LaneGap = 7;

    /// <summary>Parameter text longer than this is cut with an ellipsis (about the box width at 11.5 px).</summary>
    private const int MaxParameterChars = 15;

    private const double LabelSize = 11.5;

    public static string FillOf(DagState state) => state switch
    {
        DagState.Complete => "#2e7d32",
        DagState.Failed => "#c62828",
        _ => "#9e9e9e",
    };

    public static string LabelOf(DagState state) => state switch
    {
        DagState.Complete => "complete",
        DagState.Failed => "failed",
        _ => "not run",
    };

    public static string Render(IReadOnlyList<DagNode> nodes)
    {
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < nodes.Count; i++) index.TryAdd(nodes[i].Key, i);
        var depths = Depths(nodes, index);
        var columns = nodes.Select((node, i) => (node, i)).GroupBy(n => depths[n.i]).OrderBy(g => g.Key).ToList();
        var rows = columns.Count == 0 ? 0 : columns.Max(c => c.Count());

        // An edge that skips a column would pass behind the boxes between: it runs in a lane of its own below them.
        var longEdges = nodes
            .Select((node, i) =>
                node.UpstreamKeys.Count(u => index.TryGetValue(u, out var j) && depths[i] - depths[j] > 1))
            .Sum();
        var boxesBottom = Margin + LegendHeight + Math.Max(1, rows) * (NodeHeight + RowGap) - RowGap;
        var width = Math.Max(1, columns.Count) * (NodeWidth + ColumnGap) - ColumnGap + 2 * Margin;
        var height = boxesBottom + Margin + (longEdges > 0 ? longEdges * LaneGap + 6 : 0);
        var positions = new (double X, double Y)[nodes.Count];
        foreach (var column in columns)
        {
            var row = 0;
            foreach (var (_, i) in column)
                positions[i] = (
                    Margin + column.Key * (NodeWidth + ColumnGap),
                    Margin + LegendHeight + row++ * (NodeHeight + RowGap));
        }

        var svg = new XElement(Svg + "svg",
            new XAttribute("width", width), new XAttribute("height", height),
            new XAttribute("viewBox", $"0 0 {width} {height}"),
            new XAttribute("font-family", "DejaVu Sans, sans-serif"),
            new XAttribute("role", "img"),
            new XElement(Svg + "title",
                nodes.Count == 0 ? "Pipeline DAG: no tasks" : $"Pipeline DAG: {nodes.Count} task instances"),
            new XElement(Svg + "defs",
                new XElement(Svg + "marker",
                    new XAttribute("id", "dag-arrow"), new XAttribute("viewBox", "0 0 10 10"),
                    new XAttribute("refX", 10), new XAttribute("refY", 5),
                    new XAttribute("markerWidth", 8), new XAttribute("markerHeight", 8),
                    new XAttribute("orient", "auto-start-reverse"),
                    new XElement(Svg + "path",
                        new XAttribute("d", "M 0 0 L 10 5 L 0 10 z"), new XAttribute("fill", "#555")))),
            new XElement(Svg + "rect",
                new XAttribute("width", width), new XAttribute("height", height), new XAttribute("fill", "white")),
            Legend());

        if (nodes.Count == 0)
            svg.Add(Text(Margin, Margin + LegendHeight + 20, "No task instances.", 13, "#333"));

        var lane = 0;
        for (var i = 0; i < nodes.Count; i++)
            foreach (var upstream in nodes[i].UpstreamKeys)
            {
                if (!index.TryGetValue(upstream, out var from)) continue;
                var laneY = depths[i] - depths[from] > 1 ? boxesBottom + 6 + lane++ * LaneGap : (double?)null;
                svg.Add(Edge(nodes[from], positions[from], nodes[i], positions[i], laneY));
            }
        for (var i = 0; i < nodes.Count; i++) svg.Add(Node(nodes[i], positions[i]));

        return svg.ToString(SaveOptions.DisableFormatting);
    }

    /// <summary>
    /// Longest path from a root, counted in edges; upstream keys not among the nodes are ignored, and so is any cycle.
    /// </summary>
    private static int[] Depths(IReadOnlyList<DagNode> nodes, Dictionary<string, int> index)
    {
        var depths = new int[nodes.Count];
        var state = new byte[nodes.Count]; // 0 new, 1 visiting, 2 done

        int Visit(int i)
        {
            if (state[i] == 2) return depths[i];
            if (state[i] == 1) return 0;
            state[i] = 1;
            var depth = 0;
            foreach (var upstream in nodes[i].UpstreamKeys)
                if (index.TryGetValue(upstream, out var j) && j != i) depth = Math.Max(depth, Visit(j) + 1);
            state[i] = 2;
            return depths[i] = depth;
        }

        for (var i = 0; i < nodes.Count; i++) Visit(i);
        return depths;
    }

    private static XElement Node(DagNode node, (double X, double Y) at)
    {
        var dark = node.State != DagState.NotRun;
        var ink = dark ? "white" : "#1a1a1a";
        // The box has room for the day and time of the last run; the tooltip has the full key and timestamp.
        var status = LabelOf(node.State) +
            (node.LastRunAt is { } ran ? $" · {ran.ToString("MM-dd", CultureInfo.InvariantCulture)}" : "");
        // The date on a line of its own, then the other parameters (the source, check overrides), then the state.
        var parameters = ParametersOf(node.Key).Split(" · ", 2);
        var tooltip = DisplayKey(node.Key) +
            (node.LastRunAt is { } last
                ? $"\nlast run {last.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)} UTC"
                : "");
        return new XElement(Svg + "g",
            new XAttribute("class", "node"), new XAttribute("data-key", DisplayKey(node.Key)),
            new XAttribute("data-state", LabelOf(node.State)),
            new XElement(Svg + "title", tooltip),
            new XElement(Svg + "rect",
                new XAttribute("x", F(at.X)), new XAttribute("y", F(at.Y)),
                new XAttribute("width", NodeWidth), new XAttribute("height", NodeHeight),
                new XAttribute("rx", 9), new XAttribute("ry", 9),
                new XAttribute("fill", FillOf(node.State)), new XAttribute("stroke", "#333"),
                new XAttribute("stroke-width", 1)),
            Text(at.X + 8, at.Y + 18, node.Task, 13, ink, bold: true),
            Text(at.X + 8, at.Y + 35, Abbreviate(parameters[0]), LabelSize, ink),
            parameters.Length > 1 ? Text(at.X + 8, at.Y + 51, Abbreviate(parameters[1]), LabelSize, ink) : null,
            Text(at.X + 8, at.Y + 67, status, LabelSize, ink));
    }

    /// <param name="laneY">For an edge that skips columns: the height of its lane below the boxes.</param>
    private static XElement Edge(
        DagNode from,
        (double X, double Y) a,
        DagNode to,
        (double X, double Y) b,
        double? laneY)
    {
        double x1 = a.X + NodeWidth, y1 = a.Y + NodeHeight / 2.0, x2 = b.X - 2, y2 = b.Y + NodeHeight / 2.0;
        var bend = Math.Max(20, (x2 - x1) / 2);
        // Down in the gap right of the source's column, along the lane, up in the gap left of the target's.
        var path = laneY is { } y
            ? $"M {F(x1)} {F(y1)} H {F(x1 + ColumnGap / 2.0 - 4)} V {F(y)} " +
              $"H {F(x2 - ColumnGap / 2.0 + 4)} V {F(y2)} H {F(x2)}"
            : $"M {F(x1)} {F(y1)} C {F(x1 + bend)} {F(y1)}, {F(x2 - bend)} {F(y2)}, {F(x2)} {F(y2)}";
        return new XElement(Svg + "path",
            new XAttribute("class", "edge"), new XAttribute("data-from", DisplayKey(from.Key)),
            new XAttribute("data-to", DisplayKey(to.Key)),
            new XAttribute("d", path), new XAttribute("stroke-linejoin", "round"),
            new XAttribute("fill", "none"), new XAttribute("stroke", "#555"), new XAttribute("stroke-width", 1.5),
            new XAttribute("marker-end", "url(#dag-arrow)"));
    }

    private static XElement Legend()
    {
        var legend = new XElement(Svg + "g", new XAttribute("class", "legend"));
        var x = (double)Margin;
        foreach (var state in new[] { DagState.Complete, DagState.Failed, DagState.NotRun })
        {
            legend.Add(new XElement(Svg + "rect",
                new XAttribute("x", F(x)), new XAttribute("y", Margin - 2),
                new XAttribute("width", 12), new XAttribute("height", 12),
                new XAttribute("rx", 3), new XAttribute("fill", FillOf(state))));
            legend.Add(Text(x + 17, Margin + 8, LabelOf(state), LabelSize, "#333"));
            x += 95;
        }
        return legend;
    }

    private static XElement Text(double x, double y, string text, double size, string fill, bool bold = false)
    {
        var element = new XElement(Svg + "text",
            new XAttribute("x", F(x)), new XAttribute("y", F(y)),
            new XAttribute("font-size", F(size)), new XAttribute("fill", fill), text);
        if (bold) element.Add(new XAttribute("font-weight", "bold"));
        return element;
    }

    /// <summary>
    /// The values of <c>name(k1=v1, k2=v2; check.x=y)</c>, a file source shortened to its name:
    /// "2024-01-07 · food.csv · check.x=y".
    /// </summary>
    public static string ParametersOf(string key)
    {
        var open = key.IndexOf('(');
        if (open < 0 || !key.EndsWith(')')) return "";
        var inner = key[(open + 1)..^1];
        var parts = inner.Split([", ", "; "], StringSplitOptions.RemoveEmptyEntries).Select(part =>
        {
            if (part.StartsWith("check.", StringComparison.Ordinal)) return part;
            var value = part[(part.IndexOf('=') + 1)..];
            return value.Contains('/') ? Path.GetFileName(value) : value;
        });
        return string.Join(" · ", parts);
    }

    /// <summary>
    /// The key with file sources shortened to their names: the picture is shared (README, dashboard), the folders are
    /// nobody's business.
    /// </summary>
    public static string DisplayKey(string key) =>
        System.Text.RegularExpressions.Regex.Replace(key, @"source=(/[^,;)]*/)([^/,;)]+)", "source=$2");

    private static string Abbreviate(string text) =>
        text.Length <= MaxParameterChars ? text : text[..(MaxParameterChars - 1)] + "…";

    private static string F(double value) => value.ToString("0.##", CultureInfo.InvariantCulture);
}
