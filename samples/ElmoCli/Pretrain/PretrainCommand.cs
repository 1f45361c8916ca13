using System.CommandLine;
using System.Text.Json;
using ElmoKeras.Data;
using ElmoKeras.Elmo;
using ElmoKeras.Elmo.Pretraining;

namespace ElmoCli.Pretrain;

/// <summary>
/// <c>elmo pretrain</c>: trains an ELMo bi-LM from scratch on raw text and saves it in the bilm-tf
/// layout (options.json, weights.hdf5, vocab.txt), ready for <c>elmo sentiment --elmo DIR</c>.
/// </summary>
internal static class PretrainCommand
{
    public static Command Create()
    {
        var corpus = new Option<string>("--corpus") { Description = "A UTF-8 text file (one sentence per line), a folder of .txt files, or an IMDB archive/folder (its train/unsup reviews).", Required = true };
        var outputDir = CommonOptions.OutputDir("Where to write options.json, weights.hdf5, vocab.txt, pretrain.json and checkpoint/.");
        var arch = CommonOptions.Arch("small, medium or original (published sizes).", "small");
        var options = new Option<FileInfo?>("--options-file") { Description = "An options.json to use instead of --arch." };
        var steps = new Option<int?>("--steps") { Description = "Stop at this many steps in all (a resumed run counts the earlier ones). Default: 1000 unless --tokens or --minutes is given." }.Positive();
        var tokens = new Option<long?>("--tokens") { Description = "Stop at this many training tokens in all." };
        var minutes = new Option<double?>("--minutes") { Description = "Stop after this many minutes of training in this run." };
        var batchSize = CommonOptions.BatchSize(32, "Sentences per step.");
        var unroll = new Option<int>("--unroll-steps") { Description = "Tokens per sentence window (truncated backpropagation).", DefaultValueFactory = _ => 20 }.Positive();
        var learningRate = new Option<double>("--learning-rate") { Description = "Adagrad learning rate.", DefaultValueFactory = _ => 0.2 };
        var dropout = new Option<double>("--dropout") { Description = "Dropout on LSTM inputs and the top layer while training.", DefaultValueFactory = _ => 0.1 };
        var softmaxSamples = new Option<int>("--softmax-samples") { Description = "Negative words per step of the sampled softmax; vocabularies no larger use the exact softmax.", DefaultValueFactory = _ => 8192 }.Positive();
        var vocabSize = new Option<int>("--vocab-size") { Description = "Words in the softmax vocabulary (the most frequent).", DefaultValueFactory = _ => 50_000 }.Positive();
        var heldOut = new Option<double>("--held-out") { Description = "Fraction of the sentences kept aside to measure perplexity.", DefaultValueFactory = _ => 0.02 };
        var seed = CommonOptions.Seed();
        var checkpointMinutes = new Option<double>("--checkpoint-minutes") { Description = "Write OUTPUT-DIR/checkpoint this often (and when training stops or is cancelled).", DefaultValueFactory = _ => 10 };
        var resume = new Option<bool>("--resume") { Description = "Continue from OUTPUT-DIR/checkpoint (its options, vocabulary and settings win; pass the same --corpus and --held-out)." };
        var threads = CommonOptions.OptionalThreads();

        var command = new Command("pretrain", "Train an ELMo bi-LM from scratch on raw text (saved in the bilm-tf layout).");
        foreach (Option option in new Option[] { corpus, outputDir, arch, options, steps, tokens, minutes, batchSize, unroll, learningRate, dropout, softmaxSamples, vocabSize, heldOut, seed, checkpointMinutes, resume, threads })
            command.Options.Add(option);
        heldOut.Validators.Add(r => { double v = r.GetValueOrDefault<double>(); if (v is <= 0 or >= 1) r.AddError($"--held-out must be between 0 and 1 (exclusive), got {v}."); });
        checkpointMinutes.Validators.Add(r => { double v = r.GetValueOrDefault<double>(); if (v <= 0) r.AddError($"--checkpoint-minutes must be positive, got {v}."); });
        command.SetAction(async (result, cancellationToken) =>
        {
            if (result.GetValue(threads) is int n) TorchSharp.torch.set_num_threads(n);
            string dir = Path.GetFullPath(result.GetValue(outputDir)!);
            string checkpoint = Path.Combine(dir, "checkpoint");
            List<string[]> sentences = await ReadCorpusAsync(result.GetValue(corpus)!, cancellationToken);
            int held = Math.Max(1, (int)(sentences.Count * result.GetValue(heldOut)));
            List<string[]> train = sentences[..^held], test = sentences[^held..];
            using ElmoPretrainer trainer = result.GetValue(resume) ? ElmoPretrainer.Resume(checkpoint) : CreateTrainer();
            Console.Error.WriteLine($"{train.Count} training and {test.Count} held-out sentences, vocabulary {trainer.Vocabulary.Count} ({(trainer.UsesSampledSoftmax ? $"sampled softmax, {trainer.Settings.SoftmaxSamples} samples" : "exact softmax")})" +
                (trainer.Step > 0 ? $", resuming at step {trainer.Step} ({trainer.Tokens:N0} tokens)." : "."));

            int? maxSteps = result.GetValue(steps) ?? (result.GetValue(tokens) is null && result.GetValue(minutes) is null ? 1000 : null);
            var schedule = new PretrainSchedule
            {
                MaxSteps = maxSteps,
                MaxTokens = result.GetValue(tokens),
                MaxTime = result.GetValue(minutes) is double m ? TimeSpan.FromMinutes(m) : null,
                CheckpointDirectory = checkpoint,
                CheckpointEvery = TimeSpan.FromMinutes(result.GetValue(checkpointMinutes)),
            };
            var reporter = new StepReporter(Console.Error);
            var clock = System.Diagnostics.Stopwatch.StartNew();
            PretrainStep last;
            try
            {
                last = trainer.Train(train, schedule, new SyncProgress(reporter.Report), cancellationToken);
            }
            catch (OperationCanceledException)
            {
                Console.Error.WriteLine($"cancelled at step {trainer.Step}; the checkpoint in {checkpoint} holds it (continue with --resume).");
                return CommandRunner.Cancelled;
            }
            double trainSeconds = clock.Elapsed.TotalSeconds;
            double perplexity = trainer.Perplexity(test), unigram = ElmoPretrainer.UnigramPerplexity(train, test, trainer.Vocabulary);
            trainer.Save(dir);
            string report = JsonSerializer.Serialize(new
            {
                steps = last.Step, tokens = last.Tokens, trainSeconds = Math.Round(trainSeconds, 1), trainSentences = train.Count, vocabulary = trainer.Vocabulary.Count,
                trainLoss = double.IsNaN(last.Loss) ? (double?)null : last.Loss, tokensPerSecond = Math.Round(last.TokensPerSecond, 1), heldOutPerplexity = perplexity, unigramPerplexity = unigram,
                settings = trainer.Settings,
            }, new JsonSerializerOptions { WriteIndented = true });
            File.WriteAllText(Path.Combine(dir, "pretrain.json"), report);
            Console.WriteLine(report);
            return 0;

            ElmoPretrainer CreateTrainer()
            {
                ElmoOptions elmoOptions = result.GetValue(options) is FileInfo file ? ElmoOptions.Load(file.FullName) : ElmoArchitectures.ByName(result.GetValue(arch)!);
                Vocabulary vocabulary = Vocabulary.Build(train, result.GetValue(vocabSize));
                var settings = new PretrainOptions
                {
                    BatchSize = result.GetValue(batchSize), UnrollSteps = result.GetValue(unroll), LearningRate = result.GetValue(learningRate),
                    Dropout = result.GetValue(dropout), SoftmaxSamples = result.GetValue(softmaxSamples), Seed = result.GetValue(seed),
                };
                return new ElmoPretrainer(elmoOptions, vocabulary, settings);
            }
        });
        return command;
    }

