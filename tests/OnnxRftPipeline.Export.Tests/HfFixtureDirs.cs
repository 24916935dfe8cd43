namespace OnnxRftPipeline.Export.Tests;

/// <summary>
/// The Hugging Face checkpoints written by transformers itself: two in shared/fixtures/hf beside the repository (as CI lays it
/// out), two in the repository's tests/fixtures/hf (README there).
/// </summary>
public static class HfFixtureDirs
{
    public static string Find(string name)
    {
        var root = RepoRoot();
        foreach (var candidate in new[] { Path.Combine(root, "tests", "fixtures", "hf", name), Path.Combine(root, "..", "shared", "fixtures", "hf", name) })
            if (Directory.Exists(candidate)) return Path.GetFullPath(candidate);
        throw new DirectoryNotFoundException($"fixture {name} not found under tests/fixtures/hf or ../shared/fixtures/hf of {root}");
    }

    static string RepoRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "OnnxRftPipeline.sln"))) return d.FullName;
        throw new DirectoryNotFoundException($"no OnnxRftPipeline.sln above {AppContext.BaseDirectory}");
    }
}
