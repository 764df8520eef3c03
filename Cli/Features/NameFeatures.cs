using System.Text;
using System.Text.RegularExpressions;

namespace Inspections.Features;

/// <summary>
/// The name block: what other licences under the establishment's name have done. Chains and franchises
/// share kitchens, suppliers and habits, and one owner's places are often named alike, so the inspections of
/// other licences with the same name, and with each word of the name, say something the establishment's own
/// short history cannot.
/// </summary>
/// <remarks>
/// Per (as-of date T, licence L), L's name being the key (<see cref="Key"/>) of its last inspection before T, from
/// inspections before T, p being the city-wide fail share of the 12 months before T (<see cref="PlaceFeatures"/>):
/// <list type="bullet">
/// <item><c>name_licences</c>: other licences that had L's name key; <c>name_outcomes</c>: the pass/fail inspections
/// under that key of licences other than L; <c>name_fail_rate</c>: (their fails + 5 p) / (their pass/fail inspections + 5).
/// Without a key: 0, 0, p.</item>
/// <item>Per word w of L's key of three letters or more: (fails + 20 p) / (pass/fail inspections + 20) over the
/// inspections of other licences whose key has w; <c>name_word_min_rate</c>, <c>name_word_max_rate</c> (p without
/// words) and <c>name_word_excess</c>, the sum of (rate - p) over the words in their ordinal order (0 without).</item>
/// </list>
/// Totals of all licences grow as <see cref="Totals"/> is fed the inspections in date order; L's own inspections are
/// then taken out of them. (The same features of the first two words of the name scored no better on the validation folds.)
/// </remarks>
internal static partial class NameFeatures
{
    public static IReadOnlyList<string> Columns { get; } =
        ["name_licences", "name_outcomes", "name_fail_rate", "name_word_min_rate", "name_word_max_rate", "name_word_excess"];

    private static readonly HashSet<string> DroppedWords = ["INC", "LLC", "CORP", "CORPORATION", "CO", "LTD", "THE", "OF", "AND", "L", "C", "I"];

    [GeneratedRegex("#[0-9]+")]
    private static partial Regex NumberSign();

    /// <summary>
    /// A name's key: upper case (ASCII letters only), '&amp;' read as AND, '#' numbers dropped, every character but A-Z and
    /// space dropped, then the words INC, LLC, CORP, CORPORATION, CO, LTD, THE, OF, AND, L, C and I dropped
    /// ("McDonald's #123" -> "MCDONALDS"). Empty when nothing is left: no key.
    /// </summary>
    public static string Key(string? name)
    {
        if (name is null) return "";
        var upper = new StringBuilder(name.Length);
        foreach (var c in name) upper.Append(c is >= 'a' and <= 'z' ? (char)(c - 32) : c);
        var text = NumberSign().Replace(upper.ToString().Replace("&", " AND "), "");
        var letters = new StringBuilder(text.Length);
        foreach (var c in text)
            if (c is >= 'A' and <= 'Z' or ' ') letters.Append(c);
        return string.Join(' ', letters.ToString().Split(' ', StringSplitOptions.RemoveEmptyEntries).Where(w => !DroppedWords.Contains(w)));
    }

    /// <summary>The distinct words of three letters or more of a key, in ordinal order.</summary>
    public static IReadOnlyList<string> Words(string key) =>
        key.Split(' ', StringSplitOptions.RemoveEmptyEntries).Where(w => w.Length >= 3).Distinct().Order(StringComparer.Ordinal).ToList();

    /// <summary>Totals of all licences before the current as-of date, per name key and per word.</summary>
    public sealed class Totals(FeatureEvents events)
    {
        private readonly int[] _licences = new int[events.NameKeys.Count];
        private readonly int[] _outcomes = new int[events.NameKeys.Count];
        private readonly int[] _fails = new int[events.NameKeys.Count];
        private readonly int[] _wordOutcomes = new int[events.Words.Count];
        private readonly int[] _wordFails = new int[events.Words.Count];
        private readonly HashSet<long> _licenceKeys = [];

        /// <summary>Counts inspection <paramref name="i"/> (called in date order, for every inspection before the as-of date).</summary>
        public void Add(int i)
        {
            var key = events.NameKey[i];
            if (key < 0) return;
            if (_licenceKeys.Add(((long)events.License[i] << 32) | (uint)key)) _licences[key]++;
            if (!events.Decided[i]) return;
            _outcomes[key]++;
            if (events.Failed[i]) _fails[key]++;
            foreach (var word in events.KeyWords[key])
            {
                _wordOutcomes[word]++;
                if (events.Failed[i]) _wordFails[word]++;
            }
        }

        /// <summary>The block for a licence whose last inspection before the as-of date is <paramref name="last"/> and whose inspections before it are <paramref name="own"/>.</summary>
        public void Compute(int last, ReadOnlySpan<int> own, double p, Span<double> into)
        {
            var key = events.NameKey[last];
            if (key < 0)
            {
                into[0] = 0;
                into[1] = 0;
                into[2] = p;
                into[3] = p;
                into[4] = p;
                into[5] = 0;
                return;
            }
            int ownOutcomes = 0, ownFails = 0;
            foreach (var i in own)
                if (events.Decided[i] && events.NameKey[i] == key)
                {
                    ownOutcomes++;
                    if (events.Failed[i]) ownFails++;
                }
            double outcomes = _outcomes[key] - ownOutcomes, fails = _fails[key] - ownFails;
            into[0] = _licences[key] - 1;
            into[1] = outcomes;
            into[2] = (fails + 5 * p) / (outcomes + 5);
            double min = double.MaxValue, max = double.MinValue, excess = 0;
            var words = events.KeyWords[key];
            foreach (var word in words)
            {
                int wordOutcomes = 0, wordFails = 0;
                foreach (var i in own)
                    if (events.Decided[i] && events.NameKey[i] >= 0 && Array.BinarySearch(events.KeyWords[events.NameKey[i]], word) >= 0)
                    {
                        wordOutcomes++;
                        if (events.Failed[i]) wordFails++;
                    }
                var rate = (_wordFails[word] - wordFails + 20 * p) / (_wordOutcomes[word] - wordOutcomes + 20);
                min = Math.Min(min, rate);
                max = Math.Max(max, rate);
                excess += rate - p;
            }
            into[3] = words.Length == 0 ? p : min;
            into[4] = words.Length == 0 ? p : max;
            into[5] = excess;
        }
    }
}
