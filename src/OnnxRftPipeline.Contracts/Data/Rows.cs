namespace OnnxRftPipeline.Contracts.Data;

// One class per Parquet artifact. Column names are the snake_case names in data-schemas/*.schema.json;
// property names map to them through [JsonPropertyName] so C# stays idiomatic and files stay stable.
// Parquet.Net's serializer needs settable properties and a parameterless constructor.
// A non-nullable C# string is a required column ([ParquetRequired]); string? is optional. Parquet.Net's
// deserializer rejects any nullability mismatch, so the contract states it exactly.
// Timestamps are INT64 microseconds, UTC (logical TIMESTAMP), not Parquet.Net's legacy INT96 default.
using System.Text.Json.Serialization;
using Parquet.Serialization.Attributes;

/// <summary>An SFT demonstration: the product's input (data-schemas/sft_examples.schema.json).</summary>
public sealed class SftExample
{
    [JsonPropertyName("id")] [ParquetRequired] public string Id { get; set; } = "";
    [JsonPropertyName("prompt")] [ParquetRequired] public string Prompt { get; set; } = "";
    [JsonPropertyName("response")] [ParquetRequired] public string Response { get; set; } = "";
    /// <summary>The verifiable final answer, when the task has one.</summary>
    [JsonPropertyName("answer")] public string? Answer { get; set; }
    [JsonPropertyName("task")] [ParquetRequired] public string Task { get; set; } = "";
    [JsonPropertyName("source")] [ParquetRequired] public string Source { get; set; } = "";
    /// <summary>Free-form JSON object as text (e.g. difficulty, whether the demonstration was corrupted).</summary>
    [JsonPropertyName("metadata")] [ParquetRequired] public string Metadata { get; set; } = "{}";
}

/// <summary>One example's loss after one epoch (or N steps) of probe SFT.</summary>
public sealed class TrajectoryRow
{
    [JsonPropertyName("example_id")] [ParquetRequired] public string ExampleId { get; set; } = "";
    [JsonPropertyName("epoch")] public int Epoch { get; set; }
    [JsonPropertyName("global_step")] public long GlobalStep { get; set; }
    [JsonPropertyName("mean_token_loss")] public double MeanTokenLoss { get; set; }
    [JsonPropertyName("mean_token_prob")] public double MeanTokenProb { get; set; }
    [JsonPropertyName("response_tokens")] public int ResponseTokens { get; set; }
    [JsonPropertyName("run_id")] [ParquetRequired] public string RunId { get; set; } = "";
}

/// <summary>Per-example hardness features and the selector's decision.</summary>
public sealed class HardnessRow
{
    [JsonPropertyName("example_id")] [ParquetRequired] public string ExampleId { get; set; } = "";
    [JsonPropertyName("final_loss")] public double FinalLoss { get; set; }
    [JsonPropertyName("loss_auc")] public double LossAuc { get; set; }
    [JsonPropertyName("relative_drop")] public double RelativeDrop { get; set; }
    [JsonPropertyName("confidence")] public double Confidence { get; set; }
    [JsonPropertyName("variability")] public double Variability { get; set; }
    [JsonPropertyName("score")] public double Score { get; set; }
    [JsonPropertyName("is_hard")] public bool IsHard { get; set; }
    [JsonPropertyName("cluster")] public int? Cluster { get; set; }
    [JsonPropertyName("method")] [ParquetRequired] public string Method { get; set; } = "";
    [JsonPropertyName("reason")] [ParquetRequired] public string Reason { get; set; } = "";
}

/// <summary>A sampled, verified candidate response for a prompt.</summary>
public sealed class CandidateRow
{
    [JsonPropertyName("prompt_id")] [ParquetRequired] public string PromptId { get; set; } = "";
    [JsonPropertyName("candidate_index")] public int CandidateIndex { get; set; }
    [JsonPropertyName("text")] [ParquetRequired] public string Text { get; set; } = "";
    [JsonPropertyName("generated_tokens")] public int GeneratedTokens { get; set; }
    [JsonPropertyName("sum_logprob")] public double SumLogprob { get; set; }
    [JsonPropertyName("mean_logprob")] public double MeanLogprob { get; set; }
    /// <summary>eos | stop | length.</summary>
    [JsonPropertyName("finish_reason")] [ParquetRequired] public string FinishReason { get; set; } = "";
    /// <summary>How many sampled candidates of this prompt produced this exact text (deduplication count).</summary>
    [JsonPropertyName("duplicate_count")] public int DuplicateCount { get; set; } = 1;
    [JsonPropertyName("verifier")] [ParquetRequired] public string Verifier { get; set; } = "";
    [JsonPropertyName("score")] public double Score { get; set; }
    [JsonPropertyName("accepted")] public bool Accepted { get; set; }
    [JsonPropertyName("model_id")] [ParquetRequired] public string ModelId { get; set; } = "";
    [JsonPropertyName("model_version")] [ParquetRequired] public string ModelVersion { get; set; } = "";
    /// <summary>Sampler settings as JSON text (temperature, top_p, top_k, max_new_tokens, k).</summary>
    [JsonPropertyName("sampler_settings")] [ParquetRequired] public string SamplerSettings { get; set; } = "{}";
    [JsonPropertyName("seed")] public long Seed { get; set; }
    [JsonPropertyName("created_at")]
    [ParquetTimestamp(ParquetTimestampResolution.Microseconds, useLogicalTimestamp: true, isAdjustedToUTC: true)]
    public DateTime CreatedAt { get; set; }
}

