using System.Globalization;
using System.Net;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Inspections.Hosting;
using Microsoft.Extensions.Logging;

namespace Inspections.Ingest;

/// <summary>Settings of <c>Ingest:Socrata</c> (defaults in appsettings.json).</summary>
internal sealed class SocrataSettings
{
    public string BaseUrl { get; set; } = "";
    public string DatasetId { get; set; } = "";
    public string AppToken { get; set; } = "";
    public int PageSize { get; set; }
    /// <summary>Retries after the first attempt of a page, on 429, 5xx, timeouts and network errors.</summary>
    public int Retries { get; set; }
    /// <summary>
    /// The first retry's delay; each further retry doubles it (a Retry-After header wins when longer).
    /// </summary>
    public int RetryDelayMs { get; set; }
    public int TimeoutSeconds { get; set; }
}

/// <summary>
/// Pages through the portal's SODA API (<c>/resource/{dataset}.json</c>) by inspection id, within a
/// window of inspection dates, retrying transient failures with exponential backoff.
/// </summary>
internal sealed class SocrataClient(SocrataSettings settings, ILogger log)
{
    public string Describe() => $"{settings.BaseUrl.TrimEnd('/')}/resource/{settings.DatasetId}.json";

    /// <summary>
    /// Records dated in [<paramref name="from"/>, <paramref name="through"/>] (from null: the whole history).
    /// </summary>
    public async IAsyncEnumerable<SourceRecord> ReadAsync(DateOnly? from, DateOnly through, Action<int> pageDone,
        [EnumeratorCancellation] CancellationToken ct)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(settings.TimeoutSeconds) };
        if (settings.AppToken is { Length: > 0 } token) http.DefaultRequestHeaders.Add("X-App-Token", token);

        // Dates are floating timestamps at midnight; "< the next day" also catches any time of day.
        var where = $"inspection_date < '{Timestamp(through.AddDays(1))}'";
        if (from is { } start) where = $"inspection_date >= '{Timestamp(start)}' and {where}";

        long number = 0;
        for (var page = 0; ; page++)
        {
            var url = $"{Describe()}?$limit={settings.PageSize}&$offset={(long)page * settings.PageSize}" +
                      $"&$order=inspection_id&$where={Uri.EscapeDataString(where)}";
            using var document = await GetPageAsync(http, url, ct);
            var count = 0;
            foreach (var element in document.RootElement.EnumerateArray())
            {
                count++;
                yield return SodaJson.ToRecord(element, ++number);
            }
            pageDone(page + 1);
            if (count < settings.PageSize) yield break;
        }
    }

    private static string Timestamp(DateOnly date) =>
        date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) + "T00:00:00";

    private async Task<JsonDocument> GetPageAsync(HttpClient http, string url, CancellationToken ct)
    {
        var problem = "";
        for (var attempt = 0; attempt <= settings.Retries; attempt++)
        {
            var delay = TimeSpan.FromMilliseconds(settings.RetryDelayMs * Math.Pow(2, attempt));
            try
            {
                using var response = await http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, ct);
                if (response.IsSuccessStatusCode)
                {
                    await using var body = await response.Content.ReadAsStreamAsync(ct);
                    var document = await JsonDocument.ParseAsync(body, cancellationToken: ct);
                    if (document.RootElement.ValueKind == JsonValueKind.Array) return document;
                    document.Dispose();
                    throw new UserException(ExitCodes.SourceUnavailable,
                        $"the Socrata portal answered {url} with something other than a JSON array; " + Offline);
                }
                problem = $"{(int)response.StatusCode} {response.ReasonPhrase}";
                var transient = response.StatusCode == HttpStatusCode.TooManyRequests
                                || (int)response.StatusCode >= 500;
                if (!transient)
                    throw new UserException(ExitCodes.SourceUnavailable,
                        $"the Socrata portal refused {url}: {problem}; " + Offline);
                if (response.Headers.RetryAfter?.Delta is { } after && after > delay) delay = after;
            }
            catch (HttpRequestException e)
            {
                problem = e.Message;
            }
            catch (TaskCanceledException) when (!ct.IsCancellationRequested)
            {
                problem = $"no answer within {settings.TimeoutSeconds} s";
            }
            catch (JsonException e)
            {
                problem = $"a malformed page ({e.Message})";
            }

            if (attempt < settings.Retries)
            {
                log.LogWarning("Socrata page failed ({Problem}); retry {Retry} of {Retries} in {Delay} ms",
                    problem, attempt + 1, settings.Retries, delay.TotalMilliseconds);
                await Task.Delay(delay, ct);
            }
        }
        throw new UserException(ExitCodes.SourceUnavailable,
            $"the Socrata portal ({Describe()}) kept failing: {problem} after {settings.Retries + 1} attempts; " +
            Offline);
    }

    private const string Offline =
        "to work offline, give --source FILE.csv (a portal CSV export) or --source FILE.json (a saved SODA JSON array)";
}
