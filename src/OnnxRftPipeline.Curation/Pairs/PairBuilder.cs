using OnnxRftPipeline.Curation.NextStage;
using System.Text.Json;
using OnnxRftPipeline.Contracts.Data;

namespace OnnxRftPipeline.Curation.Pairs;

/// <summary>A candidate row and where it was read from, so errors can name the file and row.</summary>
public sealed record SourcedCandidate(CandidateRow Row, string File, int RowIndex);

/// <summary>What `rft pairs` did, for the printed summary and the cycle manifest.</summary>
public sealed record PairSummary(
    int Prompts, int PromptsWithCandidates, int Pairs, int ChosenDemonstration, int ChosenAccepted, int VerifierRejected, int AnySample,
    int SkippedNoCandidates, int SkippedNoRejected, int CandidatesSeen, int CandidatesLikeChosen, int DuplicatesRemoved);

/// <summary>
/// Builds SPIN pairs from SFT examples and their sampled candidates. Deterministic: pairs follow the
/// examples' order, a prompt's rejected candidates are taken in candidate-index order (the sampler's
/// draws are exchangeable, so index order is an unbiased pick), and ties in choosing an accepted
/// candidate break by mean logprob, then index.
/// </summary>
public static class PairBuilder
{
    public const string Demonstration = "demonstration", AcceptedCandidate = "accepted_candidate";
    public const string VerifierRejected = "verifier_rejected", AnySample = "any_sample";

    public static (List<PairRow> Rows, PairSummary Summary) Build(
        IReadOnlyList<SftExample> data, string dataSource, IReadOnlyList<SourcedCandidate> candidates, PairOptions o)
    {
        o.Validate();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < data.Count; i++)
            if (!ids.Add(data[i].Id)) throw new InvalidDataException($"{dataSource}: row {i}: example id '{data[i].Id}' appears twice");

        var byPrompt = new Dictionary<string, List<CandidateRow>>(StringComparer.Ordinal);
        var where = new Dictionary<(string, int), SourcedCandidate>();
        foreach (var s in candidates)
        {
            var c = s.Row;
            if (!ids.Contains(c.PromptId))
                throw new InvalidDataException($"{s.File}: row {s.RowIndex}: prompt_id '{c.PromptId}' is not an example of {dataSource} (were the candidates sampled from other data?)");
            if (where.TryGetValue((c.PromptId, c.CandidateIndex), out var first))
                throw new InvalidDataException($"{s.File}: row {s.RowIndex}: candidate_index {c.CandidateIndex} of prompt '{c.PromptId}' appears twice (also {first.File} row {first.RowIndex})");
            where[(c.PromptId, c.CandidateIndex)] = s;
            (byPrompt.TryGetValue(c.PromptId, out var l) ? l : byPrompt[c.PromptId] = []).Add(c);
        }

        var rows = new List<PairRow>();
        int withCandidates = 0, chosenDemo = 0, chosenAccepted = 0, verifierRejected = 0, any = 0, noCandidates = 0, noRejected = 0, likeChosen = 0, duplicates = 0;
        foreach (var e in data)
        {
            if (!byPrompt.TryGetValue(e.Id, out var cands) || cands.Count == 0) { noCandidates++; continue; }
            withCandidates++;
            cands.Sort((a, b) => a.CandidateIndex.CompareTo(b.CandidateIndex));

            CandidateRow? chosenCandidate = o.Chosen == "accepted"
                ? cands.Where(c => c.Accepted).OrderByDescending(c => c.Score).ThenByDescending(c => c.MeanLogprob).ThenBy(c => c.CandidateIndex).FirstOrDefault()
                : null;
            string chosen = chosenCandidate?.Text ?? e.Response;
            var chosenKey = NextStageBuilder.Normalise(chosen);

            // Distinct candidates that differ from the chosen response, in index order.
            var seen = new HashSet<string>(StringComparer.Ordinal);
            var usable = new List<CandidateRow>();
            foreach (var c in cands)
            {
                if (ReferenceEquals(c, chosenCandidate)) continue;
                var key = NextStageBuilder.Normalise(c.Text);
                if (key == chosenKey) { likeChosen++; continue; }
                if (!seen.Add(key)) { duplicates++; continue; }
                usable.Add(c);
            }
            var rejectedByVerifier = usable.Where(c => !c.Accepted).ToList();
            var pool = o.Rejected switch
            {
                "rejected" => rejectedByVerifier,
                "any" => usable,
                _ => rejectedByVerifier.Count > 0 ? rejectedByVerifier : usable,
            };
            if (pool.Count == 0) { noRejected++; continue; }

            foreach (var r in pool.Take(o.PairsPerPrompt))
            {
                if (chosenCandidate is null) chosenDemo++; else chosenAccepted++;
                var reason = r.Accepted ? AnySample : VerifierRejected;
                if (r.Accepted) any++; else verifierRejected++;
                rows.Add(new PairRow
                {
                    Id = $"{e.Id}#r{r.CandidateIndex}",
                    PromptId = e.Id,
                    Prompt = e.Prompt,
                    Chosen = chosen,
                    ChosenOrigin = chosenCandidate is null ? Demonstration : AcceptedCandidate,
                    ChosenCandidateIndex = chosenCandidate?.CandidateIndex,
                    Rejected = r.Text,
                    RejectedCandidateIndex = r.CandidateIndex,
                    RejectedReason = reason,
                    RejectedScore = r.Score,
                    RejectedAccepted = r.Accepted,
                    Verifier = r.Verifier,
                    ModelVersion = r.ModelVersion,
                    Lineage = JsonSerializer.Serialize(new
                    {
                        example_id = e.Id, chosen_candidate_index = chosenCandidate?.CandidateIndex, rejected_candidate_index = r.CandidateIndex,
                        model_id = r.ModelId, model_version = r.ModelVersion, chosen_policy = o.Chosen, rejected_policy = o.Rejected, run_id = o.RunId,
                    }),
                });
            }
        }
        var summary = new PairSummary(data.Count, withCandidates, rows.Count, chosenDemo, chosenAccepted, verifierRejected, any,
            noCandidates, noRejected, candidates.Count, likeChosen, duplicates);
        return (rows, summary);
    }
}
