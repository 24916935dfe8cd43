using System.Globalization;

namespace OnnxRftPipeline.Curation.Selection.Methods;

/// <summary>Hard = the probe could not bring the example's final loss under an absolute threshold.</summary>
static class LossThreshold
{
    public static Decision[] Decide(IReadOnlyList<ExampleFeatures> features, SelectOptions o) =>
        features.Select(f => new Decision(
            f.FinalLoss > o.Threshold, f.FinalLoss, null,
            string.Create(CultureInfo.InvariantCulture, $"final_loss {f.FinalLoss:G4} {(f.FinalLoss > o.Threshold ? ">" : "<=")} {o.Threshold:G4}")))
        .ToArray();
}
