using System.CommandLine;
using System.CommandLine.Parsing;
using ElmoKeras.Data;

namespace ElmoCli;

/// <summary>
/// The options several commands share, defined once: the same name, description and check wherever
/// they appear. Each check names its option and the value received; the parser reports it before a
/// command runs. Defaults differ between commands, so each command asks for its own instance.
/// </summary>
internal static class CommonOptions
{
    public static Option<int> BatchSize(int defaultValue, string description = "Examples per batch.") =>
        Positive(new Option<int>("--batch-size") { Description = description, DefaultValueFactory = _ => defaultValue });

    /// <summary>A batch size with no default: the command then batches by token budget.</summary>
    public static Option<int?> OptionalBatchSize(string description) =>
        Positive(new Option<int?>("--batch-size") { Description = description });

    public static Option<int?> MaxBatchTokens(string description) =>
        Positive(new Option<int?>("--max-batch-tokens") { Description = description });

    public static Option<int> Seed(string description = "Random seed (shuffling, initialisation, dropout).") =>
        new("--seed") { Description = description, DefaultValueFactory = _ => 0 };

    public static Option<int> Epochs(int defaultValue = 5) =>
        Positive(new Option<int>("--epochs") { Description = "Passes over the training data.", DefaultValueFactory = _ => defaultValue });

    public static Option<int> MaxWords(string description = "Words kept per review (the recipe keeps 150).") =>
        Positive(new Option<int>("--max-words") { Description = description, DefaultValueFactory = _ => 150 });

    public static Option<int?> Limit(string description = "Use only the first N training and N test reviews (a quick run).") =>
        Positive(new Option<int?>("--limit") { Description = description });

    /// <summary>A folder to write into; required when there is no default.</summary>
    public static Option<string> OutputDir(string description, string? defaultValue = null)
    {
        var option = new Option<string>("--output-dir") { Description = description, Required = defaultValue is null };
        if (defaultValue is not null) option.DefaultValueFactory = _ => defaultValue;
        option.Validators.Add(result =>
        {
            string? value = result.GetValueOrDefault<string>();
            if (string.IsNullOrWhiteSpace(value)) result.AddError($"{option.Name} must name a folder, got '{value}'.");
            else if (File.Exists(value)) result.AddError($"{option.Name} '{value}' is a file; expected a folder.");
        });
        return option;
    }

    public static Option<string?> Arch(string description) => Architecture(new Option<string?>("--arch") { Description = description });

    public static Option<string> Arch(string description, string defaultValue) =>
        Architecture(new Option<string>("--arch") { Description = description, DefaultValueFactory = _ => defaultValue });

    public static Option<int> Threads(int defaultValue) =>
        Positive(new Option<int>("--threads") { Description = "CPU threads for TorchSharp.", DefaultValueFactory = _ => defaultValue });

    public static Option<int?> OptionalThreads() =>
        Positive(new Option<int?>("--threads") { Description = "CPU threads for TorchSharp (default: TorchSharp's)." });

    public static Option<string> Device() =>
        new("--device") { Description = "cpu, cuda or cuda:N.", DefaultValueFactory = _ => "cpu" };

    public static Option<bool> BFloat16(string description) => new("--bf16") { Description = description };

    /// <summary>
    /// IMDB: the official archive or its extracted folder (or the folder above <c>aclImdb</c>);
    /// <see cref="ResolveImdbAsync"/> turns either into the extracted folder.
    /// </summary>
    public static Option<string?> Imdb(string name, string description) => new(name) { Description = description };

    /// <summary>The extracted <c>aclImdb</c> folder for an archive or folder given to <see cref="Imdb"/>.</summary>
    public static Task<string> ResolveImdbAsync(string source, CancellationToken cancellationToken) =>
        ElmoKeras.Data.Imdb.GetDatasetDirectoryAsync(new ImdbOptions { Source = source }, null, cancellationToken);

    /// <summary>Adds the check that the value is positive, naming the option and the value.</summary>
    public static Option<int> Positive(this Option<int> option)
    {
        option.Validators.Add(result =>
        {
            int value = result.GetValueOrDefault<int>();
            if (value <= 0) result.AddError($"{option.Name} must be positive, got {value}.");
        });
        return option;
    }

    /// <summary>Adds the check that the value, when given, is positive.</summary>
    public static Option<int?> Positive(this Option<int?> option)
    {
        option.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int?>() is int value && value <= 0) result.AddError($"{option.Name} must be positive, got {value}.");
        });
        return option;
    }

    /// <summary>Adds the check that the value is at least <paramref name="min"/>.</summary>
    public static Option<int> AtLeast(this Option<int> option, int min)
    {
        option.Validators.Add(result =>
        {
            int value = result.GetValueOrDefault<int>();
            if (value < min) result.AddError($"{option.Name} must be at least {min}, got {value}.");
        });
        return option;
    }

    /// <summary>Adds the check that the value is 0 or more.</summary>
    public static Option<int> NonNegative(this Option<int> option) => option.AtLeast(0);

    /// <summary>Adds the check that the value is a number from 0 to 1.</summary>
    public static Option<double> Fraction(this Option<double> option) => option.Within(0, 1, $"{option.Name} must be from 0 to 1");

    /// <summary>Adds the check that the value is a positive finite number.</summary>
    public static Option<double> PositiveNumber(this Option<double> option) => option.Within(double.Epsilon, double.MaxValue, $"{option.Name} must be a positive number");

    /// <summary>Adds the check that the value, when one is given, is a positive finite number.</summary>
    public static Option<double?> PositiveNumber(this Option<double?> option) => option.Within(double.Epsilon, double.MaxValue, $"{option.Name} must be a positive number");

    /// <summary>For <c>double</c> or <c>double?</c>; an option left without a value (null) passes.</summary>
    private static Option<T> Within<T>(this Option<T> option, double min, double max, string rule)
    {
        option.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<T>() is double value && !(value >= min && value <= max))
                result.AddError($"{rule}, got {value.ToString(System.Globalization.CultureInfo.InvariantCulture)}.");
        });
        return option;
    }

    private static Option<T> Architecture<T>(Option<T> option)
    {
        option.AcceptOnlyFromAmong("small", "medium", "original");
        return option;
    }
}
