using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace Inspections.Hosting;

/// <summary>
/// Answers every request without a configured API key with a 401 problem (and a <c>WWW-Authenticate</c> challenge),
/// except the paths <paramref name="open"/> lets through (liveness, readiness: probes carry no key). Added only when
/// keys are configured: without keys the server listens on loopback only and this costs nothing.
/// </summary>
/// <param name="challenges">The <c>WWW-Authenticate</c> values: the API asks for a Bearer token, the dashboard first
/// for Basic, which makes a browser show its login prompt (the key is the password) instead of a page of JSON.</param>
internal sealed class ApiKeyAuthentication(
    RequestDelegate next,
    ApiKeys keys,
    string[] challenges,
    Func<PathString, bool> open)
{
    public const string Detail = "Send an API key: 'Authorization: Bearer KEY' or 'X-Api-Key: KEY'.";

    public Task InvokeAsync(HttpContext context)
    {
        if (open(context.Request.Path) || keys.Match(ApiKeys.FromRequest(context.Request)) is not null)
            return next(context);
        context.Response.Headers[HeaderNames.WWWAuthenticate] = challenges;
        return TypedResults.Problem(Detail, statusCode: StatusCodes.Status401Unauthorized, title: "Unauthorized")
            .ExecuteAsync(context);
    }
}
