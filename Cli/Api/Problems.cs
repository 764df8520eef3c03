using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Microsoft.AspNetCore.Routing;

namespace Inspections.Api;

/// <summary>The problem details (RFC 9457) the handlers return for bad input and unknown ids or dates.</summary>
internal static class Problems
{
    public static BadRequest<ProblemDetails> BadRequest(string detail) => TypedResults.BadRequest(new ProblemDetails
    {
        Status = StatusCodes.Status400BadRequest,
        Title = "Bad request",
        Detail = detail,
        Type = "https://tools.ietf.org/html/rfc9110#section-15.5.1",
    });

    public static NotFound<ProblemDetails> NotFound(string detail) => TypedResults.NotFound(new ProblemDetails
    {
        Status = StatusCodes.Status404NotFound,
        Title = "Not found",
        Detail = detail,
        Type = "https://tools.ietf.org/html/rfc9110#section-15.5.5",
    });

    /// <summary>
    /// Handlers return <c>BadRequest&lt;ProblemDetails&gt;</c> and <c>NotFound&lt;ProblemDetails&gt;</c> so OpenAPI infers
    /// the responses, but those write <c>application/json</c>; this sends the same problem as <c>application/problem+json</c>.
    /// </summary>
    public static RouteGroupBuilder WithProblemContentType(this RouteGroupBuilder group)
    {
        group.AddEndpointFilter(async (context, next) =>
        {
            var result = await next(context);
            var inner = result is INestedHttpResult nested ? nested.Result : result;
            return inner is IValueHttpResult { Value: ProblemDetails problem } ? TypedResults.Problem(problem) : result;
        });
        return group;
    }

    /// <summary>Operation transformer: the document says what <see cref="WithProblemContentType"/> sends.</summary>
    public static Task DescribeResponsesAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken ct)
    {
        foreach (var response in operation.Responses?.Values ?? Enumerable.Empty<IOpenApiResponse>())
        {
            if (response is not OpenApiResponse { Content: { } content }) continue;
            if (content.Remove("application/json", out var media) && media.Schema is OpenApiSchemaReference { Reference.Id: "ProblemDetails" })
                content["application/problem+json"] = media;
            else if (media is not null)
                content["application/json"] = media;
        }
        return Task.CompletedTask;
    }
}
