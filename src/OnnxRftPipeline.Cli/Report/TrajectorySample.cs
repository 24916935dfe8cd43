namespace OnnxRftPipeline.Cli.Report;

/// <summary>
/// Chooses which trajectories the loss plot draws: a few hundred lines stay readable, thousands are a blot.
/// Deterministic (ordinal example-id order, evenly spaced picks) so a report re-rendered from the same run is identical,
/// and stratified so the hard minority is never crowded out by easy examples.
/// </summary>
public static class TrajectorySample
{
    public const int DefaultMaxLines = 300;

    public static IReadOnlyList<LossTrajectory> Pick(IReadOnlyList<LossTrajectory> all, int maxLines = DefaultMaxLines)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLines, 2);
        if (all.Count <= maxLines) return all.OrderBy(t => t.ExampleId, StringComparer.Ordinal).ToList();

        var hard = all.Where(t => t.IsHard).OrderBy(t => t.ExampleId, StringComparer.Ordinal).ToList();
        var easy = all.Where(t => !t.IsHard).OrderBy(t => t.ExampleId, StringComparer.Ordinal).ToList();
        // Proportional quota, but each class keeps at least a quarter of the lines when it has that many.
        int floor = maxLines / 4;
        int hardQuota = (int)Math.Round((double)maxLines * hard.Count / all.Count);
        hardQuota = Math.Clamp(Math.Max(hardQuota, Math.Min(floor, hard.Count)), 0, Math.Min(hard.Count, maxLines));
        int easyQuota = Math.Min(easy.Count, maxLines - hardQuota);
        hardQuota = Math.Min(hard.Count, maxLines - easyQuota);
        return [.. Spaced(easy, easyQuota), .. Spaced(hard, hardQuota)];
    }

    static IEnumerable<LossTrajectory> Spaced(List<LossTrajectory> items, int count)
    {
        for (int i = 0; i < count; i++)
            yield return items[(int)((long)i * items.Count / count)];
    }
}
