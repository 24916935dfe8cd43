namespace OnnxRftPipeline.Trainer.Data;

/// <summary>
/// One training example in memory. Filled from SftExample files (weight 1) or next-stage files
/// (NextStageRow.Weight); the weight multiplies this example's loss.
/// </summary>
public sealed record TrainExample(string Id, string Prompt, string Response, double Weight = 1.0);
