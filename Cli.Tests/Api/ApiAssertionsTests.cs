using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Inspections.Tests.Api;

/// <summary>The API tests' own assertions can fail: a response that is not quite a problem is caught.</summary>
public sealed class ApiAssertionsTests
{
    private const string Problem =
        """{"type":"https://tools.ietf.org/html/rfc9110#section-15.5.1","title":"Bad""" +
        """ request","status":400,"detail":"'x' is not a label."}""";

    /// <summary>
    /// A 400 with a problem body, as application/problem+json, or with <paramref name="mediaType"/>, or with no
    /// Content-Type at all.
    /// </summary>
    private static (HttpResponseMessage, JsonElement) Response(string? mediaType = "application/problem+json")
    {
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(Problem));
        if (mediaType is not null) content.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
        var response = new HttpResponseMessage(HttpStatusCode.BadRequest) { Content = content };
        return (response, JsonDocument.Parse(Problem).RootElement.Clone());
    }

    [Fact]
    public void A_problem_with_its_content_type_status_and_detail_passes()
    {
        Response().ShouldBeProblem(400, "not a label");
    }

    [Fact]
    public void A_problem_without_a_content_type_fails()
    {
        Should.Throw<ShouldAssertException>(() => Response(mediaType: null).ShouldBeProblem(400));
    }

    [Fact]
    public void A_problem_sent_as_plain_json_fails()
    {
        Should.Throw<ShouldAssertException>(() => Response("application/json").ShouldBeProblem(400));
    }

    [Fact]
    public void A_problem_of_another_status_or_detail_fails()
    {
        Should.Throw<ShouldAssertException>(() => Response().ShouldBeProblem(404));
        Should.Throw<ShouldAssertException>(() => Response().ShouldBeProblem(400, "not a date"));
    }

    [Fact]
    public void The_content_type_of_a_response_without_one_fails_rather_than_being_null()
    {
        var (response, _) = Response(mediaType: null);
        Should.Throw<ShouldAssertException>(() => response.ContentType());
    }
}
