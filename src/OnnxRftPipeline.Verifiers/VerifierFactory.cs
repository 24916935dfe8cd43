using System.Text.RegularExpressions;

namespace OnnxRftPipeline.Verifiers;

/// <summary>
/// Builds a verifier from a spec string (grammar in <see cref="VerifierSpec"/> and Verifiers/README.md).
/// Built-ins: the verifiers exact, numeric, regex, cmd; the filters length, novelty, cap (need no reference
/// answer); and the composites all, any, mean.
/// </summary>
public static class VerifierFactory
{
    /// <summary>The verifiers and composites.</summary>
    public static readonly IReadOnlyList<string> KnownNames = ["exact", "numeric", "regex", "cmd", "all", "any", "mean"];

    /// <summary>The filters: they judge a candidate without a reference answer.</summary>
    public static readonly IReadOnlyList<string> FilterNames = ["length", "novelty", "cap"];

    /// <summary>The filters that judge against state shared across candidates, so need a <see cref="FilterContext"/>.</summary>
    public static readonly IReadOnlyList<string> StatefulNames = ["novelty", "cap"];

    /// <summary>Parses and builds; throws <see cref="VerifierSpecException"/> naming the bad part. A spec with a
    /// stateful filter (novelty, cap) is refused here: use <see cref="Create(string, FilterContext)"/>.</summary>
    public static IVerifier Create(string spec) => Build(VerifierSpec.Parse(spec), null);

    /// <summary>Parses and builds, giving the stateful filters (novelty, cap) <paramref name="context"/> to judge
    /// against; the caller keeps accepted candidates in it (see <see cref="FilterContext"/>).</summary>
    public static IVerifier Create(string spec, FilterContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return Build(VerifierSpec.Parse(spec), context);
    }

    public static IVerifier Build(VerifierSpec node) => Build(node, null);

    public static IVerifier Build(VerifierSpec node, FilterContext? context)
    {
        bool composite = node.Name is "all" or "any" or "mean";
        if (!KnownNames.Contains(node.Name) && !FilterNames.Contains(node.Name))
            throw new VerifierSpecException(
                $"Bad verifier spec \"{node}\": unknown verifier '{node.Name}' (known: {string.Join(", ", KnownNames)}) or filter (known: {string.Join(", ", FilterNames)}).");
        if (!composite && node.Children.Count > 0)
            throw new VerifierSpecException($"Bad verifier spec \"{node}\": '{node.Name}' takes no (...) list; only all, any and mean do.");
        if (composite && node.Children.Count == 0)
            throw new VerifierSpecException($"Bad verifier spec \"{node}\": '{node.Name}' needs verifiers in parentheses, e.g. {node.Name}(exact;numeric).");
        var spec = node.ToString();
        switch (node.Name)
        {
            case "exact":
            {
                var o = new SpecOptions(node, ["norm", "case", "on"]);
                var norm = o.Choice("norm", "ws", "none", "trim", "ws") switch
                {
                    "none" => TextNormalization.None,
                    "trim" => TextNormalization.Trim,
                    _ => TextNormalization.Whitespace,
                };
                return new ExactMatchVerifier(norm, o.Choice("case", "sensitive", "sensitive", "insensitive") == "insensitive",
                    o.Choice("on", "final", "final", "whole") == "whole") { Spec = spec };
            }
            case "numeric":
            {
                var o = new SpecOptions(node, ["tol", "rtol"]);
                return new NumericVerifier(o.Double("tol", 0) ?? 1e-6, o.Double("rtol", 0) ?? 0) { Spec = spec };
            }
            case "regex":
            {
                var o = new SpecOptions(node, ["pattern", "group", "flags", "on"]);
                var pattern = o.Required("pattern");
                var flags = RegexOptions.None;
                foreach (var f in o.String("flags") ?? "")
                    flags |= f switch
                    {
                        'i' => RegexOptions.IgnoreCase,
                        'm' => RegexOptions.Multiline,
                        's' => RegexOptions.Singleline,
                        _ => throw o.Bad($"option 'flags' of 'regex' takes letters i, m, s; got '{f}'"),
                    };
                try
                {
                    return new RegexVerifier(pattern, o.String("group"), flags, o.Choice("on", "whole", "whole", "final") == "final") { Spec = spec };
                }
                catch (RegexParseException e)
                {
                    throw o.Bad($"pattern '{pattern}' is not a valid regular expression: {e.Message}");
                }
                catch (ArgumentException e)
                {
                    throw o.Bad($"option 'group' of 'regex': {e.Message}");
                }
            }
            case "cmd":
            {
                var o = new SpecOptions(node, ["path", "arg", "timeout", "threshold"], repeatable: ["arg"]);
                var timeout = o.Double("timeout", 0.001, 86400) ?? 10;
                return new CommandVerifier(o.Required("path"), o.All("arg"), TimeSpan.FromSeconds(timeout), o.Double("threshold", 0, 1) ?? 0.5) { Spec = spec };
            }
            case "length":
            {
                var o = new SpecOptions(node, ["min", "max", "on"]);
                int? min = o.Int("min", 0), max = o.Int("max", 0);
                if (min is null && max is null) throw o.Bad("'length' needs option 'min=...' or 'max=...' (or both)");
                if (min > max) throw o.Bad($"option 'min' of 'length' ({min}) is greater than 'max' ({max})");
                return new LengthFilter(min, max, o.Choice("on", "whole", "whole", "final") == "final") { Spec = spec };
            }
            case "novelty":
            {
                var o = new SpecOptions(node, ["min", "ratio", "on"]);
                if (o.String("min") is null) throw o.Bad("'novelty' needs option 'min=...' (the smallest Levenshtein distance allowed)");
                int min = o.Int("min", 1)!.Value;
                var ratio = o.Double("ratio", 0, 1);
                if (ratio == 0) throw o.Bad("option 'ratio' of 'novelty' must be greater than 0 (leave it out for no ratio)");
                bool final = o.Choice("on", "whole", "whole", "final") == "final";
                return new NoveltyFilter(NeedContext(o, context), min, ratio, final) { Spec = spec };
            }
            case "cap":
            {
                var o = new SpecOptions(node, ["n"]);
                if (o.String("n") is null) throw o.Bad("'cap' needs option 'n=...' (the most candidates kept per prompt)");
                return new CapFilter(NeedContext(o, context), o.Int("n", 1)!.Value) { Spec = spec };
            }
            default:
            {
                var o = new SpecOptions(node, ["threshold"]);
                var mode = node.Name switch { "all" => CompositeMode.All, "any" => CompositeMode.Any, _ => CompositeMode.Mean };
                return new CompositeVerifier(mode, node.Children.Select(c => Build(c, context)).ToArray(), o.Double("threshold", 0, 1)) { Spec = spec };
            }
        }
    }

