namespace OnnxRftPipeline.Tasks.Import;

/// <summary>Which input column fills one sft_examples field, and why (for the import's report and its lineage).</summary>
public sealed record FieldMapping(string Field, string? Column, string How);

/// <summary>
/// Decides the import's columns from the first record's names. Prompt and response come from their options (default "prompt",
/// "response"). Answer and id, unless given, come from conventional names: without that an input's `answer` column was silently
/// dropped and surfaced only later as "numeric: the example has no reference answer". The names are matched ignoring case, and a
/// column already used for the prompt or response is never taken again (GSM8K's worked `answer` imported as the response is not
/// also its reference answer).
/// </summary>
public static class ColumnMapping
{
    /// <summary>
    /// Names of a verifiable final answer, in order of preference: `answer` (GSM8K, MATH exports, most hand-made sets),
    /// `final_answer`, `ground_truth` (RL reward data such as verl's), `reference_answer`. Not `solution` or `target`: those
    /// usually hold the worked demonstration.
    /// </summary>
    public static readonly string[] AnswerNames = ["answer", "final_answer", "ground_truth", "reference_answer"];

    /// <summary>Names of an example id, in order of preference.</summary>
    public static readonly string[] IdNames = ["id", "example_id", "uid"];

    public sealed record Resolved(string Prompt, string Response, string? Answer, string? Id, IReadOnlyList<FieldMapping> Fields,
        IReadOnlyList<string> Ignored)
    {
        /// <summary>True when <paramref name="field"/>'s column was picked by its conventional name rather than given.</summary>
        public bool ByConvention(string field) => Fields.Any(f => f.Field == field && f.How.StartsWith("conventional", StringComparison.Ordinal));
    }

    /// <param name="columns">the first record's column names (none for an empty input).</param>
    public static Resolved Resolve(ImportOptions o, IReadOnlyList<string> columns)
    {
        var used = new HashSet<string>(StringComparer.Ordinal) { o.PromptField, o.ResponseField };
        var fields = new List<FieldMapping>
        {
            new("prompt", o.PromptField, o.PromptField == new ImportOptions().PromptField ? "default name" : "--prompt-field"),
            new("response", o.ResponseField, o.ResponseField == new ImportOptions().ResponseField ? "default name" : "--response-field"),
        };
        string? Pick(string field, string? given, string[] names, string flag, string without)
        {
            if (given == ImportOptions.NoField) { fields.Add(new(field, null, $"off by {flag} none: {without}")); return null; }
            if (given is not null) { fields.Add(new(field, given, flag)); used.Add(given); return given; }
            foreach (var name in names)
            {
                var column = columns.FirstOrDefault(c => !used.Contains(c) && string.Equals(c, name, StringComparison.OrdinalIgnoreCase));
                if (column is null) continue;
                fields.Add(new(field, column, $"conventional name; {flag} none to skip it"));
                used.Add(column);
                return column;
            }
            fields.Add(new(field, null, $"no column named {string.Join(", ", names)}: {without}"));
            return null;
        }
        var answer = Pick("answer", o.AnswerField, AnswerNames, "--answer-field", "no reference answers");
        var id = Pick("id", o.IdField, IdNames, "--id-field", "ids hashed from prompt and response");
        return new Resolved(o.PromptField, o.ResponseField, answer, id, fields, columns.Where(c => !used.Contains(c)).ToList());
    }
}
