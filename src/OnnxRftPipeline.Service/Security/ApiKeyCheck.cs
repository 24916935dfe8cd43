using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using OnnxRftPipeline.Service.Api;

namespace OnnxRftPipeline.Service.Security;

/// <summary>
/// Bearer-key check for /v1/* and /metrics (health probes stay open). Keys are compared as SHA-256 digests with
/// FixedTimeEquals: equal-length inputs, so neither the key's content nor its length leaks through timing.
/// </summary>
public sealed class ApiKeyCheck(string? key)
{
    readonly byte[]? _digest = key is null ? null : SHA256.HashData(Encoding.UTF8.GetBytes(key));

    public bool Enabled => _digest is not null;

    public bool Accepts(string? authorizationHeader)
    {
        if (_digest is null) return true;
        const string scheme = "Bearer ";
        if (authorizationHeader is null || !authorizationHeader.StartsWith(scheme, StringComparison.OrdinalIgnoreCase)) return false;
        var given = SHA256.HashData(Encoding.UTF8.GetBytes(authorizationHeader[scheme.Length..].Trim()));
        return CryptographicOperations.FixedTimeEquals(given, _digest);
    }

    public static bool IsProtected(PathString path) => path.StartsWithSegments("/v1") || path.StartsWithSegments("/metrics");

    public async Task InvokeAsync(HttpContext ctx, RequestDelegate next)
    {
        if (Enabled && IsProtected(ctx.Request.Path) && !Accepts(ctx.Request.Headers.Authorization))
        {
            ctx.Response.Headers.WWWAuthenticate = "Bearer";
            await new ApiError(StatusCodes.Status401Unauthorized,
                ctx.Request.Headers.Authorization.Count == 0 ? "You didn't provide an API key (Authorization: Bearer KEY)." : "Incorrect API key provided.",
                "invalid_request_error", null, "invalid_api_key").WriteAsync(ctx);
            return;
        }
        await next(ctx);
    }
}
