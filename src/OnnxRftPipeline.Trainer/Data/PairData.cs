using OnnxRftPipeline.Contracts.Data;
using OnnxRftPipeline.Contracts.Text;

namespace OnnxRftPipeline.Trainer.Data;

/// <summary>One SPIN pair in memory: a prompt, the response to push up and the one to push down.</summary>
public sealed record TrainPair(string Id, string Prompt, string Chosen, string Rejected);

/// <summary>Reads and checks a pairs dataset (data-schemas/pairs.schema.json) and tokenizes it for the SPIN trainer.</summary>
public static class PairData
{
    /// <summary>Part by part, so an error names the file and the row within it.</summary>
    public static async Task<List<TrainPair>> LoadAsync(string dirOrFile, CancellationToken ct = default)
    {
        var pairs = new List<TrainPair>();
        var seen = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var part in PartFiles.ListParts(dirOrFile))
        {
            var rows = await PartFiles.ReadAllAsync<PairRow>(part, ct);
            for (int i = 0; i < rows.Count; i++)
            {
                var r = rows[i];
                var pair = new TrainPair(r.Id, r.Prompt, r.Chosen, r.Rejected);
                Check(pair, $"{part}: row {i}");
                if (!seen.TryAdd(r.Id, $"{part} row {i}")) throw new DataContractException($"{part}: row {i}: duplicate pair id '{r.Id}' (first at {seen[r.Id]}).");
                pairs.Add(pair);
            }
        }
        if (pairs.Count == 0) throw new DataContractException($"{dirOrFile}: no pairs (did every prompt lack a usable candidate?).");
        return pairs;
    }

    /// <summary>Rejects pairs a run cannot train on, naming the row.</summary>
    public static void Validate(IReadOnlyList<TrainPair> pairs, string source)
    {
        if (pairs.Count == 0) throw new DataContractException($"{source}: no pairs.");
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < pairs.Count; i++)
        {
            Check(pairs[i], $"{source}: row {i}");
            if (!seen.Add(pairs[i].Id)) throw new DataContractException($"{source}: row {i}: duplicate pair id '{pairs[i].Id}'.");
        }
    }

    static void Check(TrainPair p, string where)
    {
        if (string.IsNullOrEmpty(p.Id)) throw new DataContractException($"{where}: empty id.");
        // Identical sides make Δ ≡ 0: the loss is a constant log 2 with zero gradient, so the pair is a data bug.
        if (p.Chosen == p.Rejected) throw new DataContractException($"{where} (id '{p.Id}'): chosen and rejected are the same text.");
    }

    /// <summary>
    /// 2N sequences: pair i's chosen response at index i and its rejected response at N + i, each as
    /// [bos] prompt response [eos] with loss targets on the response (the rejected text gets eos even when
    /// sampling stopped at the length limit, like any training response).
    /// </summary>
    public static List<TokenizedExample> Tokenize(IReadOnlyList<TrainPair> pairs, ITokenizer tok, int maxLength, string source)
    {
        var flat = pairs.Select(p => new TrainExample(p.Id + " (chosen)", p.Prompt, p.Chosen))
            .Concat(pairs.Select(p => new TrainExample(p.Id + " (rejected)", p.Prompt, p.Rejected))).ToList();
        return Batching.Tokenize(flat, tok, maxLength, source);
    }
}
