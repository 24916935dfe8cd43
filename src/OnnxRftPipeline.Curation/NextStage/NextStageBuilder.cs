using System.Text.Json;
using System.Text.RegularExpressions;
using OnnxRftPipeline.Contracts.Data;

namespace OnnxRftPipeline.Curation.NextStage;

/// <summary>What a build did, for the printed summary and the report.</summary>
public sealed record BuildSummary(
    int Examples, int Easy, int Hard, int HardWithAccepted, int Fallbacks, int Dropped,
    int GeneratedRows, int OriginalRows, double MeanAcceptedPerHardPrompt, int CandidatesSeen, int DuplicatesRemoved);

/// <summary>
/// Easy examples keep their demonstration; hard ones are replaced (or augmented) by accepted, distinct
/// model-generated responses. Order and choice are deterministic: rows follow the input order, and a
/// prompt's candidates are ranked by score, then mean logprob, then candidate index.
/// </summary>
public static partial class NextStageBuilder
{
    public static (List<NextStageRow> Rows, BuildSummary Summary) Build(
        IReadOnlyList<SftExample> data, IReadOnlyList<HardnessRow> hardness, IReadOnlyList<CandidateRow> candidates, BuildOptions o)
    {
        if (o.Policy is not ("replace" or "augment")) throw new ArgumentException($"build: --policy must be replace or augment, got '{o.Policy}'");
        if (o.Fallback is not ("keep-original" or "drop")) throw new ArgumentException($"build: --fallback must be keep-original or drop, got '{o.Fallback}'");
        if (o.Weighting is not ("uniform" or "per-prompt")) throw new ArgumentException($"build: --weighting must be uniform or per-prompt, got '{o.Weighting}'");
        if (o.MaxPerPrompt < 1) throw new ArgumentException($"build: --max-per-prompt must be >= 1, got {o.MaxPerPrompt}");

        var hardById = new Dictionary<string, bool>(StringComparer.Ordinal);
        foreach (var h in hardness)
            if (!hardById.TryAdd(h.ExampleId, h.IsHard)) throw new InvalidDataException($"hardness: example '{h.ExampleId}' appears twice");
        var seenIds = new HashSet<string>(StringComparer.Ordinal);
        foreach (var e in data)
        {
            if (!seenIds.Add(e.Id)) throw new InvalidDataException($"data: example id '{e.Id}' appears twice");
            if (!hardById.ContainsKey(e.Id)) throw new InvalidDataException($"hardness: no row for example '{e.Id}' (was it selected from another data set?)");
        }
        var byPrompt = candidates.Where(c => c.Accepted).GroupBy(c => c.PromptId, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.OrderByDescending(c => c.Score).ThenByDescending(c => c.MeanLogprob).ThenBy(c => c.CandidateIndex).ToList(), StringComparer.Ordinal);

        var rows = new List<NextStageRow>();
        int easy = 0, hard = 0, withAccepted = 0, fallbacks = 0, dropped = 0, generated = 0, originals = 0, duplicates = 0;
        foreach (var e in data)
        {
            if (!hardById[e.Id])
            {
                easy++;
                rows.Add(Original(e, "easy", o.RunId));
                continue;
            }
            hard++;
            var picked = new List<CandidateRow>();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var c in byPrompt.GetValueOrDefault(e.Id) ?? [])
            {
                if (!seen.Add(Normalise(c.Text))) { duplicates++; continue; }
                if (picked.Count < o.MaxPerPrompt) picked.Add(c);
            }
            if (picked.Count == 0)
            {
                if (o.Fallback == "drop") { dropped++; continue; }
                fallbacks++;
                rows.Add(Original(e, "hard, no accepted candidate: kept original", o.RunId));
                continue;
            }
            withAccepted++;
            if (o.Policy == "augment") rows.Add(Original(e, "hard, augment keeps original", o.RunId));
            double w = o.Weighting == "per-prompt" ? 1.0 / picked.Count : 1.0;
            foreach (var c in picked)
            {
                generated++;
                rows.Add(new NextStageRow
                {
                    Id = $"{e.Id}#c{c.CandidateIndex}",
                    Prompt = e.Prompt,
                    Response = c.Text,
                    Origin = "generated",
                    Weight = w,
                    Lineage = JsonSerializer.Serialize(new
                    {
                        example_id = e.Id, candidate_index = c.CandidateIndex, model_id = c.ModelId,
                        model_version = c.ModelVersion, verifier = c.Verifier, score = c.Score, run_id = o.RunId,
                    }),
                });
            }
        }
        originals = rows.Count - generated;
        var summary = new BuildSummary(data.Count, easy, hard, withAccepted, fallbacks, dropped, generated, originals,
            hard == 0 ? 0 : (double)generated / hard, candidates.Count, duplicates);
        return (rows, summary);
    }

    static NextStageRow Original(SftExample e, string why, string runId) => new()
    {
        Id = e.Id,
        Prompt = e.Prompt,
        Response = e.Response,
        Origin = "original",
        Weight = 1.0,
        Lineage = JsonSerializer.Serialize(new { example_id = e.Id, reason = why, run_id = runId }),
    };

    /// <summary>Distinct-path key: whitespace-insensitive, so formatting variants of one solution count once.</summary>
    public static string Normalise(string text) => Whitespace().Replace(text.Trim(), " ");

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();
}
