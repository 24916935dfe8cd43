using System.Data;
using System.Globalization;
using System.Text;
using System.Text.Json;
using OnnxRftPipeline.Contracts.Data;
using OnnxRftPipeline.Verifiers;
using OnnxRftPipeline.Tasks.Synth;

namespace OnnxRftPipeline.Tasks.Tests.Synth;

public class SynthTaskTests
{
    public static TheoryData<string> TaskNames => new(BundledTasks.Names);

    static string Meta(SftExample r, string key) => JsonDocument.Parse(r.Metadata).RootElement.GetProperty(key).ToString();

    static SynthDataset Make(string task, int n, int evalN, int seed, double noise = 0, string? difficulty = null, string? kinds = null) =>
        BundledTasks.Get(task).Generate(n, evalN, seed, SynthOptions.FromCli(noise, difficulty, kinds));

    [Theory]
    [MemberData(nameof(TaskNames))]
    public void Noise_fraction_and_kind_mix_are_honoured_and_eval_is_clean(string task)
    {
        var d = Make(task, 400, 100, seed: 7, noise: 0.25);
        var noisy = d.Train.Where(r => Meta(r, "noisy") == "True").ToList();
        Assert.Equal(100, noisy.Count);
        Assert.All(d.Train, r => Assert.Equal(Meta(r, "noisy") == "True", Meta(r, "noise_kind") != "none"));
        Assert.All(d.Eval, r => Assert.Equal("none", Meta(r, "noise_kind")));
        // Equal weights over 4 kinds: 25 each, except Reorder may fall back to Format on one-step items.
        var byKind = noisy.GroupBy(r => Meta(r, "noise_kind")).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(25, byKind["skip"]);
        Assert.Equal(25, byKind["wrong"]);
        Assert.Equal(50, byKind["reorder"] + byKind["format"]);
        Assert.True(byKind["reorder"] >= 15, $"reorder only {byKind["reorder"]}");
        // Noisy rows keep their clean demonstration in metadata and differ from it.
        Assert.All(noisy, r => Assert.NotEqual(Meta(r, "clean_response"), r.Response));
    }

    [Theory]
    [MemberData(nameof(TaskNames))]
    public async Task Default_verifier_accepts_clean_and_correct_noisy_answers_and_rejects_wrong_ones(string task)
    {
        var t = BundledTasks.Get(task);
        var verifier = VerifierFactory.Create(t.DefaultVerifier);
        var d = Make(task, 300, 100, seed: 11, noise: 0.5);
        int wrong = 0;
        foreach (var r in d.Train.Concat(d.Eval))
        {
            var kind = Meta(r, "noise_kind");
            var result = await verifier.VerifyAsync(new VerifyInput(r.Prompt, r.Response, r.Answer));
            if (kind == "wrong") { wrong++; Assert.False(result.Accepted, $"{r.Id} wrong answer accepted: {r.Response}"); }
            else Assert.True(result.Accepted, $"{r.Id} ({kind}) rejected: {result.Reason}\n{r.Response}");
            // The clean demonstration of every row verifies.
            var clean = kind == "none" ? r.Response : Meta(r, "clean_response");
            Assert.True((await verifier.VerifyAsync(new VerifyInput(r.Prompt, clean, r.Answer))).Accepted);
        }
        Assert.True(wrong > 20);
    }

    [Theory]
    [MemberData(nameof(TaskNames))]
    public void Prompts_are_unique_and_never_shared_between_train_and_eval(string task)
    {
        var d = Make(task, 1000, 300, seed: 3, difficulty: "easy");
        var train = d.Train.Select(r => r.Prompt).ToList();
        var eval = d.Eval.Select(r => r.Prompt).ToList();
        Assert.Equal(train.Count, train.Distinct().Count());
        Assert.Equal(eval.Count, eval.Distinct().Count());
        Assert.Empty(train.Intersect(eval));
    }

    [Theory]
    [MemberData(nameof(TaskNames))]
    public void Ids_are_stable_unique_and_formatted(string task)
    {
        var d = Make(task, 50, 20, seed: 1);
        Assert.Equal($"{task}-train-000000", d.Train[0].Id);
        Assert.Equal($"{task}-eval-000019", d.Eval[19].Id);
        var ids = d.Train.Concat(d.Eval).Select(r => r.Id).ToList();
        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.All(d.Train.Concat(d.Eval), r => { Assert.Equal(task, r.Task); Assert.Equal("synth", r.Source); });
    }