/// <summary>A row of the next-stage training set built from easy originals and accepted candidates.</summary>
public sealed class NextStageRow
{
    [JsonPropertyName("id")] [ParquetRequired] public string Id { get; set; } = "";
    [JsonPropertyName("prompt")] [ParquetRequired] public string Prompt { get; set; } = "";
    [JsonPropertyName("response")] [ParquetRequired] public string Response { get; set; } = "";
    /// <summary>original | generated.</summary>
    [JsonPropertyName("origin")] [ParquetRequired] public string Origin { get; set; } = "";
    [JsonPropertyName("weight")] public double Weight { get; set; } = 1.0;
    /// <summary>Where the row came from as JSON text (source example id, candidate index, run id).</summary>
    [JsonPropertyName("lineage")] [ParquetRequired] public string Lineage { get; set; } = "{}";
}

/// <summary>
/// A contrastive pair for SPIN / IRL-style SFT (written by `rft pairs`; read by `rft train --objective spin`):
/// for one prompt, a chosen response (the demonstration or an accepted candidate) and a rejected one (a
/// sampled candidate of the model being trained).
/// </summary>
public sealed class PairRow
{
    [JsonPropertyName("id")] [ParquetRequired] public string Id { get; set; } = "";
    [JsonPropertyName("prompt_id")] [ParquetRequired] public string PromptId { get; set; } = "";
    [JsonPropertyName("prompt")] [ParquetRequired] public string Prompt { get; set; } = "";
    [JsonPropertyName("chosen")] [ParquetRequired] public string Chosen { get; set; } = "";
    /// <summary>demonstration | accepted_candidate.</summary>
    [JsonPropertyName("chosen_origin")] [ParquetRequired] public string ChosenOrigin { get; set; } = "";
    /// <summary>The candidate index when the chosen response is a candidate; null for the demonstration.</summary>
    [JsonPropertyName("chosen_candidate_index")] public int? ChosenCandidateIndex { get; set; }
    [JsonPropertyName("rejected")] [ParquetRequired] public string Rejected { get; set; } = "";
    [JsonPropertyName("rejected_candidate_index")] public int RejectedCandidateIndex { get; set; }
    /// <summary>verifier_rejected | any_sample: why this candidate is the rejected side.</summary>
    [JsonPropertyName("rejected_reason")] [ParquetRequired] public string RejectedReason { get; set; } = "";
    [JsonPropertyName("rejected_score")] public double RejectedScore { get; set; }
    [JsonPropertyName("rejected_accepted")] public bool RejectedAccepted { get; set; }
    [JsonPropertyName("verifier")] [ParquetRequired] public string Verifier { get; set; } = "";
    /// <summary>The model version that sampled the rejected candidate.</summary>
    [JsonPropertyName("model_version")] [ParquetRequired] public string ModelVersion { get; set; } = "";
    /// <summary>Where the pair came from as JSON text (example id, candidate indices, model, run id).</summary>
    [JsonPropertyName("lineage")] [ParquetRequired] public string Lineage { get; set; } = "{}";
}

/// <summary>One evaluated example for one model.</summary>
public sealed class EvalResultRow
{
    [JsonPropertyName("example_id")] [ParquetRequired] public string ExampleId { get; set; } = "";
    [JsonPropertyName("model")] [ParquetRequired] public string Model { get; set; } = "";
    [JsonPropertyName("k")] public int K { get; set; }
    [JsonPropertyName("correct")] public bool Correct { get; set; }
    [JsonPropertyName("score")] public double Score { get; set; }
    [JsonPropertyName("prediction")] [ParquetRequired] public string Prediction { get; set; } = "";
}

/// <summary>One arm of `rft experiment`: same data, seeds and budgets, one way of building the training set.</summary>
public sealed class ExperimentArmRow
{
    [ParquetRequired, JsonPropertyName("arm")] public string Arm { get; set; } = "";
    [ParquetRequired, JsonPropertyName("description")] public string Description { get; set; } = "";
    [JsonPropertyName("greedy_pass_at_1")] public double GreedyPassAt1 { get; set; }
    [JsonPropertyName("prompts_sampled")] public int PromptsSampled { get; set; }
    [JsonPropertyName("candidates_drawn")] public long CandidatesDrawn { get; set; }
    [JsonPropertyName("accepted")] public long Accepted { get; set; }
    [JsonPropertyName("sampler_tokens")] public long SamplerTokens { get; set; }
    [JsonPropertyName("training_rows")] public int TrainingRows { get; set; }
    [JsonPropertyName("wall_seconds")] public double WallSeconds { get; set; }
}
