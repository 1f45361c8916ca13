using System.Text;
using System.Text.Json;
using ElmoKeras.Elmo;
using PureHDF;
using static TorchSharp.torch;

namespace ElmoCli.Embed;

/// <summary>
/// Embeds a text file, one whitespace-tokenised sentence per line, into an HDF5 file in the layout of
/// AllenNLP's former <c>allennlp elmo</c> command: one float32 dataset per line, keyed by the line's
/// index (or its text), plus a <c>sentence_to_index</c> JSON string.
/// </summary>
internal sealed class EmbedJob(ElmoModel elmo, EmbedSettings settings)
{
    /// <summary>Runs the job. The output appears only when complete; a failure or cancellation leaves none.</summary>
    /// <returns>The number of sentences embedded.</returns>
    public int Run(IProgress<(int Done, int Total)>? progress, CancellationToken cancellationToken)
    {
        if (settings.BatchSize <= 0) throw new ArgumentException($"--batch-size must be positive, got {settings.BatchSize}.");
        string[] lines = ReadLines(settings.InputFile);
        string[][] sentences = lines.Select(l => l.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)).ToArray();
        string[] keys = Keys(lines);

        int width = elmo.OutputDim, numLayers = elmo.NumLayers;
        var datasets = new H5Dataset<float[]>[lines.Length];
        var file = new H5File();
        for (int i = 0; i < lines.Length; i++)
        {
            int n = sentences[i].Length;
            ulong[] dims = settings.Layers == EmbedLayers.All ? [(ulong)numLayers, (ulong)n, (ulong)width] : [(ulong)n, (ulong)width];
            datasets[i] = new H5Dataset<float[]>(fileDims: dims);
            file[keys[i]] = datasets[i];
        }
        if (!settings.ForgetSentences)
        {
            // Later duplicates win, as in a Python dict built line by line.
            var sentenceToIndex = new Dictionary<string, string>(StringComparer.Ordinal);
            for (int i = 0; i < lines.Length; i++) sentenceToIndex[lines[i]] = keys[i];
            file["sentence_to_index"] = new H5Dataset(new[] { JsonSerializer.Serialize(sentenceToIndex) });
        }

        string output = Path.GetFullPath(settings.OutputFile);
        Directory.CreateDirectory(Path.GetDirectoryName(output)!);
        string temp = Path.Combine(Path.GetDirectoryName(output)!, $".{Path.GetFileName(output)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var writer = file.BeginWrite(temp))
            {
                int done = 0;
                foreach (int[] batch in Batches(sentences))
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    using var scope = NewDisposeScope();
                    using ElmoEmbeddings embeddings = elmo.Embed(batch.Select(i => (IReadOnlyList<string>)sentences[i]).ToArray());
                    Tensor selected = settings.Layers switch
                    {
                        EmbedLayers.All => embeddings.Layers,
                        EmbedLayers.Top => embeddings.Layers.select(1, numLayers - 1),
                        _ => embeddings.Layers.mean([1]),
                    };
                    Tensor host = selected.cpu();
                    for (int row = 0; row < batch.Length; row++)
                    {
                        int n = sentences[batch[row]].Length;
                        Tensor slice = settings.Layers == EmbedLayers.All ? host[row].narrow(1, 0, n) : host[row].narrow(0, 0, n);
                        writer.Write(datasets[batch[row]], n == 0 ? [] : slice.contiguous().data<float>().ToArray());
                    }
                    done += batch.Length;
                    progress?.Report((done, lines.Length));
                }
            }
            File.Move(temp, output, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
        return lines.Length;
    }

    private IEnumerable<int[]> Batches(string[][] sentences) =>
        // A stateful model carries rows from batch to batch, so it must see the file in order; a
        // stateless one gets length-sorted batches, which waste no steps on padding.
        settings.Stateful
            ? Enumerable.Range(0, sentences.Length).Chunk(settings.BatchSize)
            : LengthBuckets.Batches(sentences.Select(s => s.Length).ToArray(), settings.BatchSize);

    private static string[] ReadLines(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Input file '{path}' does not exist. Expected UTF-8 text with one whitespace-tokenised sentence per line.", path);
        // Each line is decoded on its own: a StreamReader decodes whole buffers, so its errors would
        // name the line where the buffer started, not the line holding the bad byte.
        var strict = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
        byte[] bytes = File.ReadAllBytes(path);
        var lines = new List<string>();
        int start = bytes.AsSpan().StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]) ? 3 : 0, number = 0;
        while (start < bytes.Length)
        {
            int newline = Array.IndexOf(bytes, (byte)'\n', start);
            int end = newline < 0 ? bytes.Length : newline;
            number++;
            string line;
            try
            {
                line = strict.GetString(bytes, start, end - start);
            }
            catch (DecoderFallbackException ex)
            {
                string at = ex.Index >= 0 ? $" at byte {ex.Index + 1} of the line" : "";
                throw new FormatException($"{path}:{number}: not valid UTF-8{at} (bytes {Convert.ToHexString(ex.BytesUnknown ?? [])}).", ex);
            }
            string trimmed = line.Trim();
            if (trimmed.Length == 0)
                throw new FormatException($"{path}:{number}: empty line. Every line must hold one sentence; remove empty lines.");
            lines.Add(trimmed);
            start = end + 1;
        }
        if (lines.Count == 0) throw new FormatException($"{path}: the file holds no sentences.");
        return lines.ToArray();
    }

    /// <summary>The longest dataset name accepted; PureHDF refuses longer link names.</summary>
    internal const int MaxKeyBytes = 65535;

    private string[] Keys(string[] lines)
    {
        if (!settings.UseSentenceKeys) return lines.Select((_, i) => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < lines.Length; i++)
        {
            // HDF5 reads '/' as a group separator and reserves "." and the index dataset's name.
            if (lines[i].Contains('/') || lines[i] == "." || lines[i] == "sentence_to_index")
                throw new FormatException($"{settings.InputFile}:{i + 1}: the sentence cannot be an HDF5 dataset name (it contains '/' or is reserved); drop --use-sentence-keys.");
            int length = Encoding.UTF8.GetByteCount(lines[i]);
            if (length > MaxKeyBytes)
                throw new FormatException($"{settings.InputFile}:{i + 1}: the sentence is {length} bytes long; with --use-sentence-keys a sentence names its HDF5 dataset, and names may have at most {MaxKeyBytes} bytes. Drop --use-sentence-keys.");
            if (!seen.TryAdd(lines[i], i))
                throw new FormatException($"{settings.InputFile}:{i + 1}: repeats line {seen[lines[i]] + 1}; --use-sentence-keys needs distinct sentences.");
        }
        return lines;
    }
}