    static FilterContext NeedContext(SpecOptions o, FilterContext? context) => context
        ?? throw o.Bad($"'{o.Name}' judges against the candidates kept so far (and novelty against the reference corpus), " +
                       "so it needs a FilterContext: build it with VerifierFactory.Create(spec, context)");

    /// <summary>True when the spec has a stateful filter (novelty, cap) and so must be built with a <see cref="FilterContext"/>.</summary>
    public static bool UsesFilterContext(string spec) => Leaves(Validated(spec)).Any(n => StatefulNames.Contains(n.Name));

    /// <summary>True when some leaf of the spec compares with the reference answer; see <see cref="FiltersNeedingReferenceAnswer"/>.</summary>
    public static bool NeedsReferenceAnswer(string spec) => FiltersNeedingReferenceAnswer(spec).Count > 0;

    /// <summary>
    /// The canonical specs of the leaves that compare with the reference answer, in spec order: exact, numeric, and
    /// regex with group. length, novelty, cap, regex without group and cmd need none (cmd gets "answer": null and
    /// decides for itself). A composite needs one when any child does, whatever its mode: the child would throw
    /// <see cref="VerifierException"/> on an example without one. Validates the whole spec first.
    /// </summary>
    public static IReadOnlyList<string> FiltersNeedingReferenceAnswer(string spec) =>
        Leaves(Validated(spec)).Where(n => n.Name is "exact" or "numeric" || (n.Name == "regex" && n.Options.Any(o => o.Key == "group")))
            .Select(n => n.ToString()).ToArray();

    /// <summary>Throws a <see cref="VerifierSpecException"/> naming the leaves that need a reference answer, for data
    /// that has none (prompt-only self-distillation).</summary>
    public static void RequireNoReferenceAnswer(string spec)
    {
        var need = FiltersNeedingReferenceAnswer(spec);
        if (need.Count == 0) return;
        throw new VerifierSpecException(
            $"Bad verifier spec \"{VerifierSpec.Parse(spec)}\": {string.Join(", ", need.Select(n => $"'{n}'"))} " +
            $"{(need.Count == 1 ? "compares" : "compare")} with a reference answer, and the data has none (prompts only); " +
            "use filters that need none: length, novelty, cap, regex without group, cmd.");
    }

    // Builds once with a throwaway context, so a name, option or pattern error surfaces here with its usual message.
    static VerifierSpec Validated(string spec)
    {
        var node = VerifierSpec.Parse(spec);
        Build(node, new FilterContext());
        return node;
    }

    static IEnumerable<VerifierSpec> Leaves(VerifierSpec node) =>
        node.Children.Count == 0 ? [node] : node.Children.SelectMany(Leaves);
}
