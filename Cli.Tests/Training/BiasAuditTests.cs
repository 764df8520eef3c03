using Inspections.Training;

namespace Inspections.Tests.Training;

public sealed class BiasAuditTests
{
    // Threshold 0.5. Group "a" (6 rows, the reference): flagged 0.9 fail, 0.7 pass, 0.6 fail; not flagged
    // 0.3 fail, 0.2 pass, 0.1 pass. Group "b" (4 rows, no fail): flagged 0.8, 0.6; not flagged 0.4, 0.3.
    internal static readonly AuditRow[] Rows =
    [
        new(0.9, true, "a", "high", "north"), new(0.7, false, "a", "high", "north"),
        new(0.6, true, "a", "high", "south"), new(0.3, true, "a", "low", "south"),
        new(0.2, false, "a", "low", "north"), new(0.1, false, "a", "low", "south"),
        new(0.8, false, "b", "high", "north"), new(0.4, false, "b", "low", "south"),
        new(0.3, false, "b", "low", "north"), new(0.6, false, "b", "high", "south"),
    ];

    [Fact]
    public void Audit_rates_and_disparities_match_a_hand_computed_example()
    {
        var audit = BiasAudit.Compute(Rows, threshold: 0.5);
        var a = audit.Single(g => g.Attribute == "facility_group" && g.GroupValue == "a");
        var b = audit.Single(g => g.Attribute == "facility_group" && g.GroupValue == "b");

        a.IsReference.ShouldBeTrue();
        a.GroupSize.ShouldBe(6);
        a.Prevalence!.Value.ShouldBe(0.5, 1e-12);
        a.PredictedPositiveRate!.Value.ShouldBe(0.5, 1e-12);
        a.Tpr!.Value.ShouldBe(2.0 / 3, 1e-12);
        a.Fpr!.Value.ShouldBe(1.0 / 3, 1e-12);
        a.Fnr!.Value.ShouldBe(1.0 / 3, 1e-12);
        a.Fdr!.Value.ShouldBe(1.0 / 3, 1e-12);
        a.FalseOmissionRate!.Value.ShouldBe(1.0 / 3, 1e-12);
        a.Precision!.Value.ShouldBe(2.0 / 3, 1e-12);

        b.IsReference.ShouldBeFalse();
        b.Prevalence!.Value.ShouldBe(0);
        b.Tpr.ShouldBeNull();   // no fail in the group: undefined, not 0
        b.Fnr.ShouldBeNull();
        b.Fpr!.Value.ShouldBe(0.5, 1e-12);
        b.Fdr!.Value.ShouldBe(1.0, 1e-12);
        b.FalseOmissionRate!.Value.ShouldBe(0.0);
        b.Precision!.Value.ShouldBe(0.0);
        b.PprDisparity!.Value.ShouldBe(1.0, 1e-12);
        b.FprDisparity!.Value.ShouldBe(1.5, 1e-12);
        b.FdrDisparity!.Value.ShouldBe(3.0, 1e-12);
        b.ForDisparity!.Value.ShouldBe(0.0);
        b.TprDisparity.ShouldBeNull();
        BiasAudit.IsParity(b.PprDisparity).ShouldBeTrue();
        BiasAudit.IsParity(b.FprDisparity).ShouldBeFalse();
    }

    [Fact]
    public void The_reference_group_is_the_largest_of_each_attribute_ties_broken_by_name()
    {
        // facility_group: a has 6 rows, b 4; risk_level and area split 5/5, so the first name wins.
        var audit = BiasAudit.Compute(Rows, threshold: 0.5);
        audit.Where(g => g.IsReference).Select(g => $"{g.Attribute}={g.GroupValue}")
            .ShouldBe(["facility_group=a", "risk_level=high", "area=north"], ignoreOrder: true);
    }
}
