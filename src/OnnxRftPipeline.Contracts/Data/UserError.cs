namespace OnnxRftPipeline.Contracts.Data;

/// <summary>
/// Marks an exception as the user's to fix (a conflicting run folder, settings that differ from a saved run), whatever its type,
/// so a command line shows its message and exits 2 instead of printing a stack trace. The type stays what library callers catch.
/// </summary>
public static class UserError
{
    public const string Key = "rft.user_error";

    public static T Mark<T>(T e) where T : Exception
    {
        e.Data[Key] = true;
        return e;
    }

    public static bool IsMarked(Exception e) => e.Data.Contains(Key);
}
