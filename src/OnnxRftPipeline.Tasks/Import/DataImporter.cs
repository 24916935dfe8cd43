using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using OnnxRftPipeline.Contracts.Data;

namespace OnnxRftPipeline.Tasks.Import;

/// <summary>
/// Imports a JSON Lines or CSV file as an sft_examples dataset (a folder of part files), mapping columns as
/// <see cref="ColumnMapping"/> decides (conventional answer and id names by default). All parts are
/// written to a temp folder beside the destination and moved into place only when every record is valid,
/// so a failed import leaves nothing behind. Errors are <see cref="DataContractException"/>s naming the
/// file, line or row, and field.
/// </summary>
public static class DataImporter
{
    public const string Producer = "rft data import";

    public static async Task<ImportResult> ImportAsync(string inputFile, string outputDir, ImportOptions options, CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(options.RowsPerPart, 1);
        if (!File.Exists(inputFile)) throw new DataContractException($"{inputFile}: no such file.");
        var output = Path.GetFullPath(outputDir);
        CheckDestination(output, options.Overwrite);

        var format = RecordSource.Resolve(inputFile, options.Format);
        var source = options.Source ?? Path.GetFileName(inputFile);
        // The columns are decided once, from the first record's names, and then hold for every record (as given ones would).
        var columns = ColumnMapping.Resolve(options, RecordSource.Read(inputFile, format).FirstOrDefault()?.Columns ?? []);
        var settings = new
        {
            Input = Path.GetFileName(inputFile), Format = format.ToString().ToLowerInvariant(),
            PromptField = columns.Prompt, ResponseField = columns.Response, AnswerField = columns.Answer, IdField = columns.Id,
            options.Task, Source = source, options.RowsPerPart,
        };
        var settingsJson = JsonSerializer.Serialize(settings, new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower });
        var inputHash = await InputScan.HashCheckingUtf8Async(inputFile, ct);
        var lineage = new Lineage
        {
            RunId = options.RunId ?? "import-" + Convert.ToHexStringLower(SHA256.HashData([.. inputHash, .. Encoding.UTF8.GetBytes(settingsJson)]))[..16],
            Producer = Producer, Settings = settingsJson, CreatedAt = options.CreatedAt,
        };

        var parent = Path.GetDirectoryName(output)!;
        Directory.CreateDirectory(parent);
        var temp = Path.Combine(parent, $".{Path.GetFileName(output)}.import-{Guid.NewGuid():N}{PartFiles.TempSuffix}");
        try
        {
            long rows;
            await using (var writer = new PartWriter<SftExample>(temp, options.RowsPerPart, lineage))
            {
                var firstSeen = new Dictionary<string, string>(StringComparer.Ordinal);
                foreach (var record in RecordSource.Read(inputFile, format))
                {
                    ct.ThrowIfCancellationRequested();
                    var example = ToExample(record, columns, options.Task, source);
                    if (!firstSeen.TryAdd(example.Id, record.Location))
                        throw new DataContractException(columns.Id is null
                            ? $"{record.Location}: same prompt and response as {firstSeen[example.Id]} (duplicate id '{example.Id}')."
                            : $"{record.Location}: duplicate id '{example.Id}' in field '{columns.Id}' (first at {firstSeen[example.Id]})" +
                              (columns.ByConvention("id") ? "; the column was taken as the id by its name: pass --id-field none to hash ids instead." : "."));
                    await writer.AddAsync(example, ct);
                }
                if (writer.RowCount == 0) throw new DataContractException($"{inputFile}: no records to import.");
                await writer.CompleteAsync(ct);
                rows = writer.RowCount;
            }
            MoveIntoPlace(temp, output);
            return new ImportResult(output, rows, PartFiles.ExistingParts(output), lineage, columns.Fields, columns.Ignored);
        }
        catch
        {
            TryDeleteDirectory(temp);
            throw;
        }
    }

    static SftExample ToExample(InputRecord r, ColumnMapping.Resolved c, string task, string source)
    {
        var prompt = Required(r, c.Prompt, "prompt");
        var response = Required(r, c.Response, "response");
        var answer = c.Answer is null ? null : Conventional(r, c, "answer", () => r.Get(c.Answer, numberAllowed: true));
        string id;
        if (c.Id is null) id = StableId(prompt, response);
        else
        {
            id = Conventional(r, c, "id", () => r.Get(c.Id, numberAllowed: true)) ?? throw new DataContractException($"{r.Location}: field '{c.Id}' (id) is null.");
            if (id.Trim().Length == 0) throw new DataContractException($"{r.Location}: field '{c.Id}' (id) is empty.");
        }
        return new SftExample
        {
            Id = id, Prompt = prompt, Response = response, Answer = string.IsNullOrEmpty(answer) ? null : answer,
            Task = task, Source = source,
        };
    }

    /// <summary>Reads a field; when its column was picked by name, not given, an error says so and how to turn the pick off.</summary>
    static string? Conventional(InputRecord r, ColumnMapping.Resolved c, string field, Func<string?> read)
    {
        if (!c.ByConvention(field)) return read();
        try { return read(); }
        catch (DataContractException e)
        {
            throw new DataContractException($"{e.Message.TrimEnd('.')} (taken as the {field} by its name, from the first record; " +
                                            $"pass --{field}-field none to import without it, or --{field}-field NAME).");
        }
    }

    static string Required(InputRecord r, string field, string role)
    {
        var value = r.Get(field, numberAllowed: false) ?? throw new DataContractException($"{r.Location}: field '{field}' ({role}) is null.");
        if (value.Trim().Length == 0) throw new DataContractException($"{r.Location}: field '{field}' ({role}) is empty.");
        return value;
    }

    /// <summary>First 16 hex digits of SHA-256 over the length-prefixed UTF-8 prompt and response.</summary>
    public static string StableId(string prompt, string response)
    {
        var p = Encoding.UTF8.GetBytes(prompt);
        var s = Encoding.UTF8.GetBytes(response);
        var buf = new byte[8 + p.Length + s.Length];
        BinaryPrimitives.WriteInt32LittleEndian(buf, p.Length);
        p.CopyTo(buf, 4);
        BinaryPrimitives.WriteInt32LittleEndian(buf.AsSpan(4 + p.Length), s.Length);
        s.CopyTo(buf, 8 + p.Length);
        return Convert.ToHexStringLower(SHA256.HashData(buf))[..16];
    }

    static void CheckDestination(string output, bool overwrite)
    {
        if (File.Exists(output)) throw new DataContractException($"{output}: is a file; the output must be a folder.");
        if (!overwrite && Directory.Exists(output) && Directory.EnumerateFileSystemEntries(output).Any())
            throw new DataContractException($"{output}: output folder is not empty (pass overwrite to replace it).");
    }

    // Directory.Move is a rename on one file system, so readers see the old folder or the new one, never a mix.
    static void MoveIntoPlace(string temp, string output)
    {
        if (!Directory.Exists(output)) { Directory.Move(temp, output); return; }
        var old = Path.Combine(Path.GetDirectoryName(output)!, $".{Path.GetFileName(output)}.replaced-{Guid.NewGuid():N}{PartFiles.TempSuffix}");
        Directory.Move(output, old);
        Directory.Move(temp, output);
        TryDeleteDirectory(old);
    }

    static void TryDeleteDirectory(string dir)
    {
        try { if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true); } catch (IOException) { }
    }
}
