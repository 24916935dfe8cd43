using System.CommandLine;
using OnnxRftPipeline.Contracts.Data;
using Spectre.Console;

namespace OnnxRftPipeline.Cli;

/// <summary>Exit codes and the one place user-facing errors are turned into messages.</summary>
public static class CliHost
{
    public const int Ok = 0, Failure = 1, BadInput = 2, Cancelled = 130;

    public static async Task<int> RunAsync(RootCommand root, string[] args)
    {
        using var cts = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) => { e.Cancel = true; cts.Cancel(); };
        // Written to a log (no terminal), tables would be squeezed to Spectre's 80-column default and wrap every cell: give them room.
        if (Console.IsOutputRedirected) AnsiConsole.Console.Profile.Width = Math.Max(AnsiConsole.Console.Profile.Width, 200);
        var parse = root.Parse(args);
        try
        {
            // System.CommandLine answers SIGTERM (and SIGINT) by cancelling the verb's token and, if the verb has not
            // returned ProcessTerminationTimeout (2 s) later, returning 143 (130) itself: the process then exits under
            // whatever is still running. That cut `rft serve`'s drain short (queued requests got connection resets,
            // exit 143 after ~2.3 s). The serve verb bounds its own shutdown (--shutdown-grace) and handles the signals
            // itself (the generic host's ConsoleLifetime and its own SIGTERM registration; Ctrl+C via CancelKeyPress
            // above), so for it the library's handler is off. Other verbs keep it: cancel, then exit within 2 s.
            var config = new InvocationConfiguration { EnableDefaultExceptionHandler = false };
            if (parse.CommandResult.Command.Name == Verbs.ServeVerb.Name) config.ProcessTerminationTimeout = null;
            return await parse.InvokeAsync(config, cts.Token);
        }
        catch (Exception e) when (IsUserError(e))
        {
            AnsiConsole.Console.Profile.Out.Writer.Flush();
            Console.Error.WriteLine($"error: {e.Message}");
            return BadInput;
        }
        catch (OnnxRftPipeline.Cli.Cycle.StageFailedException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return Failure;
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine("cancelled.");
            return Cancelled;
        }
    }

    /// <summary>Errors caused by the user's input or files: print the message, not a stack trace.</summary>
    static bool IsUserError(Exception e) => UserError.IsMarked(e) || e is UserInputException or DataContractException or InvalidDataException
        // A service that cannot be reached (refused, timed out, circuit open after repeated failures) is the user's URL or service to fix.
        or HttpRequestException or Polly.CircuitBreaker.BrokenCircuitException or TimeoutException
        or FileNotFoundException or DirectoryNotFoundException or NotSupportedException or ArgumentException
        or FormatException or System.Text.Json.JsonException or IOException
        or OnnxRftPipeline.Tasks.Synth.SynthException or OnnxRftPipeline.Verifiers.VerifierSpecException
        or OnnxRftPipeline.Verifiers.VerifierException;
}

/// <summary>Thrown by verbs for bad arguments or inputs; the message is shown as is.</summary>
public sealed class UserInputException(string message) : Exception(message);
