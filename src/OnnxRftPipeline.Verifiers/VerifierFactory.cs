using System.Text.RegularExpressions;

namespace OnnxRftPipeline.Verifiers;

/// <summary>
/// Builds a verifier from a spec string (grammar in <see cref="VerifierSpec"/> and Verifiers/README.md).
/// Built-ins: exact, numeric, regex, cmd, and the composites all, any, mean.
/// </summary>
public static class VerifierFactory
{
    public static readonly IReadOnlyList<string> KnownNames = ["exact", "numeric", "regex", "cmd", "all", "any", "mean"];

    /// <summary>Parses and builds; throws <see cref="VerifierSpecException"/> naming the bad part.</summary>
    public static IVerifier Create(string spec) => Build(VerifierSpec.Parse(spec));

    public static IVerifier Build(VerifierSpec node)
    {
        bool composite = node.Name is "all" or "any" or "mean";
        if (!KnownNames.Contains(node.Name))
            throw new VerifierSpecException(
                $"Bad verifier spec \"{node}\": unknown verifier '{node.Name}' (known: {string.Join(", ", KnownNames)}).");
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
            default:
            {
                var o = new SpecOptions(node, ["threshold"]);
                var mode = node.Name switch { "all" => CompositeMode.All, "any" => CompositeMode.Any, _ => CompositeMode.Mean };
                return new CompositeVerifier(mode, node.Children.Select(Build).ToArray(), o.Double("threshold", 0, 1)) { Spec = spec };
            }
        }
    }
}