    /// <summary>A line every few seconds with the step, tokens/s and the training perplexity.</summary>
    private sealed class StepReporter(TextWriter writer)
    {
        private readonly System.Diagnostics.Stopwatch clock = System.Diagnostics.Stopwatch.StartNew();
        private TimeSpan last = TimeSpan.FromSeconds(-10);

        public void Report(PretrainStep step)
        {
            if (clock.Elapsed - last < TimeSpan.FromSeconds(5)) return;
            last = clock.Elapsed;
            writer.WriteLine($"step {step.Step}: {step.Tokens:N0} tokens, {step.TokensPerSecond:F0} tokens/s, loss {step.Loss:F3}, perplexity {step.Perplexity:F1}");
        }
    }

    /// <summary>Reports on the caller's thread (Progress&lt;T&gt; would post to the thread pool).</summary>
    private sealed class SyncProgress(Action<PretrainStep> report) : IProgress<PretrainStep>
    {
        public void Report(PretrainStep value) => report(value);
    }

    private static async Task<List<string[]>> ReadCorpusAsync(string source, CancellationToken cancellationToken)
    {
        static string[] Split(string text) => text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        bool imdb = source.EndsWith(".tar.gz", StringComparison.OrdinalIgnoreCase) || Directory.Exists(Path.Combine(source, "train", "unsup")) || Directory.Exists(Path.Combine(source, "aclImdb"));
        IEnumerable<string> texts;
        if (imdb)
        {
            string root = await Imdb.GetDatasetDirectoryAsync(new ImdbOptions { Source = source }, null, cancellationToken);
            texts = Imdb.LoadUnsupervised(Path.Combine(root, "train", "unsup"), new ImdbOptions { RemoveLineBreakTags = true });
        }
        else if (Directory.Exists(source)) texts = Directory.GetFiles(source, "*.txt", SearchOption.AllDirectories).Order(StringComparer.Ordinal).SelectMany(File.ReadLines);
        else if (File.Exists(source)) texts = File.ReadLines(source);
        else throw new FileNotFoundException($"--corpus '{source}' does not exist. Pass a text file, a folder of .txt files, or an IMDB archive/folder.", source);
        List<string[]> sentences = texts.Select(Split).Where(s => s.Length > 0).ToList();
        if (sentences.Count < 2) throw new ArgumentException($"--corpus '{source}' holds {sentences.Count} non-empty sentence(s); pretraining needs many.");
        return sentences;
    }
}
