namespace OnnxRftPipeline.Tasks.Import;

public enum InputFormat { Auto, Jsonl, Csv }

/// <summary>How <see cref="DataImporter"/> maps a JSONL or CSV file to sft_examples rows.</summary>
public sealed record ImportOptions
{
    public string PromptField { get; init; } = "prompt";
    public string ResponseField { get; init; } = "response";
    /// <summary>
    /// Field holding the verifiable final answer. Null: the first column with a conventional answer name
    /// (<see cref="ColumnMapping.AnswerNames"/>), none when there is none; <see cref="NoField"/>: no answers. An empty or null value
    /// imports as no answer.
    /// </summary>
    public string? AnswerField { get; init; }
    /// <summary>
    /// Field holding the example id. Null: the first column with a conventional id name (<see cref="ColumnMapping.IdNames"/>);
    /// without one, or with <see cref="NoField"/>, the id is a stable hash of prompt and response.
    /// </summary>
    public string? IdField { get; init; }

    /// <summary>For <see cref="AnswerField"/> and <see cref="IdField"/>: take no column (the command line's `none`).</summary>
    public const string NoField = "";
    /// <summary>Task name written on every row (selects the verifier).</summary>
    public string Task { get; init; } = "imported";
    /// <summary>Source written on every row; the input file's name when null.</summary>
    public string? Source { get; init; }
    public int RowsPerPart { get; init; } = 100_000;
    /// <summary>Auto picks CSV for .csv and JSON Lines otherwise.</summary>
    public InputFormat Format { get; init; } = InputFormat.Auto;
    /// <summary>Replace a non-empty output folder; otherwise that is an error.</summary>
    public bool Overwrite { get; init; }
    /// <summary>Lineage run id; when null, a hash of the input bytes and these options (re-importing is reproducible).</summary>
    public string? RunId { get; init; }
    /// <summary>Written as created_at when set; left out by default so the output is byte-identical run to run.</summary>
    public DateTimeOffset? CreatedAt { get; init; }
}

/// <summary>What an import wrote.</summary>
/// <param name="Columns">which input column filled each field and why; <paramref name="Ignored"/>: the input's other columns.</param>
public sealed record ImportResult(string OutputDir, long Rows, IReadOnlyList<string> Parts, OnnxRftPipeline.Contracts.Data.Lineage Lineage,
    IReadOnlyList<FieldMapping> Columns, IReadOnlyList<string> Ignored);
