using OnnxRftPipeline.Contracts.Models;

namespace OnnxRftPipeline.Export.Tests;

/// <summary>
/// Independent naive forward pass of the Llama architecture LlamaConfig documents, in plain loops with
/// double accumulation over the same safetensors weights. One unpadded sequence at a time, positions
/// 0..n-1, no cache: what every padded/cached ONNX run must reproduce. Reusable for other parity tests.
/// </summary>
public sealed class ReferenceLlama
{
    readonly LlamaConfig _c;
    readonly Dictionary<string, NamedTensor> _w;

    public ReferenceLlama(string checkpointDir)
    {
        _c = LlamaConfig.Load(Path.Combine(checkpointDir, "config.json"));
        _w = SafeTensors.Read(Path.Combine(checkpointDir, "model.safetensors"));
    }

    float[] W(string name) => _w[name].Data;

    /// <summary>Logits [n, vocab] for every position of <paramref name="tokens"/>.</summary>
    public float[][] Forward(IReadOnlyList<long> tokens)
    {
        int n = tokens.Count, H = _c.HiddenSize, nH = _c.NumAttentionHeads, kvH = _c.NumKeyValueHeads, D = H / nH, V = _c.VocabSize;
        var emb = W(LlamaConfig.Names.Embed);
        var x = new double[n][];
        for (int t = 0; t < n; t++) x[t] = Enumerable.Range(0, H).Select(i => (double)emb[tokens[t] * H + i]).ToArray();

        for (int l = 0; l < _c.NumHiddenLayers; l++)
        {
            var h = x.Select(r => RmsNorm(r, W(LlamaConfig.Names.InputNorm(l)))).ToArray();
            var q = h.Select(r => Linear(r, W(LlamaConfig.Names.Q(l)), nH * D)).ToArray();
            var k = h.Select(r => Linear(r, W(LlamaConfig.Names.K(l)), kvH * D)).ToArray();
            var v = h.Select(r => Linear(r, W(LlamaConfig.Names.V(l)), kvH * D)).ToArray();
            for (int t = 0; t < n; t++) { Rope(q[t], nH, D, t); Rope(k[t], kvH, D, t); }

            var attnOut = new double[n][];
            for (int t = 0; t < n; t++)
            {
                var ctx = new double[nH * D];
                for (int head = 0; head < nH; head++)
                {
                    int kvHead = head / (nH / kvH);
                    var scores = new double[t + 1];
                    for (int s = 0; s <= t; s++)
                    {
                        double dot = 0;
                        for (int d = 0; d < D; d++) dot += q[t][head * D + d] * k[s][kvHead * D + d];
                        scores[s] = dot / Math.Sqrt(D);
                    }
                    double max = scores.Max(), sum = 0;
                    for (int s = 0; s <= t; s++) { scores[s] = Math.Exp(scores[s] - max); sum += scores[s]; }
                    for (int s = 0; s <= t; s++)
                        for (int d = 0; d < D; d++) ctx[head * D + d] += scores[s] / sum * v[s][kvHead * D + d];
                }
                attnOut[t] = Linear(ctx, W(LlamaConfig.Names.O(l)), H);
            }
            for (int t = 0; t < n; t++) for (int i = 0; i < H; i++) x[t][i] += attnOut[t][i];

            for (int t = 0; t < n; t++)
            {
                var h2 = RmsNorm(x[t], W(LlamaConfig.Names.PostAttnNorm(l)));
                var gate = Linear(h2, W(LlamaConfig.Names.Gate(l)), _c.IntermediateSize);
                var up = Linear(h2, W(LlamaConfig.Names.Up(l)), _c.IntermediateSize);
                for (int i = 0; i < gate.Length; i++) gate[i] = gate[i] / (1 + Math.Exp(-gate[i])) * up[i];
                var down = Linear(gate, W(LlamaConfig.Names.Down(l)), H);
                for (int i = 0; i < H; i++) x[t][i] += down[i];
            }
        }
        var lmHead = W(_c.TieWordEmbeddings ? LlamaConfig.Names.Embed : LlamaConfig.Names.LmHead);
        return x.Select(r => Linear(RmsNorm(r, W(LlamaConfig.Names.FinalNorm)), lmHead, V).Select(d => (float)d).ToArray()).ToArray();
    }

    double[] RmsNorm(double[] x, float[] w)
    {
        double ms = x.Sum(a => a * a) / x.Length;
        double r = 1 / Math.Sqrt(ms + _c.RmsNormEps);
        return x.Select((a, i) => a * r * w[i]).ToArray();
    }

    /// <summary>y = W x with W in HF layout [out, in].</summary>
    static double[] Linear(double[] x, float[] w, int outDim)
    {
        int inDim = x.Length;
        var y = new double[outDim];
        for (int o = 0; o < outDim; o++)
        {
            double s = 0;
            for (int i = 0; i < inDim; i++) s += w[o * inDim + i] * x[i];
            y[o] = s;
        }
        return y;
    }

    /// <summary>HF rotate_half: pairs (i, i + D/2) rotate by pos·theta^(-2i/D).</summary>
    void Rope(double[] x, int heads, int D, int pos)
    {
        int half = D / 2;
        for (int head = 0; head < heads; head++)
            for (int i = 0; i < half; i++)
            {
                double angle = pos * Math.Pow(_c.RopeTheta, -2.0 * i / D);
                double a = x[head * D + i], b = x[head * D + half + i];
                x[head * D + i] = a * Math.Cos(angle) - b * Math.Sin(angle);
                x[head * D + half + i] = b * Math.Cos(angle) + a * Math.Sin(angle);
            }
    }
}
