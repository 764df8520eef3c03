using System.Globalization;
using System.Text.Json.Nodes;
using Inspections.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.OpenApi;

namespace Inspections.Api;

/// <summary>A City of Chicago license number as the portal publishes it: 1 to 10 ASCII digits.</summary>
internal readonly record struct LicenseId(string Value)
{
    public const string Pattern = "^[0-9]{1,10}$";

    public static bool TryParse(string? text, out LicenseId license)
    {
        var valid = text is { Length: >= 1 and <= 10 } && !text.AsSpan().ContainsAnyExceptInRange('0', '9');
        license = valid ? new LicenseId(text!) : default;
        return valid;
    }

    public static string Problem(string text) => $"'{text}' is not a license number: 1 to 10 digits.";

    public override string ToString() => Value;
}

/// <summary>A label to filter by: <c>fail</c> or <c>pass</c>, lower case, as the API writes labels.</summary>
internal readonly record struct Label(string Value)
{
    public static readonly string[] Values = ["fail", "pass"];

    public static bool TryParse(string? text, out Label label)
    {
        var valid = Values.Contains(text);
        label = valid ? new Label(text!) : default;
        return valid;
    }

    public static string Problem(string text) => $"'{text}' is not a label: use {string.Join(" or ", Values)}.";

    public override string ToString() => Value;
}

/// <summary>
/// A page size, 1 or more, in plain digits; at most <see cref="ApiSettings.MaxPageSize"/>, which the handler checks.
/// </summary>
internal readonly record struct PageLimit(int Value)
{
    public static bool TryParse(string? text, out PageLimit limit)
    {
        var valid = int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= 1;
        limit = new PageLimit(value);
        return valid;
    }

    public static string Problem(string text, int max) =>
        $"'{text}' is not a limit: a whole number from 1 to {max}.";

    public override string ToString() => Value.ToString(CultureInfo.InvariantCulture);
}

/// <summary>How many items of a ranking to skip: 0 or more, in plain digits.</summary>
internal readonly record struct PageOffset(int Value)
{
    public static bool TryParse(string? text, out PageOffset offset)
    {
        var valid = int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value);
        offset = new PageOffset(value);
        return valid;
    }

    public static string Problem(string text) => $"'{text}' is not an offset: a whole number, 0 or more.";

    public override string ToString() => Value.ToString(CultureInfo.InvariantCulture);
}

/// <summary>
/// The API's parameter types at work: minimal APIs bind each through its <c>TryParse</c>, so handlers receive parsed
/// values; a value that does not parse is answered by <see cref="WithParameterProblems"/>; the OpenAPI document
/// describes each type (<see cref="DescribeAsync"/>) wherever a handler takes it.
/// </summary>
internal static class ApiParameters
{
    /// <summary>
    /// Endpoint filters run even when a parameter fails to bind: the framework has set 400 and skips the handler, but
    /// says nothing about why. This filter answers instead: a 400 problem naming the parameter and what it must be,
    /// in the wording of its type. The endpoint documents that 400.
    /// </summary>
    public static RouteHandlerBuilder WithParameterProblems(this RouteHandlerBuilder endpoint) =>
        endpoint.AddEndpointFilterFactory(ExplainBindingFailures).ProducesValidationProblem();

    private static readonly Type[] Types =
        [typeof(LicenseId), typeof(DateParameter), typeof(Label), typeof(PageLimit), typeof(PageOffset)];

    private static EndpointFilterDelegate ExplainBindingFailures(
        EndpointFilterFactoryContext factory,
        EndpointFilterDelegate next)
    {
        var maxPageSize = factory.ApplicationServices.GetRequiredService<ApiSettings>().MaxPageSize;
        var parameters = factory.MethodInfo.GetParameters()
            .Select(p => (
                Name: p.Name!,
                Type: Nullable.GetUnderlyingType(p.ParameterType) ?? p.ParameterType,
                Optional: Nullable.GetUnderlyingType(p.ParameterType) is not null))
            .Where(p => Types.Contains(p.Type))
            .ToArray();
        return context =>
        {
            if (context.HttpContext.Response.StatusCode != StatusCodes.Status400BadRequest) return next(context);
            var request = context.HttpContext.Request;
            foreach (var (name, type, optional) in parameters)
            {
                // The text the framework tried to parse (bound by the handler's own parameter name): the route value,
                // or the query's values joined by commas.
                var text = request.RouteValues.TryGetValue(name, out var route) ? route?.ToString()
                    : request.Query.TryGetValue(name, out var query) ? query.ToString() : null;
                var problem = text is null
                    ? optional
                        ? null
                        : $"The query parameter '{name}'" +
                          $"{(type == typeof(DateParameter) ? $" ({Dates.Format})" : "")} is required."
                    : Problem(type, text, maxPageSize);
                if (problem is not null) return ValueTask.FromResult<object?>(Problems.Invalid(name, problem));
            }
            return next(context); // a failure none of these types explains: the framework's bare 400, as a problem
        };
    }

    /// <summary>
    /// Why <paramref name="text"/> is not a value of <paramref name="type"/>, in that type's words; null when it is
    /// one.
    /// </summary>
    private static string? Problem(Type type, string text, int maxPageSize) =>
        type == typeof(LicenseId) ? LicenseId.TryParse(text, out _) ? null : LicenseId.Problem(text)
        : type == typeof(DateParameter) ? DateParameter.Problem(text)
        : type == typeof(Label) ? Label.TryParse(text, out _) ? null : Label.Problem(text)
        : type == typeof(PageLimit) ? PageLimit.TryParse(text, out _) ? null : PageLimit.Problem(text, maxPageSize)
        : type == typeof(PageOffset) ? PageOffset.TryParse(text, out _) ? null : PageOffset.Problem(text)
        : null;

    /// <summary>
    /// Schema transformer: each parameter type's shape, in place of the plain string the framework infers for a
    /// parsable type.
    /// </summary>
    public static Task DescribeAsync(
        OpenApiSchema schema,
        OpenApiSchemaTransformerContext context,
        ApiSettings settings)
    {
        if (context.ParameterDescription?.Type is not { } declared) return Task.CompletedTask;
        var type = Nullable.GetUnderlyingType(declared) ?? declared;
        if (type == typeof(LicenseId))
        {
            (schema.Pattern, schema.MinLength, schema.MaxLength) = (LicenseId.Pattern, 1, 10);
            schema.Examples = [JsonValue.Create(ApiValues.ExampleLicense)];
        }
        else if (type == typeof(DateParameter))
        {
            (schema.Format, schema.Pattern) = ("date", "^[0-9]{4}-[0-9]{2}-[0-9]{2}$");
            schema.Examples = [JsonValue.Create(ApiValues.ExampleDate)];
        }
        else if (type == typeof(Label))
        {
            schema.Enum = [.. Label.Values.Select(l => (JsonNode)JsonValue.Create(l))];
        }
        else if (type == typeof(PageLimit))
        {
            (schema.Type, schema.Format, schema.Minimum) = (JsonSchemaType.Integer, "int32", "1");
            schema.Maximum = settings.MaxPageSize.ToString(CultureInfo.InvariantCulture);
            schema.Default = JsonValue.Create(settings.DefaultPageSize);
        }
        else if (type == typeof(PageOffset))
        {
            (schema.Type, schema.Format, schema.Minimum) = (JsonSchemaType.Integer, "int32", "0");
            schema.Default = JsonValue.Create(0);
        }
        return Task.CompletedTask;
    }
}
