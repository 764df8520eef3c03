namespace Inspections.Features;

/// <summary>
/// The place block: how the establishment's neighbourhood has been doing lately. Failures cluster in space and
/// time (shared landlords, pests, suppliers, and which inspector covers the area, which the open data does not say),
/// so the recent results of other licences nearby, and in the same ZIP code, say something about the next one.
/// </summary>
/// <remarks>
/// <para>Per (as-of date T, licence L), over the pass/fail inspections of other licences in a window [T - m months, T),
/// p_m being the city-wide fail share of the same window (every licence; 0 when the window has no inspection):</para>
/// <list type="bullet">
/// <item><c>nearby_fail_{m}m_{b}km</c>: a Gaussian kernel-weighted fail rate around L, bandwidth b km, smoothed toward
/// p_m: (sum K fail + 2 p_m) / (sum K + 2); <c>nearby_bad_12m_1km</c> the same with fail or pass with conditions, toward
/// the city-wide share of those.</item>
/// <item><c>zip_fail_{m}m</c>: (fails + 20 p_m) / (pass/fail inspections + 20) in L's ZIP code (p_m without one).</item>
/// </list>
/// <para>
/// On a grid, not between pairs of inspections (a million of them would make 10^12 pairs): inspections are counted per
/// square cell of b km (<see cref="FeatureEvents.Cell"/>), and the kernel is K = w(dx) w(dy) / 10^6 over the cell offsets
/// (dx, dy) between an inspection's cell and L's, w(d) = round(1000 exp(-d^2 / 2)) for |d| &lt;= 3 cells (3 bandwidths) and
/// 0 beyond. Weights and counts are integers, so every sum is exact, whatever the order. (Cells of b/2 km scored the same
/// on the validation folds for four times the cells.) L's place is the cell of its last inspection before T; without
/// coordinates there, every kernel rate is its prior.
/// </para>
/// <para>
/// <see cref="Windows"/> keeps, per window, the counts per cell and per ZIP code of the inspections in it, sliding as the
/// as-of dates advance: each inspection enters every window once and leaves it once.
/// </para>
/// </remarks>
internal static class PlaceFeatures
{
    public static IReadOnlyList<string> Columns { get; } =
    [
        "nearby_fail_12m_1km", "nearby_fail_12m_2km", "nearby_fail_6m_1km", "nearby_fail_3m_1km", "nearby_fail_3m_2km",
        "nearby_fail_2m_1km", "nearby_fail_2m_2km", "nearby_bad_12m_1km", "zip_fail_12m", "zip_fail_24m",
    ];

    /// <summary>The windows, in months.</summary>
    public static IReadOnlyList<int> Months { get; } = [2, 3, 6, 12, 24];

    /// <summary>w(d) for d = -3..3 (index d + 3): the kernel along one axis, in thousandths.</summary>
    public static IReadOnlyList<int> Taps { get; } = [11, 135, 607, 1000, 607, 135, 11];

    /// <summary>The kernel weight (in millionths) of a cell offset.</summary>
    public static int Weight(int dx, int dy) => Math.Abs(dx) > 3 || Math.Abs(dy) > 3 ? 0 : Taps[dx + 3] * Taps[dy + 3];

    private static long CellKey(int x, int y) => ((long)x << 32) | (uint)y;

    /// <summary>The pass/fail inspections in each window [T - m months, T) of the current as-of date T.</summary>
    public sealed class Windows(FeatureEvents events)
    {
        private const int Sums = 3; // inspections, fails, fails or passes with conditions
        private readonly int[] _starts = new int[Months.Count]; // per window: the first inspection still in it
        private int _end;                                       // the first inspection on or after T
        private readonly long[] _city = new long[Months.Count * Sums];
        private readonly Dictionary<long, int[]>[] _cells = [new(), new()]; // per grid: cell -> (window x sums)
        private readonly int[] _zipOutcomes = new int[events.Zips.Count * Months.Count];
        private readonly int[] _zipFails = new int[events.Zips.Count * Months.Count];

        private readonly int[] _startDays = new int[Months.Count];

        /// <summary>Moves every window to end at <paramref name="asOf"/>; as-of dates come in increasing order.</summary>
        public void MoveTo(DateOnly asOf)
        {
            var end = asOf.DayNumber;
            for (var m = 0; m < Months.Count; m++) _startDays[m] = asOf.AddMonths(-Months[m]).DayNumber;
            for (; _end < events.Count && events.Day[_end] < end; _end++)
                for (var m = 0; m < Months.Count; m++) Count(_end, m, +1);
            for (var m = 0; m < Months.Count; m++)
                for (; _starts[m] < _end && events.Day[_starts[m]] < _startDays[m]; _starts[m]++) Count(_starts[m], m, -1);
        }

        private void Count(int i, int m, int sign)
        {
            if (!events.Decided[i]) return;
            var failed = events.Failed[i] ? sign : 0;
            var bad = events.Bad[i] ? sign : 0;
            _city[m * Sums] += sign;
            _city[m * Sums + 1] += failed;
            _city[m * Sums + 2] += bad;
            var zip = events.Zip[i];
            if (zip >= 0)
            {
                _zipOutcomes[zip * Months.Count + m] += sign;
                _zipFails[zip * Months.Count + m] += failed;
            }
            if (events.X1[i] == FeatureEvents.NoCell) return;
            for (var g = 0; g < 2; g++)
            {
                var key = g == 0 ? CellKey(events.X1[i], events.Y1[i]) : CellKey(events.X2[i], events.Y2[i]);
                if (!_cells[g].TryGetValue(key, out var sums)) _cells[g][key] = sums = new int[Months.Count * Sums];
                sums[m * Sums] += sign;
                sums[m * Sums + 1] += failed;
                sums[m * Sums + 2] += bad;
            }
        }

