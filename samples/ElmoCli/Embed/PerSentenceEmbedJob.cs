using System.Globalization;
using System.Text;
using System.Text.Json;
using ElmoKeras.Elmo;
using PureHDF;

namespace ElmoCli.Embed;

/// <summary>
/// AllenNLP's layout: one float32 dataset per line, keyed by the line's index (or its text), plus a
/// <c>sentence_to_index</c> JSON string. The input is read twice, lazily: once for every line's token
/// count (PureHDF sizes every dataset before the first byte), once to embed; vectors go to the file
/// window by window. What still grows with the input is the layout's own index: one dataset header per
/// line and the <c>sentence_to_index</c> string (use <c>--layout flat</c> for big inputs).
/// </summary>
internal sealed class PerSentenceEmbedJob(ElmoModel elmo, EmbedSettings settings)
{
    public long Run(IProgress<(int Done, int Total)>? progress, CancellationToken cancellationToken)
    {
        var tokenCounts = new List<int>();
        var keys = new List<string>();
        var seen = new Dictionary<string, long>(StringComparer.Ordinal);
        var sentenceToIndex = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (Sentence sentence in SentenceReader.Read(settings.InputFile))
        {
            string key = settings.UseSentenceKeys ? CheckKey(sentence, seen) : sentence.Index.ToString(CultureInfo.InvariantCulture);
            tokenCounts.Add(sentence.Tokens.Length);
            if (settings.UseSentenceKeys) keys.Add(key);
            // Later duplicates win, as in a Python dict built line by line.
            if (!settings.ForgetSentences) sentenceToIndex[sentence.Text] = key;
        }
        if (tokenCounts.Count == 0) throw new FormatException($"{settings.InputFile}: the file holds no sentences.");

        int width = elmo.OutputDim, numLayers = elmo.NumLayers;
        var datasets = new H5Dataset<float[]>[tokenCounts.Count];
        var file = new H5File();
        for (int i = 0; i < datasets.Length; i++)
        {
            ulong n = (ulong)tokenCounts[i];
            ulong[] dims = settings.Layers == EmbedLayers.All ? [(ulong)numLayers, n, (ulong)width] : [n, (ulong)width];
            datasets[i] = new H5Dataset<float[]>(fileDims: dims);
            file[settings.UseSentenceKeys ? keys[i] : i.ToString(CultureInfo.InvariantCulture)] = datasets[i];
        }
        if (!settings.ForgetSentences) file["sentence_to_index"] = new H5Dataset(new[] { JsonSerializer.Serialize(sentenceToIndex) });
        sentenceToIndex.Clear();
        keys.Clear();

        var embedder = new SentenceEmbedder(elmo, settings.Layers, settings.BatchSize, settings.MaxBatchTokens, settings.Stateful, tokenMajor: false);
        OutputFile.WriteAtomically(settings.OutputFile, temp =>
        {
            using var writer = file.BeginWrite(temp);
            embedder.Run(SentenceReader.Read(settings.InputFile), (s, values) => writer.Write(datasets[s.Index], values.ToArray()),
                new SyncProgress(done => progress?.Report(((int)done, datasets.Length))), cancellationToken);
        });
        return datasets.Length;
    }

    /// <summary>The longest dataset name accepted; PureHDF refuses longer link names.</summary>
    internal const int MaxKeyBytes = 65535;

    private string CheckKey(Sentence sentence, Dictionary<string, long> seen)
    {
        // HDF5 reads '/' as a group separator and reserves "." and the index dataset's name.
        if (sentence.Text.Contains('/') || sentence.Text == "." || sentence.Text == "sentence_to_index")
            throw new FormatException($"{settings.InputFile}:{sentence.Index + 1}: the sentence cannot be an HDF5 dataset name (it contains '/' or is reserved); drop --use-sentence-keys.");
        int length = Encoding.UTF8.GetByteCount(sentence.Text);
        if (length > MaxKeyBytes)
            throw new FormatException($"{settings.InputFile}:{sentence.Index + 1}: the sentence is {length} bytes long; with --use-sentence-keys a sentence names its HDF5 dataset, and names may have at most {MaxKeyBytes} bytes. Drop --use-sentence-keys.");
        if (!seen.TryAdd(sentence.Text, sentence.Index))
            throw new FormatException($"{settings.InputFile}:{sentence.Index + 1}: repeats line {seen[sentence.Text] + 1}; --use-sentence-keys needs distinct sentences.");
        return sentence.Text;
    }
}
