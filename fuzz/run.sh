#!/usr/bin/env bash
# Runs one fuzz target (libFuzzer through cargo fuzz) for a while:
#   fuzz/run.sh TARGET [SECONDS]     TARGET: argv, restore_line, decode, client; default 600 s
#   fuzz/run.sh --list
#   fuzz/run.sh --merge TARGET       adds to fuzz/corpus/TARGET the inputs of fuzz/work/TARGET
#                                    that reach code the kept corpus does not
# Starts from the corpus kept in the repository (fuzz/corpus/TARGET, read only) and the
# working corpus of earlier runs (fuzz/work/TARGET, not kept); prints libFuzzer's final
# statistics, among them `stat::number_of_executed_units`, the inputs tried. A failing input
# lands in fuzz/artifacts/TARGET/; keep it in fuzz/corpus/TARGET/ under a name saying what
# it found, so `cargo test` replays it from then on.
#
# Stable Rust: `--sanitizer none` (the targets are safe Rust; AddressSanitizer would need a
# nightly compiler), release build with debug assertions and overflow checks.
set -euo pipefail
cd "$(dirname "$0")"

if [ "${1:-}" = "--list" ]; then
    sed -n 's/^name = "\(.*\)"$/\1/p' Cargo.toml | grep -v ipvsadm-fuzz
    exit 0
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked
fi
build=(-O -a -s none)
if [ "${1:-}" = "--merge" ]; then
    target=${2:?usage: fuzz/run.sh --merge TARGET}
    exec cargo fuzz run "${build[@]}" "$target" "$PWD/corpus/$target" "$PWD/work/$target" -- \
        -merge=1 -timeout=10 -rss_limit_mb=4096
fi
target=${1:?usage: fuzz/run.sh TARGET [SECONDS]}
seconds=${2:-600}
mkdir -p "work/$target" "artifacts/$target"
exec cargo fuzz run "${build[@]}" "$target" "$PWD/work/$target" "$PWD/corpus/$target" -- \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 -print_final_stats=1
