#!/usr/bin/env bash
# Packs ElmoKeras and proves the package works the way `dotnet add package ElmoKeras` would use it:
# a throw-away console project restores it from a local folder feed (other packages from the
# usual NuGet source), builds a small model with it, and runs.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# A version of its own, so NuGet's global cache can never serve a stale package of the same version.
version="0.1.0-check.$(date +%Y%m%d%H%M%S)"

dotnet pack "$root/src/ElmoKeras/ElmoKeras.csproj" -c Release -p:ElmoKerasSourceLink=true -p:Version="$version" -o "$work/feed" -v quiet -nologo
ls "$work/feed"
unzip -l "$work/feed/ElmoKeras.$version.nupkg" | grep -E "README.md|LICENSE|lib/net10.0/ElmoKeras.(dll|xml)" >/dev/null \
  || { echo "check-package: the package lacks README, LICENSE, the assembly or its XML docs" >&2; exit 1; }
[ -f "$work/feed/ElmoKeras.$version.snupkg" ] || { echo "check-package: no symbol package" >&2; exit 1; }

mkdir -p "$work/consumer"
cd "$work/consumer"
cat > nuget.config <<CFG
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <add key="local" value="$work/feed" />
  </packageSources>
</configuration>
CFG
dotnet new console -n Consumer -o . --framework net10.0 >/dev/null
# The nuget.org source stays configured from the user's settings; the local feed is added above.
dotnet add package ElmoKeras --version "$version" >/dev/null
dotnet add package libtorch-cpu-linux-x64 --version 2.10.0 >/dev/null
cat > Program.cs <<'CS'
using ElmoKeras.Elmo;

// A small random-weight ELMo: the published "small" architecture with a narrower LSTM.
var options = ElmoArchitectures.Small with { Lstm = ElmoArchitectures.Small.Lstm with { Dim = 64, ProjectionDim = 16 } };
using var elmo = ElmoModel.CreateRandom(options, seed: 1);
using var output = elmo.Embed([["Packages", "work", "."], ["Yes"]]);
float[,,] first = output.GetSentence(0);
Console.WriteLine($"consumer ok: {first.GetLength(0)} layers x {first.GetLength(1)} tokens x {first.GetLength(2)}");
CS
# Every C# block of the README must compile against the package as written.
python3 "$root/scripts/readme_blocks.py" csharp "$root/README.md" ReadmeBlocks.cs
dotnet run -c Release | tee run.log
grep -q "consumer ok: 3 layers x 3 tokens x 32" run.log
echo "check-package: ElmoKeras $version restored from a local feed, built and ran in a fresh project."
