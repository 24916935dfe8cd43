using System.CommandLine;

namespace OnnxRftPipeline.Cli.Verbs;

/// <summary>Short constructors for System.CommandLine options, so verb files read as a list of flags.</summary>
static class Opt
{
    public static Option<T> Required<T>(string name, string description) =>
        new(name) { Description = description, Required = true };

    public static Option<T> With<T>(string name, T defaultValue, string description) =>
        new(name) { Description = description, DefaultValueFactory = _ => defaultValue };

    public static Option<T?> Optional<T>(string name, string description) =>
        new(name) { Description = description };

    public static Option<bool> Flag(string name, string description) =>
        new(name) { Description = description };

    public static Command With(this Command command, params Option[] options)
    {
        foreach (var o in options) command.Add(o);
        return command;
    }
}
