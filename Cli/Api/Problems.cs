using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Mvc;

namespace Inspections.Api;

/// <summary>
/// The problem details (RFC 9457, <c>application/problem+json</c>) the handlers return for bad input and unknown ids
/// or dates.
/// </summary>
internal static class Problems
{
    /// <summary>A 400 naming the parameter that was wrong (<c>errors</c>) and saying why (<c>detail</c>).</summary>
    public static ValidationProblem Invalid(string parameter, string detail) =>
        TypedResults.ValidationProblem(
            new Dictionary<string, string[]> { [parameter] = [detail] }, detail, title: "Bad request");

    public static NotFoundProblem NotFound(string detail) => new(detail);
}

/// <summary>
/// A 404 with a problem body, sent as <c>application/problem+json</c> and documented so;
/// <c>TypedResults.NotFound(problem)</c> would send it as <c>application/json</c>.
/// </summary>
internal sealed class NotFoundProblem(string detail) : IResult, IStatusCodeHttpResult, IEndpointMetadataProvider
{
    public ProblemDetails Value { get; } = new()
    {
        Status = StatusCodes.Status404NotFound,
        Title = "Not found",
        Detail = detail,
        Type = "https://tools.ietf.org/html/rfc9110#section-15.5.5",
    };

    public int? StatusCode => StatusCodes.Status404NotFound;

    public Task ExecuteAsync(HttpContext httpContext) => TypedResults.Problem(Value).ExecuteAsync(httpContext);

    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder) =>
        builder.Metadata.Add(new ProducesResponseTypeMetadata(
            StatusCodes.Status404NotFound, typeof(ProblemDetails), ["application/problem+json"]));
}
