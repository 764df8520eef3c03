using System.Xml.Linq;
using Inspections.Pipeline;

namespace Inspections.Tests.Pipeline;

public sealed class DagSvgTests
{
    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";

    private static readonly DagNode[] Diamond =
    [
        new("ingest(date=2024-01-07, source=/data/food.csv)", "ingest", DagState.Complete, [],
            new DateTime(2024, 1, 8, 3, 0, 0, DateTimeKind.Utc)),
        new("clean(date=2024-01-07, source=/data/food.csv)", "clean", DagState.Complete,
            ["ingest(date=2024-01-07, source=/data/food.csv)"], null),
        new("train(date=2024-01-07, source=/data/food.csv)", "train", DagState.Failed,
            ["clean(date=2024-01-07, source=/data/food.csv)"], null),
        new("predict(date=2024-01-07, source=/data/food.csv)", "predict", DagState.NotRun,
            ["train(date=2024-01-07, source=/data/food.csv)", "clean(date=2024-01-07, source=/data/food.csv)"], null),
    ];

    private static XElement[] Nodes(XDocument svg) =>
        svg.Descendants(Svg + "g").Where(g => (string?)g.Attribute("class") == "node").ToArray();

    [Fact]
    public void Render_draws_one_box_per_task_coloured_by_state_and_one_arrow_per_dependency()
    {
        var svg = XDocument.Parse(DagSvg.Render(Diamond));

        svg.Root!.Name.ShouldBe(Svg + "svg");
        var nodes = Nodes(svg);
        nodes.Select(n => (string?)n.Attribute("data-key"))
            .ShouldBe(Diamond.Select(n => n.Key.Replace("source=/data/food.csv", "source=food.csv")));
        nodes.Select(n => (string?)n.Element(Svg + "rect")!.Attribute("fill"))
            .ShouldBe(["#2e7d32", "#2e7d32", "#c62828", "#9e9e9e"]);
        nodes.Select(n => n.Elements(Svg + "text").First().Value).ShouldBe(["ingest", "clean", "train", "predict"]);

        var edges = svg.Descendants(Svg + "path").Where(p => (string?)p.Attribute("class") == "edge")
            .Select(p => ((string?)p.Attribute("data-from"), (string?)p.Attribute("data-to"))).ToArray();
        edges.Length.ShouldBe(4);
        edges.ShouldContain((DagSvg.DisplayKey(Diamond[1].Key), DagSvg.DisplayKey(Diamond[3].Key)));
        edges.ShouldContain((DagSvg.DisplayKey(Diamond[2].Key), DagSvg.DisplayKey(Diamond[3].Key)));
    }

    [Fact]
    public void Render_places_each_task_one_column_right_of_its_deepest_upstream()
    {
        var svg = XDocument.Parse(DagSvg.Render(Diamond));

        var x = Nodes(svg)
            .Select(n => double.Parse((string)n.Element(Svg + "rect")!.Attribute("x")!,
                System.Globalization.CultureInfo.InvariantCulture))
            .ToArray();
        x[0].ShouldBeLessThan(x[1]);
        x[1].ShouldBeLessThan(x[2]);
        x[2].ShouldBeLessThan(x[3]); // predict needs clean and train: the longest path puts it after train
    }

    [Fact]
    public void Render_routes_an_edge_that_skips_a_column_below_the_boxes_instead_of_behind_them()
    {
        var svg = XDocument.Parse(DagSvg.Render(Diamond));

        var boxesBottom = Nodes(svg).Max(n => double.Parse((string)n.Element(Svg + "rect")!.Attribute("y")!,
            System.Globalization.CultureInfo.InvariantCulture) + 62);
        var edges = svg.Descendants(Svg + "path").Where(p => (string?)p.Attribute("class") == "edge").ToList();
        var skipping = edges.Single(p => (string?)p.Attribute("data-from") == DagSvg.DisplayKey(Diamond[1].Key)
                                         && (string?)p.Attribute("data-to") == DagSvg.DisplayKey(Diamond[3].Key));
        var vertical = ((string)skipping.Attribute("d")!).Split(' ').SkipWhile(t => t != "V").Skip(1).First();
        double.Parse(vertical, System.Globalization.CultureInfo.InvariantCulture).ShouldBeGreaterThan(boxesBottom);
        double.Parse((string)svg.Root!.Attribute("height")!, System.Globalization.CultureInfo.InvariantCulture)
            .ShouldBeGreaterThan(boxesBottom + 6);
        edges.Count(p => ((string)p.Attribute("d")!).Contains(" V ")).ShouldBe(1);
    }

    [Fact]
    public void Render_abbreviates_parameters_and_shows_the_state_in_words()
    {
        var svg = XDocument.Parse(DagSvg.Render(Diamond));

        var first = Nodes(svg)[0].Elements(Svg + "text").Select(t => t.Value).ToArray();
        first[1].ShouldBe("2024-01-07");
        first[2].ShouldBe("food.csv");
        first[3].ShouldBe("complete · 01-08");
        Nodes(svg)[3].Elements(Svg + "text").Last().Value.ShouldBe("not run");
        // no folders in a shared picture
        Nodes(svg)[0].Element(Svg + "title")!.Value
            .ShouldBe("ingest(date=2024-01-07, source=food.csv)\nlast run 2024-01-08 03:00:00 UTC");
    }

    [Fact]
    public void Render_is_deterministic_and_copes_with_no_nodes_unknown_upstreams_and_cycles()
    {
        DagSvg.Render(Diamond).ShouldBe(DagSvg.Render(Diamond));

        XDocument.Parse(DagSvg.Render([])).Root!.Value.ShouldContain("No task instances.");

        DagNode[] odd =
        [
            new("a()", "a", DagState.NotRun, ["b()", "missing()"], null),
            new("b()", "b", DagState.NotRun, ["a()"], null),
        ];
        var svg = XDocument.Parse(DagSvg.Render(odd));
        Nodes(svg).Length.ShouldBe(2);
        svg.Descendants(Svg + "path").Count(p => (string?)p.Attribute("class") == "edge").ShouldBe(2);
    }
}
