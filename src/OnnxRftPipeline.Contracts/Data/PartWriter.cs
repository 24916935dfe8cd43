namespace OnnxRftPipeline.Contracts.Data;

/// <summary>
/// Streams rows into successive part files of <c>rowsPerPart</c> rows each (the last may be shorter),
/// each written atomically through <see cref="PartFiles"/>. Call <see cref="CompleteAsync"/> to write the
/// final part; disposing without it drops only the buffered rows, finished parts stay (a resumable
/// producer restarts at <c>firstPartIndex</c> = number of finished parts).
/// </summary>
public sealed class PartWriter<T> : IAsyncDisposable where T : class, new()
{
    readonly string _dir;
    readonly int _rowsPerPart;
    readonly IReadOnlyDictionary<string, string>? _metadata;
    readonly List<T> _buffer;
    readonly List<string> _written = [];
    int _nextIndex;
    bool _completed;

    public PartWriter(string dir, int rowsPerPart, IReadOnlyDictionary<string, string>? metadata = null, int firstPartIndex = 0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rowsPerPart, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(firstPartIndex);
        // Refuse to mix with parts of another run: the reader would silently concatenate them.
        var clash = PartFiles.ExistingParts(dir).FirstOrDefault(p => PartIndex(p) >= firstPartIndex);
        if (clash is not null)
            throw new DataContractException($"{dir}: already holds {Path.GetFileName(clash)}; writing from part {firstPartIndex} would overwrite or mix with it.");
        _dir = dir;
        _rowsPerPart = rowsPerPart;
        _metadata = metadata;
        _nextIndex = firstPartIndex;
        _buffer = new List<T>(Math.Min(rowsPerPart, 65536));
    }

    public PartWriter(string dir, int rowsPerPart, Lineage lineage, int firstPartIndex = 0)
        : this(dir, rowsPerPart, lineage.ToMetadata(), firstPartIndex) { }

    /// <summary>Rows accepted so far (written or buffered).</summary>
    public long RowCount { get; private set; }

    /// <summary>Part files written so far, in order.</summary>
    public IReadOnlyList<string> WrittenParts => _written;

    public async Task AddAsync(T row, CancellationToken ct = default)
    {
        if (_completed) throw new InvalidOperationException("PartWriter is complete.");
        _buffer.Add(row);
        RowCount++;
        if (_buffer.Count >= _rowsPerPart) await FlushAsync(ct);
    }

    public async Task AddRangeAsync(IEnumerable<T> rows, CancellationToken ct = default)
    {
        foreach (var r in rows) await AddAsync(r, ct);
    }

    /// <summary>
    /// Writes the buffered rows as the last part. If nothing was ever written, writes one part with zero
    /// rows, so an empty result is a readable empty dataset rather than an empty folder.
    /// </summary>
    public async Task<IReadOnlyList<string>> CompleteAsync(CancellationToken ct = default)
    {
        if (_completed) return _written;
        if (_buffer.Count > 0 || _written.Count == 0) await FlushAsync(ct);
        _completed = true;
        return _written;
    }

    async Task FlushAsync(CancellationToken ct)
    {
        _written.Add(await PartFiles.WritePartAsync(_dir, _nextIndex, _buffer, _metadata, ct));
        _nextIndex++;
        _buffer.Clear();
    }

    static int PartIndex(string path) =>
        int.TryParse(Path.GetFileNameWithoutExtension(path).AsSpan("part-".Length), out var i) ? i : int.MaxValue;

    public ValueTask DisposeAsync()
    {
        _buffer.Clear();
        return ValueTask.CompletedTask;
    }
}