        /// <summary>City-wide fail share of window <paramref name="m"/> (an index into <see cref="Months"/>), or of fails and passes with conditions.</summary>
        public double Prior(int m, bool bad = false)
        {
            var outcomes = _city[m * Sums];
            return outcomes == 0 ? 0 : (double)_city[m * Sums + (bad ? 2 : 1)] / outcomes;
        }

        /// <summary>Kernel-weighted sums (in millionths) per window x sums around a cell of grid <paramref name="grid"/> (0: 1 km, 1: 2 km).</summary>
        public double[] KernelSums(int grid, int x, int y)
        {
            var result = new double[Months.Count * Sums];
            for (var dx = -3; dx <= 3; dx++)
                for (var dy = -3; dy <= 3; dy++)
                {
                    if (!_cells[grid].TryGetValue(CellKey(x + dx, y + dy), out var sums)) continue;
                    double w = Weight(dx, dy);
                    for (var s = 0; s < sums.Length; s++) result[s] += w * sums[s];
                }
            return result;
        }

        /// <summary>
        /// The block for a licence whose last inspection before the as-of date is <paramref name="last"/> and whose pass/fail
        /// inspections before it are among <paramref name="own"/> (taken out: other licences only), at the as-of date of the last
        /// <see cref="MoveTo"/>. <paramref name="kernels"/> caches the kernel sums per cell for that as-of date.
        /// </summary>
        public void Compute(int last, ReadOnlySpan<int> own, Dictionary<(int, long), double[]> kernels, Span<double> into)
        {
            var placed = events.X1[last] != FeatureEvents.NoCell;
            var sums = new double[2][];
            for (var g = 0; g < 2 && placed; g++)
            {
                var (x, y) = g == 0 ? (events.X1[last], events.Y1[last]) : (events.X2[last], events.Y2[last]);
                if (!kernels.TryGetValue((g, CellKey(x, y)), out var all)) kernels[(g, CellKey(x, y))] = all = KernelSums(g, x, y);
                sums[g] = (double[])all.Clone();
            }
            var zip = events.Zip[last];
            var zipOutcomes = new int[Months.Count];
            var zipFails = new int[Months.Count];
            for (var m = 0; m < Months.Count; m++)
                if (zip >= 0)
                {
                    zipOutcomes[m] = _zipOutcomes[zip * Months.Count + m];
                    zipFails[m] = _zipFails[zip * Months.Count + m];
                }
            foreach (var i in own)
            {
                if (!events.Decided[i]) continue;
                for (var m = 0; m < Months.Count; m++)
                {
                    if (events.Day[i] < _startDays[m]) continue;
                    if (zip >= 0 && events.Zip[i] == zip)
                    {
                        zipOutcomes[m]--;
                        if (events.Failed[i]) zipFails[m]--;
                    }
                    if (!placed || events.X1[i] == FeatureEvents.NoCell) continue;
                    for (var g = 0; g < 2; g++)
                    {
                        double w = g == 0 ? Weight(events.X1[i] - events.X1[last], events.Y1[i] - events.Y1[last])
                                          : Weight(events.X2[i] - events.X2[last], events.Y2[i] - events.Y2[last]);
                        sums[g][m * Sums] -= w;
                        if (events.Failed[i]) sums[g][m * Sums + 1] -= w;
                        if (events.Bad[i]) sums[g][m * Sums + 2] -= w;
                    }
                }
            }
            double Rate(int g, int months, int which, double towards)
            {
                var m = IndexOf(months);
                double weight = placed ? sums[g][m * Sums] : 0, hits = placed ? sums[g][m * Sums + which] : 0;
                return (hits / 1e6 + 2 * towards) / (weight / 1e6 + 2);
            }
            double Zip(int months)
            {
                var m = IndexOf(months);
                return (zipFails[m] + 20 * Prior(m)) / (zipOutcomes[m] + 20);
            }
            into[0] = Rate(0, 12, 1, Prior(IndexOf(12)));
            into[1] = Rate(1, 12, 1, Prior(IndexOf(12)));
            into[2] = Rate(0, 6, 1, Prior(IndexOf(6)));
            into[3] = Rate(0, 3, 1, Prior(IndexOf(3)));
            into[4] = Rate(1, 3, 1, Prior(IndexOf(3)));
            into[5] = Rate(0, 2, 1, Prior(IndexOf(2)));
            into[6] = Rate(1, 2, 1, Prior(IndexOf(2)));
            into[7] = Rate(0, 12, 2, Prior(IndexOf(12), bad: true));
            into[8] = Zip(12);
            into[9] = Zip(24);
        }

        private static int IndexOf(int months)
        {
            for (var m = 0; m < Months.Count; m++)
                if (Months[m] == months) return m;
            throw new ArgumentOutOfRangeException(nameof(months));
        }
    }
}
