using System.CommandLine;
using System.Globalization;
using OnnxRftPipeline.Tasks.Import;
using OnnxRftPipeline.Tasks.Synth;
using Spectre.Console;

namespace OnnxRftPipeline.Cli.Verbs;

/// <summary>`rft data …`: get SFT data in (import, synth) and look at any artifact (inspect).</summary>
public static class DataVerbs
{
    public static Command Create()
    {
        var data = new Command("data", "Create, import and inspect datasets.");
        data.Add(Import());
        data.Add(Inspect());
        data.Add(Synth());
        return data;
    }

    static Command Import()
    {
        var d = new ImportOptions();
        var from = Opt.Required<string>("--from", "Input file: JSON Lines (.jsonl) or CSV (.csv).");
        var outDir = Opt.Required<string>("--out", "Output folder for the sft_examples parts.");
        var prompt = Opt.With("--prompt-field", d.PromptField, "Field holding the prompt.");
        var response = Opt.With("--response-field", d.ResponseField, "Field holding the demonstration response.");
        var answer = Opt.Optional<string>("--answer-field", $"Field holding the verifiable final answer (default: the first column named {string.Join(", ", ColumnMapping.AnswerNames)}, any case; none: no answers).");
        var id = Opt.Optional<string>("--id-field", $"Field holding the example id (default: the first column named {string.Join(", ", ColumnMapping.IdNames)}, any case, else a stable hash of prompt and response; none: always the hash).");
        var task = Opt.With("--task", d.Task, "Task name written on every row.");
        var source = Opt.Optional<string>("--source", "Source written on every row (default: the input file name).");
        var format = Opt.With("--format", d.Format, "auto | jsonl | csv.");
        var rowsPerPart = Opt.With("--rows-per-part", d.RowsPerPart, "Rows per part file.");
        var overwrite = Opt.Flag("--overwrite", "Replace a non-empty output folder.");
        var cmd = new Command("import", "Map a JSONL or CSV file to the SFT examples schema.")
            .With(from, outDir, prompt, response, answer, id, task, source, format, rowsPerPart, overwrite);
        cmd.SetAction(async (p, ct) =>
        {
            var r = await DataImporter.ImportAsync(p.GetValue(from)!, p.GetValue(outDir)!, new ImportOptions
            {
                PromptField = p.GetValue(prompt)!, ResponseField = p.GetValue(response)!, AnswerField = NoneIsNoField(p.GetValue(answer)),
                IdField = NoneIsNoField(p.GetValue(id)), Task = p.GetValue(task)!, Source = p.GetValue(source), Format = p.GetValue(format),
                RowsPerPart = p.GetValue(rowsPerPart), Overwrite = p.GetValue(overwrite),
            }, ct);
            // Which column became which field, so a silently unmapped (or wrongly mapped) answer column shows here, not at sampling.
            foreach (var c in r.Columns)
                AnsiConsole.MarkupLineInterpolated($"  {c.Field,-8} ← {(c.Column is null ? "—" : $"'{c.Column}'")} ({c.How})");
            if (r.Ignored.Count > 0) AnsiConsole.MarkupLineInterpolated($"  ignored columns: {string.Join(", ", r.Ignored)}");
            AnsiConsole.MarkupLineInterpolated(CultureInfo.InvariantCulture, $"[green]imported[/] {r.Rows} rows into {r.Parts.Count} part(s) in {r.OutputDir}");
            return CliHost.Ok;
        });
        return cmd;
    }

    /// <summary>`none` on the command line: take no column for the field, not even one with a conventional name.</summary>
    static string? NoneIsNoField(string? value) => value == "none" ? ImportOptions.NoField : value;