    [Theory]
    [MemberData(nameof(TaskNames))]
    public void Sizes_stay_small_enough_for_a_byte_level_model(string task)
    {
        int Bytes(SftExample r) => Encoding.UTF8.GetByteCount(r.Prompt + r.Response);
        var hardNoisy = Make(task, 300, 0, seed: 5, noise: 1.0, difficulty: "hard");
        Assert.All(hardNoisy.Train, r => Assert.True(Bytes(r) <= 200, $"{Bytes(r)} bytes: {r.Prompt}{r.Response}"));
        var hard = Make(task, 0, 300, seed: 5, difficulty: "hard");
        Assert.All(hard.Eval, r => Assert.True(Bytes(r) <= 120, $"{Bytes(r)} bytes: {r.Prompt}{r.Response}"));
        var medium = Make(task, 0, 300, seed: 5, difficulty: "medium");
        Assert.All(medium.Eval, r => Assert.True(Bytes(r) <= 100, $"{Bytes(r)} bytes: {r.Prompt}{r.Response}"));
        var mix = Make(task, 0, 300, seed: 5);
        Assert.True(mix.Eval.Average(Bytes) <= 80, $"mean {mix.Eval.Average(Bytes)} bytes");
    }

    [Theory]
    [MemberData(nameof(TaskNames))]
    public void Formats_are_consistent(string task)
    {
        var d = Make(task, 200, 0, seed: 9);
        Assert.All(d.Train, r =>
        {
            Assert.StartsWith("Q: ", r.Prompt);
            Assert.EndsWith("\n", r.Prompt);
            Assert.Equal(1, r.Prompt.Count(c => c == '\n'));
            Assert.EndsWith("\n#### " + r.Answer, r.Response);
            // Clean lines never have the format noise's spaced operators; the one space a line may have (addition's answer
            // so far) separates two tokens.
            foreach (var line in r.Response.Replace("#### ", "").Split('\n'))
            {
                Assert.DoesNotMatch(@"^ | $|  |[ ][-+*=|]|[-+*=|][ ]", line);
                Assert.True(line.Count(c => c == ' ') <= (task == "addition" ? 1 : 0), $"{task}: '{line}'");
            }
            Assert.True(r.Response.All(c => c < 128), "ASCII only");
        });
    }

    [Fact]
    public void Difficulty_mix_gives_exact_counts()
    {
        var d = Make("addition", 100, 0, seed: 2, difficulty: "easy=1,hard=3");
        var counts = d.Train.GroupBy(r => Meta(r, "difficulty")).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(25, counts["easy"]);
        Assert.Equal(75, counts["hard"]);
        Assert.False(counts.ContainsKey("medium"));
    }

    [Fact]
    public void A_train_difficulty_mix_changes_only_the_train_split()
    {
        var task = BundledTasks.Get("addition");
        var plain = task.Generate(200, 60, seed: 5, SynthOptions.Default);
        var hardTrain = task.Generate(200, 60, seed: 5, SynthOptions.Default, WeightMix<Difficulty>.Parse("hard", "test"));
        Assert.Equal(plain.Eval.Select(r => r.Prompt + r.Response + r.Metadata), hardTrain.Eval.Select(r => r.Prompt + r.Response + r.Metadata));
        Assert.Contains(hardTrain.Eval, r => Meta(r, "difficulty") == "easy");
        Assert.All(hardTrain.Train, r => Assert.Equal("hard", Meta(r, "difficulty")));
        Assert.Empty(hardTrain.Train.Select(r => r.Prompt).Intersect(hardTrain.Eval.Select(r => r.Prompt)));
    }

    [Fact]
    public void Addition_steps_are_correct_columns_with_carries_and_the_answer_so_far()
    {
        var d = Make("addition", 300, 0, seed: 4);
        Assert.Contains(d.Train, r => r.Response.Contains("\n0+0+1=01 ", StringComparison.Ordinal)); // the seed covers a last carry
        foreach (var r in d.Train)
        {
            var operands = r.Prompt[3..^1].Split('+').Select(long.Parse).ToArray();
            Assert.Equal((operands[0] + operands[1]).ToString(CultureInfo.InvariantCulture), r.Answer);
            var lines = r.Response.Split('\n');
            Assert.Equal("#### " + r.Answer, lines[^1]);
            lines = lines[..^1];
            int carry = 0;
            var digits = new StringBuilder();
            for (int i = 0; i < lines.Length; i++)
            {
                var (column, soFar) = (lines[i][..8], lines[i][9..]);
                Assert.Equal(' ', lines[i][8]); // d+d+c=ss: one width for every column part
                var parts = column.Split('=');
                var terms = parts[0].Split('+').Select(int.Parse).ToArray();
                Assert.Equal((int)(operands[0] / (long)Math.Pow(10, i) % 10), terms[0]);
                Assert.Equal((int)(operands[1] / (long)Math.Pow(10, i) % 10), terms[1]);
                Assert.Equal(carry, terms[2]);
                Assert.Equal(terms.Sum(), int.Parse(parts[1]));
                carry = terms.Sum() / 10;
                digits.Insert(0, terms.Sum() % 10);
                Assert.Equal(digits.ToString(), soFar);
            }
            // A carry out of the last column has its own line, so the last line's digits are the whole answer.
            Assert.Equal(0, carry);
            Assert.Equal(r.Answer, digits.ToString());
        }
    }

