using OnnxRftPipeline.Verifiers;

namespace OnnxRftPipeline.Verifiers.Tests;

// These run real /bin/sh processes: the command verifier's job is process plumbing, so a fake would test nothing.
public class CommandVerifierTests
{
    static async Task<VerifierResult> Run(string spec, string candidate = "#### 7", string? answer = "7") =>
        await VerifierFactory.Create(spec).VerifyAsync(new VerifyInput("Q: 3+4\n", candidate, answer));

    static string Sh(string script, string extra = "") =>
        "cmd:path=/bin/sh,arg=-c,arg=\"" + script.Replace("\"", "\"\"") + "\"" + extra;

    [Fact]
    public async Task Sends_prompt_candidate_and_answer_as_one_json_object_on_stdin()
    {
        var dir = Directory.CreateTempSubdirectory("rft-cmd-").FullName;
        var captured = Path.Combine(dir, "in.json");
        var r = await Run(Sh($"cat > '{captured}'; echo 1"), candidate: "é \"q\"\n#### 7", answer: null);
        Assert.True(r.Accepted);
        using var doc = System.Text.Json.JsonDocument.Parse(await File.ReadAllTextAsync(captured));
        Assert.Equal("Q: 3+4\n", doc.RootElement.GetProperty("prompt").GetString());
        Assert.Equal("é \"q\"\n#### 7", doc.RootElement.GetProperty("candidate").GetString());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, doc.RootElement.GetProperty("answer").ValueKind);
    }

    [Fact]
    public async Task A_bare_score_is_compared_with_the_threshold()
    {
        var r = await Run(Sh("cat >/dev/null; echo 0.4"));
        Assert.Equal(0.4, r.Score);
        Assert.False(r.Accepted);
        Assert.True((await Run(Sh("cat >/dev/null; echo 0.4", ",threshold=0.3"))).Accepted);
    }

    [Fact]
    public async Task A_json_verdict_is_taken_as_given()
    {
        var r = await Run(Sh("cat >/dev/null; echo '{\"score\": 0.2, \"accepted\": true, \"reason\": \"close enough\"}'"));
        Assert.Equal(0.2, r.Score);
        Assert.True(r.Accepted);
        Assert.Equal("close enough", r.Reason);
    }

    [Fact]
    public async Task The_script_can_judge_from_its_input()
    {
        // Accept when the candidate's JSON contains the answer's digits after ####.
        const string script = "if grep -q '#### 7\"'; then echo 1; else echo 0; fi";
        Assert.True((await Run(Sh(script), candidate: "#### 7")).Accepted);
        Assert.False((await Run(Sh(script), candidate: "#### 8")).Accepted);
    }

    [Fact]
    public async Task Non_zero_exit_names_the_command_code_and_stderr()
    {
        var e = await Assert.ThrowsAsync<VerifierException>(() => Run(Sh("echo boom >&2; exit 3")));
        Assert.Contains("cmd '/bin/sh -c", e.Message);
        Assert.Contains("exited with code 3", e.Message);
        Assert.Contains("boom", e.Message);
    }

    [Fact]
    public async Task Garbage_output_names_the_command_and_quotes_the_output()
    {
        var e = await Assert.ThrowsAsync<VerifierException>(() => Run(Sh("echo looks good")));
        Assert.Contains("cmd '/bin/sh", e.Message);
        Assert.Contains("looks good", e.Message);
        var range = await Assert.ThrowsAsync<VerifierException>(() => Run(Sh("echo 1.5")));
        Assert.Contains("must be in [0,1]", range.Message);
        var json = await Assert.ThrowsAsync<VerifierException>(() => Run(Sh("echo '{\"accepted\": true}'")));
        Assert.Contains("numeric \"score\"", json.Message);
        var empty = await Assert.ThrowsAsync<VerifierException>(() => Run(Sh("true")));
        Assert.Contains("printed nothing", empty.Message);
    }

    [Fact]
    public async Task A_command_that_runs_too_long_is_killed_and_reported()
    {
        var e = await Assert.ThrowsAsync<VerifierException>(() => Run(Sh("sleep 30", ",timeout=0.3")));
        Assert.Contains("timed out after 0.3 s", e.Message);
        Assert.Contains("/bin/sh", e.Message);
    }

    [Fact]
    public async Task A_missing_program_is_reported_by_name()
    {
        var e = await Assert.ThrowsAsync<VerifierException>(() => Run("cmd:path=/nonexistent/score.sh"));
        Assert.Contains("cmd '/nonexistent/score.sh': cannot start", e.Message);
    }

    [Fact]
    public async Task Works_inside_a_composite()
    {
        var r = await Run("all(numeric;" + Sh("cat >/dev/null; echo 1") + ")");
        Assert.True(r.Accepted);
    }
}
