namespace OnnxRftPipeline.Tasks.Synth;

/// <summary>The tasks <c>rft data synth --task NAME</c> knows.</summary>
public static class BundledTasks
{
    static readonly ISynthTask[] Tasks = [new AdditionTask(), new ArithmeticTask(), new SortTask(), new CountTask()];

    public static IReadOnlyList<ISynthTask> All => Tasks;

    public static IReadOnlyList<string> Names => Tasks.Select(t => t.Name).ToArray();

    public static ISynthTask Get(string name) =>
        Tasks.FirstOrDefault(t => string.Equals(t.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new SynthException($"unknown task '{name}' (known: {string.Join(", ", Names)}).");
}
