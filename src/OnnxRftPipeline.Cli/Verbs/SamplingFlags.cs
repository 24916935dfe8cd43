using System.CommandLine;
using OnnxRftPipeline.Sampler.Sampling;

namespace OnnxRftPipeline.Cli.Verbs;

/// <summary>
/// The sampling flags `rft sample` and `rft eval` share, with <see cref="SamplingSettings.Defaults"/> as their defaults, read
/// straight into one <see cref="SamplingSettings"/> and checked by its validator (errors name the flag: --temperature …).
/// </summary>
public sealed class SamplingFlags
{
    static readonly SamplingSettings D = SamplingSettings.Defaults;
    public readonly Option<double> Temperature = Opt.With("--temperature", D.Temperature, $"Sampling temperature in [0, {SamplingSettings.MaxTemperature}] (0 = greedy).");
    public readonly Option<double> TopP = Opt.With("--top-p", D.TopP, "Nucleus sampling mass (1 = off).");
    public readonly Option<int> TopK = Opt.With("--top-k", D.TopK, "Keep only the k most likely tokens (0 = off).");
    public readonly Option<int> MaxNewTokens = Opt.With("--max-new-tokens", D.MaxNewTokens, "Most tokens generated per candidate.");
    public readonly Option<string[]?> Stop = Opt.Optional<string[]>("--stop", "Stop string (repeatable).");
    public readonly Option<long> Seed = Opt.With("--seed", D.Seed, "Seed; each candidate's stream derives from (seed, prompt id, candidate index).");

    readonly HashSet<Option> _offered;

    /// <summary>All six flags (rft sample), or only <paramref name="offered"/> (rft eval: temperature, max new tokens, seed).</summary>
    public SamplingFlags(Func<SamplingFlags, Option[]>? offered = null) =>
        _offered = [.. offered?.Invoke(this) ?? [Temperature, TopP, TopK, MaxNewTokens, Stop, Seed]];

    /// <summary>The flags to add to the verb.</summary>
    public Option[] Options => [.. _offered];

    /// <summary>The settings the given flags say (flags the verb does not offer keep the defaults), validated.</summary>
    public SamplingSettings Read(ParseResult p)
    {
        T Get<T>(Option<T> o, T fallback) => _offered.Contains(o) ? p.GetValue(o)! : fallback;
        var s = new SamplingSettings
        {
            Temperature = Get(Temperature, D.Temperature), TopP = Get(TopP, D.TopP), TopK = Get(TopK, D.TopK),
            MaxNewTokens = Get(MaxNewTokens, D.MaxNewTokens), StopStrings = Get(Stop, null) ?? [], Seed = Get(Seed, D.Seed),
        };
        s.Validate();
        return s;
    }
}
