#!/bin/sh
# Prints the directory `cargo build --release` writes the binaries to. .cargo/config.toml
# builds for the host's target tuple (so that the commands are linked statically), which
# puts them in target/<tuple>/release rather than target/release.
set -eu
repo=$(cd "$(dirname "$0")/.." && pwd)
tuple=$(rustc -vV | sed -n 's/^host: //p')
[ -n "$tuple" ] || { echo "release-dir.sh: rustc -vV names no host" >&2; exit 2; }
echo "$repo/target/$tuple/release"