    [Fact]
    public void Arithmetic_answers_match_an_independent_evaluator_and_each_step_is_equivalent()
    {
        var table = new DataTable();
        long Eval(string expr) => Convert.ToInt64(table.Compute(expr, ""), CultureInfo.InvariantCulture);
        var d = Make("arithmetic", 200, 0, seed: 6);
        foreach (var r in d.Train)
        {
            long want = Eval(r.Prompt[3..^1]);
            Assert.Equal(want.ToString(CultureInfo.InvariantCulture), r.Answer);
            var steps = r.Response.Split('\n')[..^1];
            int ops = r.Prompt.Count(c => c is '+' or '-' or '*');
            Assert.Equal(ops, steps.Length);
            Assert.All(steps, s => Assert.Equal(want, Eval(s[1..])));
            Assert.Equal("=" + r.Answer, steps[^1]);
        }
    }

    [Fact]
    public void Sort_steps_move_the_smallest_remaining_letter()
    {
        Assert.Equal("a|dbc\nab|dc\nabc|d\n#### abcd", SortTask.Solve("dbca").Render());
        var d = Make("sort", 200, 0, seed: 8);
        Assert.All(d.Train, r =>
        {
            var word = r.Prompt["Q: sort ".Length..^1];
            Assert.Equal(new string(word.Order().ToArray()), r.Answer);
            Assert.Equal(word.Length, word.Distinct().Count());
        });
    }

    [Fact]
    public void Count_steps_keep_a_running_count()
    {
        Assert.Equal("a0\nb1\nc1\nb2\nd2\nb3\n#### 3", CountTask.Solve('b', "abcbdb").Render());
        var d = Make("count", 300, 0, seed: 10);
        Assert.All(d.Train, r =>
        {
            var target = r.Prompt["Q: count ".Length];
            var word = r.Prompt["Q: count x in ".Length..^1];
            Assert.Equal(word.Count(c => c == target).ToString(CultureInfo.InvariantCulture), r.Answer);
            Assert.Equal(word.Length, r.Response.Split('\n').Length - 1);
        });
        Assert.Contains(d.Train, r => r.Answer == "0");
    }

    [Fact]
    public void Eval_set_does_not_depend_on_train_size_and_seeds_differ()
    {
        var a = Make("arithmetic", 10, 50, seed: 42);
        var b = Make("arithmetic", 500, 50, seed: 42);
        Assert.Equal(a.Eval.Select(r => r.Prompt + r.Response), b.Eval.Select(r => r.Prompt + r.Response));
        var c = Make("arithmetic", 10, 50, seed: 43);
        Assert.NotEqual(a.Eval.Select(r => r.Prompt), c.Eval.Select(r => r.Prompt));
    }

    [Fact]
    public void Asking_for_more_unique_prompts_than_exist_is_a_clear_error()
    {
        var e = Assert.Throws<SynthException>(() => Make("addition", 15000, 0, seed: 1, difficulty: "easy"));
        Assert.Contains("could not find a new easy prompt", e.Message);
    }

    [Theory]
    [InlineData("trivial", null, 0.0, "unknown name 'trivial' (known: easy, medium, hard)")]
    [InlineData("easy=-1", null, 0.0, "weight of 'easy' must be a non-negative number")]
    [InlineData("easy=0", null, 0.0, "at least one name with a positive weight")]
    [InlineData(null, "typo", 0.0, "--noise-kinds: unknown name 'typo' (known: skip, reorder, format, wrong)")]
    [InlineData(null, null, 1.5, "--noise must be a fraction in [0, 1]")]
    public void Bad_options_name_the_bad_part(string? difficulty, string? kinds, double noise, string expected)
    {
        var e = Assert.Throws<SynthException>(() => SynthOptions.FromCli(noise, difficulty, kinds));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Unknown_task_lists_the_known_names()
    {
        var e = Assert.Throws<SynthException>(() => BundledTasks.Get("multiply"));
        Assert.Contains("unknown task 'multiply' (known: addition, arithmetic, sort, count)", e.Message);
    }
}
