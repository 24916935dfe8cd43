using System.Text;

namespace OnnxRftPipeline.Verifiers;

/// <summary>
/// One parsed node of a verifier spec: a name, optional child specs, optional key=value options.
/// <code>
/// spec     := name [ "(" spec { ";" spec } ")" ] [ ":" option { "," option } ]
/// name     := letter { letter | digit | "_" | "-" }
/// option   := key "=" value
/// value    := quoted | bare
/// quoted   := '"' { any char; "" for a literal " } '"'   |   "'" { any char; '' for a literal ' } "'"
/// bare     := chars up to the next "," ";" or ")" that is outside parentheses; a backslash and the char
///             after it are kept as written and never end the value (so regex escapes such as \d, \( or
///             \, pass through unchanged); surrounding spaces are trimmed
/// </code>
/// Examples: <c>exact</c>, <c>numeric:tol=1e-6</c>, <c>regex:pattern=^(\d+)$,group=1</c>,
/// <c>cmd:path=./score.sh,timeout=5</c>, <c>all(numeric;regex:pattern=^\d+$)</c>,
/// <c>mean(exact;numeric):threshold=0.5</c>. Options always come after the children.
/// </summary>
public sealed record VerifierSpec(string Name, IReadOnlyList<VerifierSpec> Children,
    IReadOnlyList<KeyValuePair<string, string>> Options, int Position)
{
    public static VerifierSpec Parse(string spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var p = new Parser(spec);
        p.SkipWs();
        if (p.AtEnd) throw p.Error("the spec is empty; expected a verifier name such as 'exact' or 'numeric'");
        var node = p.ParseSpec();
        p.SkipWs();
        if (!p.AtEnd) throw p.Error($"unexpected '{p.Peek}' after a complete spec");
        return node;
    }

    /// <summary>Canonical text: parses back to an equal tree. Values are quoted only when they must be.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder(Name);
        if (Children.Count > 0)
            sb.Append('(').Append(string.Join(";", Children.Select(c => c.ToString()))).Append(')');
        if (Options.Count > 0)
            sb.Append(':').Append(string.Join(",", Options.Select(o => o.Key + "=" + QuoteIfNeeded(o.Value))));
        return sb.ToString();
    }

    static string QuoteIfNeeded(string v)
    {
        bool plain = v.Length > 0 && v.Trim() == v && !v.EndsWith('\\')
            && v.IndexOfAny(['"', '\'', ',', ';', '(', ')']) < 0;
        return plain ? v : "\"" + v.Replace("\"", "\"\"") + "\"";
    }

    // Hand-written recursive descent: the grammar is tiny and its errors must point at a position.
    sealed class Parser(string text)
    {
        int pos;
        public bool AtEnd => pos >= text.Length;
        public char Peek => text[pos];

        public void SkipWs() { while (!AtEnd && char.IsWhiteSpace(Peek)) pos++; }

        public VerifierSpecException Error(string what, int? at = null)
        {
            var where = at ?? pos;
            var near = where < text.Length ? $" near '{Excerpt(where)}'" : " at the end";
            return new VerifierSpecException($"Bad verifier spec \"{text}\": {what} (position {where}{near}).");
        }

        string Excerpt(int at) => text.Length - at > 20 ? text.Substring(at, 20) + "…" : text[at..];

        public VerifierSpec ParseSpec()
        {
            SkipWs();
            int start = pos;
            var name = Ident();
            if (name.Length == 0)
                throw Error(AtEnd ? "expected a verifier name" : $"expected a verifier name, found '{Peek}'");
            SkipWs();
            var children = new List<VerifierSpec>();
            if (!AtEnd && Peek == '(')
            {
                int open = pos++;
                while (true)
                {
                    SkipWs();
                    if (AtEnd) throw Error($"'(' after '{name}' is never closed", open);
                    if (Peek == ')') throw Error($"empty verifier inside '{name}(...)'");
                    children.Add(ParseSpec());
                    SkipWs();
                    if (AtEnd) throw Error($"'(' after '{name}' is never closed", open);
                    if (Peek == ';') { pos++; continue; }
                    if (Peek == ')') { pos++; break; }
                    throw Error($"expected ';' or ')' inside '{name}(...)', found '{Peek}'");
                }
                SkipWs();
            }
            var options = new List<KeyValuePair<string, string>>();
            if (!AtEnd && Peek == ':')
            {
                pos++;
                while (true)
                {
                    SkipWs();
                    int keyAt = pos;
                    var key = Ident();
                    if (key.Length == 0)
                        throw Error($"expected an option name (key=value) for '{name}'");
                    SkipWs();
                    if (AtEnd || Peek != '=')
                        throw Error($"option '{key}' of '{name}' needs a value (write {key}=...)");
                    pos++;
                    options.Add(new(key, Value(key)));
                    SkipWs();
                    if (!AtEnd && Peek == ',') { pos++; continue; }
                    break;
                }
            }
            return new VerifierSpec(name, children, options, start);
        }

        string Ident()
        {
            int s = pos;
            if (!AtEnd && char.IsAsciiLetter(Peek))
                while (!AtEnd && (char.IsAsciiLetterOrDigit(Peek) || Peek is '_' or '-')) pos++;
            return text[s..pos];
        }

        string Value(string key)
        {
            SkipWs();
            if (!AtEnd && Peek is '"' or '\'')
            {
                char q = Peek;
                int open = pos++;
                var sb = new StringBuilder();
                while (true)
                {
                    if (AtEnd) throw Error($"the quoted value of '{key}' is never closed (missing {q})", open);
                    char c = text[pos++];
                    if (c != q) { sb.Append(c); continue; }
                    if (!AtEnd && Peek == q) { sb.Append(q); pos++; continue; }
                    return sb.ToString();
                }
            }
            int start = pos, depth = 0;
            var v = new StringBuilder();
            while (!AtEnd)
            {
                char c = Peek;
                if (c == '\\' && pos + 1 < text.Length) { v.Append(c).Append(text[pos + 1]); pos += 2; continue; }
                if (depth == 0 && c is ',' or ';' or ')') break;
                if (c == '(') depth++;
                else if (c == ')') depth--;
                v.Append(c);
                pos++;
            }
            if (depth > 0)
                throw Error($"unbalanced '(' in the value of '{key}'; quote the value, e.g. {key}=\"...\"", start);
            return v.ToString().Trim();
        }
    }
}
