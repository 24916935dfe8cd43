using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using OnnxRftPipeline.Contracts.Data;
using OnnxRftPipeline.Curation.Pairs;
using Spectre.Console;

namespace OnnxRftPipeline.Cli.Stages;

/// <summary>Stage 6, pairs: demonstration (or accepted candidate) vs a sampled candidate → SPIN pairs.</summary>
public static class PairsStage
{
    public static async Task<PairSummary> RunAsync(string dataDir, string candidatesDir, string outDir, PairOptions options, bool overwrite, CancellationToken ct)
    {
        options.Validate();
        var data = await PartFiles.ReadAllAsync<SftExample>(dataDir, ct);
        // Part by part, so a bad candidate row is reported with its file and row number.
        var candidates = new List<SourcedCandidate>();
        foreach (var part in PartFiles.ListParts(candidatesDir))
        {
            var rows = await PartFiles.ReadAllAsync<CandidateRow>(part, ct);
            candidates.AddRange(rows.Select((r, i) => new SourcedCandidate(r, part, i)));
        }
        var (pairs, summary) = PairBuilder.Build(data, dataDir, candidates, options);
        var runId = options.RunId is { Length: > 0 } id ? id : "pairs-" + Hash(pairs);
        var versions = pairs.Select(r => r.ModelVersion).Distinct().Order(StringComparer.Ordinal).ToArray();
        var lineage = new Lineage { RunId = runId, Producer = "rft pairs", ModelVersion = string.Join(",", versions) }
            .WithSettings(new { options.Chosen, options.Rejected, options.PairsPerPrompt });
        await StagedFolder.WriteAsync(outDir, async dir =>
        {
            await using var w = new PartWriter<PairRow>(dir, 50_000, lineage);
            await w.AddRangeAsync(pairs, ct);
            await w.CompleteAsync(ct);
        }, overwrite, ct);
        return summary;
    }

    /// <summary>A content id for standalone runs: the same inputs and options give the same run id (and bytes).</summary>
    static string Hash(List<PairRow> pairs)
    {
        using var h = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var r in pairs) h.AppendData(Encoding.UTF8.GetBytes($"{r.Id}\0{r.Chosen}\0{r.Rejected}\0"));
        return Convert.ToHexStringLower(h.GetHashAndReset())[..12];
    }

    public static void Render(PairSummary s, string outDir)
    {
        var t = new Table().Title($"pairs → {Markup.Escape(outDir)}")
            .AddColumns("prompts", "with candidates", "pairs", "chosen: demo", "chosen: accepted", "rejected: verifier", "rejected: any sample",
                "no candidates", "no rejectable", "candidates", "same as chosen", "duplicates");
        t.AddRow(new[] { s.Prompts, s.PromptsWithCandidates, s.Pairs, s.ChosenDemonstration, s.ChosenAccepted, s.VerifierRejected, s.AnySample,
            s.SkippedNoCandidates, s.SkippedNoRejected, s.CandidatesSeen, s.CandidatesLikeChosen, s.DuplicatesRemoved }
            .Select(x => x.ToString(CultureInfo.InvariantCulture)).ToArray());
        AnsiConsole.Write(t);
    }
}