    static Command Inspect()
    {
        var path = new Argument<string>("path") { Description = "A dataset folder of part files, or one Parquet file." };
        var head = Opt.With("--head", 5, "How many rows to show.");
        var cmd = new Command("inspect", "Print a dataset's schema, artifact kind, row count, metadata and first rows.") { path, head };
        cmd.SetAction(async (p, ct) =>
        {
            var info = await DatasetInspector.InspectAsync(p.GetValue(path)!, p.GetValue(head), ct);
            AnsiConsole.MarkupLineInterpolated(CultureInfo.InvariantCulture,
                $"[bold]{info.Path}[/]: {info.RowCount} rows in {info.Parts.Count} part(s); artifact: {info.Artifact ?? $"none (nearest {info.NearestArtifact})"}");
            foreach (var m in info.NearestMismatches) AnsiConsole.MarkupLineInterpolated($"  [yellow]{m}[/]");
            var schema = new Table().Title("schema").AddColumns("column", "type", "nullable");
            foreach (var c in info.Columns) schema.AddRow(Markup.Escape(c.Name), Markup.Escape(c.Type), c.Nullable ? "yes" : "no");
            AnsiConsole.Write(schema);
            if (info.Metadata.Count > 0)
            {
                var meta = new Table().Title("key-value metadata").AddColumns("key", "value");
                foreach (var (k, v) in info.Metadata) meta.AddRow(Markup.Escape(k), Markup.Escape(Shorten(v, 120)));
                AnsiConsole.Write(meta);
            }
            if (info.Head.Count > 0)
            {
                var rows = new Table().Title($"first {info.Head.Count} rows");
                foreach (var c in info.Columns) rows.AddColumn(Markup.Escape(c.Name));
                foreach (var r in info.Head) rows.AddRow(r.Select(x => Markup.Escape(Shorten(Convert.ToString(x, CultureInfo.InvariantCulture) ?? "null", 60))).ToArray());
                AnsiConsole.Write(rows);
            }
            return CliHost.Ok;
        });
        return cmd;
    }

    static Command Synth()
    {
        var task = Opt.Required<string>("--task", $"Bundled task: {string.Join(" | ", BundledTasks.Names)}.");
        var n = Opt.With("--n", 2000, "Training examples.");
        var evalN = Opt.With("--eval-n", 200, "Evaluation examples (never noisy; no prompt shared with train).");
        var seed = Opt.With("--seed", 1, "Seed: same seed and options, same bytes.");
        var noise = Opt.With("--noise", 0.0, "Fraction of training responses written in a hard-to-fit way.");
        var noiseKinds = Opt.Optional<string>("--noise-kinds", "Mix of noise kinds, e.g. skip=1,reorder=1,format=1,wrong=1.");
        var difficulty = Opt.Optional<string>("--difficulty", "Mix of difficulties, e.g. easy=1,medium=1,hard=1.");
        var outDir = Opt.Required<string>("--out", "Output folder; train/ and eval/ are written under it.");
        var overwrite = Opt.Flag("--overwrite", "Replace existing train/ and eval/.");
        var cmd = new Command("synth", "Generate a bundled task with verifiable answers (train/ and eval/).")
            .With(task, n, evalN, seed, noise, noiseKinds, difficulty, outDir, overwrite);
        cmd.SetAction(async (p, ct) =>
        {
            var s = await SynthRunner.RunAsync(new SynthRequest(p.GetValue(task)!, p.GetValue(n), p.GetValue(evalN), p.GetValue(seed),
                SynthOptions.FromCli(p.GetValue(noise), p.GetValue(difficulty), p.GetValue(noiseKinds)), p.GetValue(outDir)!, p.GetValue(overwrite)), ct);
            AnsiConsole.MarkupLineInterpolated(CultureInfo.InvariantCulture,
                $"[green]synth[/] {s.Task}: {s.TrainRows} train ({s.NoisyRows} noisy) → {s.TrainDir}; {s.EvalRows} eval → {s.EvalDir}; default verifier [bold]{s.DefaultVerifier}[/]");
            return CliHost.Ok;
        });
        return cmd;
    }

    static string Shorten(string s, int max) => s.Length <= max ? s.Replace("\n", "\\n") : s[..max].Replace("\n", "\\n") + "…";
}
