#!/usr/bin/env bash
# Installs what TorchSharp's native shim needs and the OS may lack. Idempotent: does nothing
# where the running libstdc++ already provides GLIBCXX_3.4.32 (GCC 13 or newer).
#
# Why: TorchSharp 0.107's libLibTorchSharp.so was linked against GCC 13's libstdc++. Debian 12
# ships GCC 12's (GLIBCXX_3.4.30), and loading then fails with a message about TorchSharp's
# native library that does not mention libstdc++. On Debian 12 we take libstdc++6 alone from
# Debian 13 ("trixie") with apt pinning, so no other package drifts to trixie by accident.
set -euo pipefail

need=GLIBCXX_3.4.32

has_symbol() {
  local lib
  for lib in /usr/lib/x86_64-linux-gnu/libstdc++.so.6 /usr/lib/aarch64-linux-gnu/libstdc++.so.6 /usr/lib64/libstdc++.so.6; do
    [ -e "$lib" ] && grep -aq "$need" "$lib" && return 0
  done
  return 1
}

if has_symbol; then
  echo "install-prereqs: libstdc++ already provides $need; nothing to do."
  exit 0
fi

. /etc/os-release 2>/dev/null || true
if [ "${ID:-}" != debian ] || [ "${VERSION_ID:-}" != 12 ]; then
  echo "install-prereqs: libstdc++ lacks $need, and this is ${PRETTY_NAME:-an unknown OS}, not Debian 12." >&2
  echo "Install libstdc++ from GCC 13 or newer with your distribution's package manager, then rerun." >&2
  exit 1
fi

sudo=
[ "$(id -u)" = 0 ] || sudo=sudo

$sudo tee /etc/apt/sources.list.d/elmokeras-trixie.sources >/dev/null <<'SRC'
Types: deb
URIs: http://deb.debian.org/debian
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
# Trixie stays below bookworm by default; only packages named with -t trixie come from it.
$sudo tee /etc/apt/preferences.d/elmokeras-trixie >/dev/null <<'PIN'
Package: *
Pin: release n=trixie
Pin-Priority: 100
PIN

export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq -t trixie libstdc++6 >/dev/null

if has_symbol; then
  echo "install-prereqs: installed libstdc++6 from Debian 13; $need is now available."
else
  echo "install-prereqs: installed libstdc++6 from Debian 13 but $need is still missing." >&2
  exit 1
fi
