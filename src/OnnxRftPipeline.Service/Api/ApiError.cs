using Microsoft.AspNetCore.Http;

namespace OnnxRftPipeline.Service.Api;

/// <summary>
/// An error answered in OpenAI's shape, {"error":{"message","type","param","code"}}, so OpenAI clients raise
/// their usual typed exceptions (BadRequestError, AuthenticationError, RateLimitError, …).
/// </summary>
public sealed class ApiError(int status, string message, string type, string? param = null, string? code = null) : Exception(message)
{
    public int Status { get; } = status;
    public string Type { get; } = type;
    public string? Param { get; } = param;
    public string? Code { get; } = code;

    public static ApiError BadRequest(string message, string? param = null, string? code = null) =>
        new(StatusCodes.Status400BadRequest, message, "invalid_request_error", param, code);

    public IResult ToResult() => Results.Json(Body(Message, Type, Param, Code), statusCode: Status);

    public static object Body(string message, string type, string? param, string? code) =>
        new { error = new { message, type, param, code } };

    public Task WriteAsync(HttpContext ctx)
    {
        ctx.Response.StatusCode = Status;
        return ctx.Response.WriteAsJsonAsync(Body(Message, Type, Param, Code));
    }
}
