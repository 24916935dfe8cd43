using System.Security.Cryptography;
using System.Text.Unicode;
using OnnxRftPipeline.Contracts.Data;

namespace OnnxRftPipeline.Tasks.Import;

/// <summary>
/// One pass over the raw input bytes before parsing: hashes them (for the reproducible run id) and checks
/// each line is valid UTF-8. Hand-written because a strict StreamReader fails on a whole buffer and cannot
/// say which line is broken; checking per line here can.
/// </summary>
internal static class InputScan
{
    public static async Task<byte[]> HashCheckingUtf8Async(string file, CancellationToken ct)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        await using var fs = File.OpenRead(file);
        var buf = new byte[1 << 16];
        var pending = new MemoryStream(); // bytes of the current line not yet checked
        long line = 1;
        int n;
        while ((n = await fs.ReadAsync(buf, ct)) > 0)
        {
            sha.AppendData(buf, 0, n);
            var span = buf.AsSpan(0, n);
            int nl;
            while ((nl = span.IndexOf((byte)'\n')) >= 0)
            {
                pending.Write(span[..nl]);
                Check(file, line++, pending);
                span = span[(nl + 1)..];
            }
            pending.Write(span);
        }
        Check(file, line, pending);
        return sha.GetHashAndReset();
    }

    static void Check(string file, long line, MemoryStream pending)
    {
        if (!Utf8.IsValid(pending.GetBuffer().AsSpan(0, (int)pending.Length)))
            throw new DataContractException($"{file}:line {line}: not valid UTF-8 (the importer reads UTF-8 text only).");
        pending.SetLength(0);
    }
}
