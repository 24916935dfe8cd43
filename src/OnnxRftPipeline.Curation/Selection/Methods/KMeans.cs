namespace OnnxRftPipeline.Curation.Selection.Methods;

/// <summary>
/// Lloyd's k-means with k-means++ seeding on dense vectors. Hand-written: none of the packages the
/// product may use has clustering short of taking on ML.NET, and this is ~60 lines that must be
/// exactly reproducible for a seed (an explicit Random drives every choice).
/// </summary>
public static class KMeans
{
    public static int[] Cluster(IReadOnlyList<double[]> points, int k, int seed, int maxIterations = 100)
    {
        int n = points.Count;
        if (n == 0) return [];
        k = Math.Clamp(k, 1, n);
        var rng = new Random(seed);
        var centroids = SeedPlusPlus(points, k, rng);
        var assign = new int[n];
        for (int iter = 0; iter < maxIterations; iter++)
        {
            bool changed = iter == 0;
            for (int i = 0; i < n; i++)
            {
                int best = Nearest(points[i], centroids);
                if (best != assign[i]) { assign[i] = best; changed = true; }
            }
            if (!changed) break;
            var sums = new double[k][];
            var counts = new int[k];
            for (int c = 0; c < k; c++) sums[c] = new double[points[0].Length];
            for (int i = 0; i < n; i++)
            {
                counts[assign[i]]++;
                for (int d = 0; d < points[i].Length; d++) sums[assign[i]][d] += points[i][d];
            }
            for (int c = 0; c < k; c++)
                if (counts[c] > 0)
                    for (int d = 0; d < sums[c].Length; d++) centroids[c][d] = sums[c][d] / counts[c];
            // An empty cluster keeps its old centroid; k-means++ seeding makes that rare.
        }
        return assign;
    }

    static double[][] SeedPlusPlus(IReadOnlyList<double[]> points, int k, Random rng)
    {
        var centroids = new List<double[]> { (double[])points[rng.Next(points.Count)].Clone() };
        var d2 = new double[points.Count];
        while (centroids.Count < k)
        {
            double total = 0;
            for (int i = 0; i < points.Count; i++)
            {
                d2[i] = Distance2(points[i], centroids[Nearest(points[i], centroids)]);
                total += d2[i];
            }
            int pick;
            if (total <= 0) pick = rng.Next(points.Count);   // all points coincide with centroids
            else
            {
                double r = rng.NextDouble() * total;
                pick = 0;
                for (double acc = d2[0]; acc < r && pick < points.Count - 1; acc += d2[++pick]) { }
            }
            centroids.Add((double[])points[pick].Clone());
        }
        return centroids.ToArray();
    }

    static int Nearest(double[] p, IReadOnlyList<double[]> centroids)
    {
        int best = 0;
        double bestD = double.MaxValue;
        for (int c = 0; c < centroids.Count; c++)
        {
            double d = Distance2(p, centroids[c]);
            if (d < bestD) { bestD = d; best = c; }
        }
        return best;
    }

    static double Distance2(double[] a, double[] b)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++) { double t = a[i] - b[i]; s += t * t; }
        return s;
    }
}
