using System.Reflection;

namespace OnnxRftPipeline.TestSupport;

/// <summary>The names of every assembly reachable through references from a built assembly: what it will load.</summary>
public static class AssemblyClosure
{
    public static SortedSet<string> Of(Assembly root)
    {
        var seen = new SortedSet<string>(StringComparer.Ordinal);
        var todo = new Stack<AssemblyName>(root.GetReferencedAssemblies());
        while (todo.TryPop(out var name))
        {
            if (!seen.Add(name.Name!)) continue;
            Assembly loaded;
            try { loaded = Assembly.Load(name); }
            catch (FileNotFoundException) { continue; }   // facade of the shared framework not present as a file
            foreach (var r in loaded.GetReferencedAssemblies()) todo.Push(r);
        }
        return seen;
    }
}
