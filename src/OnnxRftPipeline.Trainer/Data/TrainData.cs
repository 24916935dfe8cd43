using OnnxRftPipeline.Contracts.Data;
using Parquet;

namespace OnnxRftPipeline.Trainer.Data;

/// <summary>Reads training examples from either an SFT examples dataset or a next-stage dataset.</summary>
public static class TrainData
{
    /// <summary>
    /// A dataset whose parts carry a "weight" and "origin" column is read as NextStageRow, anything
    /// else as SftExample (weight 1). Both paths check the schema and name the offending file.
    /// </summary>
    public static async Task<List<TrainExample>> LoadAsync(string dirOrFile, CancellationToken ct = default)
    {
        var parts = PartFiles.ListParts(dirOrFile);
        if (parts.Count == 0) throw new DataContractException($"{dirOrFile}: no part-*.parquet files.");
        bool nextStage;
        try
        {
            await using var fs = File.OpenRead(parts[0]);
            await using var reader = await ParquetReader.CreateAsync(fs, cancellationToken: ct);
            var cols = reader.Schema.GetDataFields().Select(f => f.Name).ToHashSet(StringComparer.Ordinal);
            nextStage = cols.Contains("weight") && cols.Contains("origin");
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw new DataContractException($"{parts[0]}: not a readable Parquet file ({e.Message}).");
        }
        var examples = nextStage
            ? (await PartFiles.ReadAllAsync<NextStageRow>(dirOrFile, ct)).Select(r => new TrainExample(r.Id, r.Prompt, r.Response, r.Weight)).ToList()
            : (await PartFiles.ReadAllAsync<SftExample>(dirOrFile, ct)).Select(r => new TrainExample(r.Id, r.Prompt, r.Response)).ToList();
        Validate(examples, dirOrFile);
        return examples;
    }

    /// <summary>Rejects data a run cannot train on, naming the row.</summary>
    public static void Validate(IReadOnlyList<TrainExample> examples, string source)
    {
        if (examples.Count == 0) throw new DataContractException($"{source}: no training examples.");
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < examples.Count; i++)
        {
            var e = examples[i];
            if (string.IsNullOrEmpty(e.Id)) throw new DataContractException($"{source}: row {i}: empty id.");
            if (!seen.Add(e.Id)) throw new DataContractException($"{source}: row {i}: duplicate id '{e.Id}'.");
            if (!double.IsFinite(e.Weight) || e.Weight < 0)
                throw new DataContractException($"{source}: row {i} (id '{e.Id}'): weight {e.Weight} must be finite and non-negative.");
        }
    }
}
