using System.Formats.Tar;
using System.Text;
using ElmoKeras.Data;
using ElmoKeras.IO;
using ElmoKeras.Tests.TestSupport;

namespace ElmoKeras.Tests.IO;

public sealed class ArchiveExtractorTests : IDisposable
{
    private readonly TempFolder temp = new();
    private readonly string target;
    private readonly string outside;

    public ArchiveExtractorTests()
    {
        target = temp.Combine("work", "target");
        outside = temp.Combine("outside");
        Directory.CreateDirectory(outside);
    }

    public void Dispose() => temp.Dispose();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(TarEntryFormat.Ustar)]
    [InlineData(TarEntryFormat.Gnu)]
    [InlineData(TarEntryFormat.Pax)]
    public void ExtractsEveryTarFormatIncludingLongNames(TarEntryFormat format)
    {
        // 159 characters: past the 100-character name field, so each format must use its own long-name scheme.
        string longName = "top/" + new string('d', 60) + "/" + new string('f', 90) + ".txt";
        string archive = TestArchives.TarGz(temp.Combine("a.tar.gz"), tar =>
        {
            tar.WriteEntry(Entry(format, TarEntryType.Directory, "top/"));
            tar.WriteEntry(Entry(format, TarEntryType.RegularFile, "top/short.txt", "short"));
            tar.WriteEntry(Entry(format, TarEntryType.RegularFile, longName, "long"));
            tar.WriteEntry(Entry(format, TarEntryType.RegularFile, "./dot/empty.txt", ""));
        });

        Assert.True(ArchiveExtractor.Extract(archive, target, cancellationToken: Ct));

        Assert.Equal("short", File.ReadAllText(Path.Combine(target, "top", "short.txt")));
        Assert.Equal("long", File.ReadAllText(Path.Combine(target, longName)));
        Assert.Equal("", File.ReadAllText(Path.Combine(target, "dot", "empty.txt")));
        Assert.False(Directory.Exists(target + ".partial"));
    }

    [Fact]
    public void ExtractsZipAndPlainTarRecognisedByContentNotName()
    {
        string zip = TestArchives.Zip(temp.Combine("archive.bin"), ("dir/", ""), ("dir/a.txt", "zip a"), ("b.txt", "zip b"));
        Assert.True(ArchiveExtractor.Extract(zip, target, cancellationToken: Ct));
        Assert.Equal("zip a", File.ReadAllText(Path.Combine(target, "dir", "a.txt")));
        Assert.Equal("zip b", File.ReadAllText(Path.Combine(target, "b.txt")));

        string tar = temp.Combine("plain.data");
        using (var file = File.Create(tar))
        using (var writer = new TarWriter(file))
            writer.WriteEntry(TestArchives.File("c.txt", "tar c"));
        string second = temp.Combine("work", "second");
        Assert.True(ArchiveExtractor.Extract(tar, second, cancellationToken: Ct));
        Assert.Equal("tar c", File.ReadAllText(Path.Combine(second, "c.txt")));
    }

    public static TheoryData<string> EscapingNames => new()
    {
        "../outside/evil.txt",
        "ok/../../outside/evil.txt",
        "..\\outside\\evil.txt",
        "a/../b.txt", // stays inside, but '..' is refused outright (see PathSafety)
    };

    [Theory]
    [MemberData(nameof(EscapingNames))]
    public void RefusesTarEntriesWithParentSteps(string name)
    {
        string archive = TestArchives.TarGz(temp.Combine("evil.tar.gz"), ("fine.txt", "fine"), (name, "evil"));

        var error = Assert.Throws<ArchiveExtractionException>(() => ArchiveExtractor.Extract(archive, target, cancellationToken: Ct));

        Assert.Equal(name, error.EntryName);
        Assert.Contains("'..'", error.Message);
        Assert.Contains(archive, error.Message);
        AssertNothingWritten();
    }

    [Fact]
    public void RefusesTarEntryWithAbsolutePath()
    {
        string absolute = Path.Combine(outside, "evil.txt");
        string archive = TestArchives.TarGz(temp.Combine("evil.tar.gz"), ("fine.txt", "fine"), (absolute, "evil"));

        var error = Assert.Throws<ArchiveExtractionException>(() => ArchiveExtractor.Extract(archive, target, cancellationToken: Ct));

        Assert.Contains("absolute path", error.Message);
        AssertNothingWritten();
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void RefusesSymbolicLinkPointingOutsideAndWritingThroughIt(bool absoluteTarget)
    {
        string linkTarget = absoluteTarget ? outside : "../../outside";
        string archive = TestArchives.TarGz(temp.Combine("evil.tar.gz"), tar =>
        {
            tar.WriteEntry(TestArchives.SymbolicLink("escape", linkTarget));
            tar.WriteEntry(TestArchives.File("escape/evil.txt", "evil"));
        });

        var error = Assert.Throws<ArchiveExtractionException>(() => ArchiveExtractor.Extract(archive, target, cancellationToken: Ct));

        Assert.Equal("escape", error.EntryName);
        Assert.Contains("symbolic link", error.Message);
        AssertNothingWritten();
    }

    [Fact]
    public void RefusesSymbolicLinkChainThatWouldResolveOutside()
    {
        // 'here' -> '.' is harmless alone, but 'here/..' would then be the parent folder: only a
        // rule that bans '..' in link targets (not one that normalises the text) stops this.
        string archive = TestArchives.TarGz(temp.Combine("evil.tar.gz"), tar =>
        {
            tar.WriteEntry(TestArchives.SymbolicLink("here", "."));
            tar.WriteEntry(TestArchives.SymbolicLink("up", "here/../../outside"));
            tar.WriteEntry(TestArchives.File("up/evil.txt", "evil"));
        });

        Assert.Throws<ArchiveExtractionException>(() => ArchiveExtractor.Extract(archive, target, cancellationToken: Ct));
        AssertNothingWritten();
    }

    [Theory]
    [InlineData("../outside/secret.txt")]
    [InlineData("/etc/passwd")]
    public void RefusesHardLinkToAnythingButAnEarlierEntry(string linkTarget)
    {
        string archive = TestArchives.TarGz(temp.Combine("evil.tar.gz"), tar => tar.WriteEntry(TestArchives.HardLink("copy.txt", linkTarget)));

        var error = Assert.Throws<ArchiveExtractionException>(() => ArchiveExtractor.Extract(archive, target, cancellationToken: Ct));

        Assert.Contains("hard link", error.Message);
        AssertNothingWritten();
    }

    [Fact]
    public void ExtractsLinksThatStayInside()
    {
        string archive = TestArchives.TarGz(temp.Combine("links.tar.gz"), tar =>
        {
            tar.WriteEntry(TestArchives.File("data/file.txt", "content"));
            tar.WriteEntry(TestArchives.SymbolicLink("data/alias.txt", "file.txt"));
            tar.WriteEntry(TestArchives.HardLink("copy.txt", "data/file.txt"));
        });

        ArchiveExtractor.Extract(archive, target, cancellationToken: Ct);

        Assert.Equal("content", File.ReadAllText(Path.Combine(target, "data", "alias.txt")));
        Assert.Equal("file.txt", new FileInfo(Path.Combine(target, "data", "alias.txt")).LinkTarget);
        Assert.Equal("content", File.ReadAllText(Path.Combine(target, "copy.txt")));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void RefusesZipEntriesEscapingTheTarget(bool absolute)
    {
        string name = absolute ? Path.Combine(outside, "evil.txt") : "../outside/evil.txt";
        string archive = TestArchives.Zip(temp.Combine("evil.zip"), ("fine.txt", "fine"), (name, "evil"));

        Assert.Throws<ArchiveExtractionException>(() => ArchiveExtractor.Extract(archive, target, cancellationToken: Ct));

        AssertNothingWritten();
    }

    [Fact]
    public void RefusesZipSymbolicLinkPointingOutside()
    {
        string archive = TestArchives.ZipWithSymbolicLink(temp.Combine("evil.zip"), "escape", "../../outside", "escape/evil.txt");

        var error = Assert.Throws<ArchiveExtractionException>(() => ArchiveExtractor.Extract(archive, target, cancellationToken: Ct));

        Assert.Equal("escape", error.EntryName);
        AssertNothingWritten();
    }

    [Fact]
    public void SecondCallFindsTheMarkerAndDoesNothing()
    {
        string archive = TestArchives.TarGz(temp.Combine("a.tar.gz"), ("a.txt", "a"));
        Assert.True(ArchiveExtractor.Extract(archive, target, cancellationToken: Ct));
        File.WriteAllText(Path.Combine(target, "added-later.txt"), "kept");

        Assert.False(ArchiveExtractor.Extract(archive, target, cancellationToken: Ct));

        Assert.True(File.Exists(Path.Combine(target, "added-later.txt")));
        Assert.True(File.Exists(Path.Combine(target, ".elmokeras-extracted")));
    }

    [Fact]
    public async Task ConcurrentExtractionsOfOneTargetTakeTurns()
    {
        string archive = TestArchives.TarGz(temp.Combine("a.tar.gz"),
            Enumerable.Range(0, 300).Select(i => ($"d{i % 7}/f{i}.txt", $"content {i}")).ToArray());

        bool[] extracted = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => ArchiveExtractor.Extract(archive, target, cancellationToken: Ct), Ct)));

        Assert.Single(extracted, e => e);
        Assert.Equal(300, Directory.EnumerateFiles(target, "*.txt", SearchOption.AllDirectories).Count());
        Assert.False(Directory.Exists(target + ".partial"));
    }

    [Fact]
    public void ChangedArchiveOrForceExtractsAgain()
    {
        string archive = TestArchives.TarGz(temp.Combine("a.tar.gz"), ("a.txt", "first"));
        ArchiveExtractor.Extract(archive, target, cancellationToken: Ct);
        File.WriteAllText(Path.Combine(target, "added-later.txt"), "dropped");

        TestArchives.TarGz(archive, ("a.txt", "second version"));
        Assert.True(ArchiveExtractor.Extract(archive, target, cancellationToken: Ct));
        Assert.Equal("second version", File.ReadAllText(Path.Combine(target, "a.txt")));
        Assert.False(File.Exists(Path.Combine(target, "added-later.txt")));

        File.WriteAllText(Path.Combine(target, "a.txt"), "tampered");
        Assert.True(ArchiveExtractor.Extract(archive, target, force: true, cancellationToken: Ct));
        Assert.Equal("second version", File.ReadAllText(Path.Combine(target, "a.txt")));
    }

    [Fact]
    public void InterruptedExtractionIsRedone()
    {
        string archive = TestArchives.TarGz(temp.Combine("a.tar.gz"), ("a.txt", "a"), ("b/c.txt", "c"));
        // What a process killed mid-extraction leaves: a partial folder and no target.
        Directory.CreateDirectory(target + ".partial");
        File.WriteAllText(Path.Combine(target + ".partial", "a.txt"), "half-writ");

        Assert.True(ArchiveExtractor.Extract(archive, target, cancellationToken: Ct));

        Assert.False(Directory.Exists(target + ".partial"));
        Assert.Equal(["a.txt", "b", "b/c.txt"], TempFolder.Listing(target).Where(p => !p.StartsWith('.')));
        Assert.Equal("a", File.ReadAllText(Path.Combine(target, "a.txt")));
    }

    [Fact]
    public void CancellationLeavesNoTarget()
    {
        string archive = TestArchives.TarGz(temp.Combine("a.tar.gz"), ("a.txt", "a"));

        Assert.Throws<OperationCanceledException>(() => ArchiveExtractor.Extract(archive, target, cancellationToken: new CancellationToken(true)));

        Assert.False(Directory.Exists(target));
        Assert.False(Directory.Exists(target + ".partial"));
    }

    [Fact]
    public void RefusesToOverwriteAFolderItDidNotCreate()
    {
        string archive = TestArchives.TarGz(temp.Combine("a.tar.gz"), ("a.txt", "a"));
        Directory.CreateDirectory(target);
        File.WriteAllText(Path.Combine(target, "mine.txt"), "user data");

        var error = Assert.Throws<IOException>(() => ArchiveExtractor.Extract(archive, target, cancellationToken: Ct));

        Assert.Contains("not extracted by ElmoKeras", error.Message);
        Assert.Equal("user data", File.ReadAllText(Path.Combine(target, "mine.txt")));
    }

    [Fact]
    public void CorruptOrUnknownArchivesFailNamingTheFile()
    {
        string corrupt = temp.Combine("corrupt.tar.gz");
        byte[] bytes = File.ReadAllBytes(TestArchives.TarGz(corrupt, ("a.txt", new string('x', 10_000))));
        File.WriteAllBytes(corrupt, bytes[..(bytes.Length / 2)]);
        var truncated = Assert.Throws<ArchiveExtractionException>(() => ArchiveExtractor.Extract(corrupt, target, cancellationToken: Ct));
        Assert.Contains(corrupt, truncated.Message);

        string text = temp.Combine("notes.txt");
        File.WriteAllText(text, "just text, not an archive");
        var unknown = Assert.Throws<ArchiveExtractionException>(() => ArchiveExtractor.Extract(text, target, cancellationToken: Ct));
        Assert.Contains("not a tar, tar.gz/tgz or zip archive", unknown.Message);
        Assert.False(Directory.Exists(target));
    }

    private void AssertNothingWritten()
    {
        Assert.Empty(TempFolder.Listing(outside));
        Assert.False(Directory.Exists(target), "the target folder should not exist after a refused extraction");
        Assert.False(Directory.Exists(target + ".partial"));
        Assert.False(File.Exists(temp.Combine("work", "evil.txt")));
        Assert.False(File.Exists(temp.Combine("evil.txt")));
    }

    private static TarEntry Entry(TarEntryFormat format, TarEntryType type, string name, string? content = null)
    {
        TarEntry entry = format switch
        {
            TarEntryFormat.Ustar => new UstarTarEntry(type, name),
            TarEntryFormat.Gnu => new GnuTarEntry(type, name),
            _ => new PaxTarEntry(type, name),
        };
        if (content is not null)
            entry.DataStream = new MemoryStream(Encoding.UTF8.GetBytes(content));
        return entry;
    }
}
