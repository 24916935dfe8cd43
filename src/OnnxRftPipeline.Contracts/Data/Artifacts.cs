using Parquet.Schema;
using Parquet.Serialization;

namespace OnnxRftPipeline.Contracts.Data;

/// <summary>A Parquet artifact of the pipeline: its name (data-schemas/&lt;name&gt;.schema.json) and row class.</summary>
public sealed record ArtifactKind(string Name, Type RowType)
{
    public ParquetSchema Schema => RowType.GetParquetSchema(forWriting: false);
}

/// <summary>Every Parquet artifact the pipeline reads or writes.</summary>
public static class Artifacts
{
    public static readonly ArtifactKind SftExamples = new("sft_examples", typeof(SftExample));
    public static readonly ArtifactKind Trajectories = new("trajectories", typeof(TrajectoryRow));
    public static readonly ArtifactKind Hardness = new("hardness", typeof(HardnessRow));
    public static readonly ArtifactKind Candidates = new("candidates", typeof(CandidateRow));
    public static readonly ArtifactKind NextStage = new("next_stage", typeof(NextStageRow));
    public static readonly ArtifactKind Pairs = new("pairs", typeof(PairRow));
    public static readonly ArtifactKind EvalResults = new("eval_results", typeof(EvalResultRow));
    public static readonly ArtifactKind Experiment = new("experiment", typeof(ExperimentArmRow));

    public static IReadOnlyList<ArtifactKind> All { get; } =
        [SftExamples, Trajectories, Hardness, Candidates, NextStage, Pairs, EvalResults, Experiment];

    public static ArtifactKind? ByName(string name) => All.FirstOrDefault(a => a.Name == name);

    /// <summary>
    /// The artifact whose contract a file schema satisfies (extra columns allowed); when several do,
    /// the one with the most columns, i.e. the most specific contract.
    /// </summary>
    public static ArtifactKind? Match(ParquetSchema actual) => All
        .Where(a => SchemaCheck.Mismatches(a.RowType, actual).Count == 0)
        .OrderByDescending(a => a.Schema.GetDataFields().Length)
        .FirstOrDefault();
}
