#!/usr/bin/env bash
# Runs every test of the project, as root on a Debian machine with a Rust toolchain:
#   1. installs what the VM suites need (tests/vm/vm.sh setup: apt packages, Debian's cloud
#      kernel, the initramfs; cached under target/),
#   2. formatting, lints, the library crate's docs and package, and the host unit tests
#      (parsers, formatters, netlink codec on golden bytes captured from the real kernel, the
#      files generated from the option catalogue), then the robustness runs: the fuzz
#      targets' checks on a fixed number of generated inputs and on the kept corpora
#      (fuzz/corpus; longer runs are fuzz/run.sh's, outside this script),
#   3. packaging checks (man pages lint clean, completions, install layout, boot helper;
#      then, in the VM, ipvsadm-save/ipvsadm-restore and the init script on a real kernel),
#   4. in one VM boot each: the differential suite (every case through the reference ipvsadm
#      and through ours, byte for byte) with the runner's self-test, the deviations, the
#      data-plane scenarios (real packets through IPVS between network namespaces), JSON
#      with network namespaces (every listing as text and JSON, compared field by field and
#      validated against the schema; --netns across namespaces), the --apply suite (a
#      corpus of table pairs against the reference's flush and restore, and reads under
#      churn), and metrics (--metrics and ipvsadm-exporter compared value by value with the
#      JSON and -Ln --stats --exact after real traffic, linted with promtool; the exporter
#      under churn, a deleted namespace, 1,000 scrapes and an unloaded ip_vs),
#   5. the benchmark against the reference (tests/bench/run.sh, one VM boot): its figures
#      are printed for the record and never judged; the stage fails only if the two
#      implementations' listings or saves of the benchmark table differ.
# Exits non-zero when anything fails. Timings are printed per stage.
set -euo pipefail
cd "$(dirname "$0")/.."

stage() { printf '\n==== %s (%s)\n' "$1" "$(date +%T)"; }
failed=()

stage "setup"
tests/vm/vm.sh setup

stage "format and lints"
cargo fmt --all --check
cargo fmt --manifest-path fuzz/Cargo.toml --check
cargo clippy --workspace --all-targets --quiet -- -D warnings
# The library crate: documented without a warning, and publishable on its own (without
# the command line's dependencies).
RUSTDOCFLAGS="-D warnings" cargo doc -p linux-ipvs --no-deps --quiet
cargo package -p linux-ipvs --allow-dirty --quiet
if cargo tree -p linux-ipvs -e normal --prefix none | grep '^clap ' >/dev/null; then
    echo "linux-ipvs depends on clap" >&2
    exit 1
fi

stage "unit tests"
# The robustness runs (the `fuzzing::tests` of both crates) have a stage of their own, so
# that their time shows.
cargo test --workspace --quiet -- --skip fuzzing::tests::
cargo build --release --quiet

stage "robustness (fuzz targets' checks: bounded property runs, kept corpora)"
cargo test --workspace --quiet --lib -- fuzzing::tests:: || failed+=("robustness")

stage "packaging checks"
tests/ship/check.sh || failed+=("packaging")
tests/ship/vm-check.sh || failed+=("shipped commands in the VM")

stage "differential suite"
tests/vm/difftest.sh --selftest || failed+=("differential")

stage "deliberate deviations (expectation cases, ours only)"
tests/vm/expecttest.sh || failed+=("deviations")

stage "data-plane scenarios"
tests/dataplane/run.sh || failed+=("data-plane")

stage "JSON and network namespaces (VM, then the text/JSON and schema checks here)"
tests/json/run.sh || failed+=("json and netns")

stage "ipvsadm-restore --apply against the real kernel (corpus and churn)"
tests/apply/run.sh || failed+=("apply")

stage "metrics and ipvsadm-exporter (VM, then promtool and the value-by-value checks here)"
tests/metrics/run.sh || failed+=("metrics")

stage "benchmark (figures only: no time is asserted)"
# Medians of 5: one slow repetition (it happens now and then, cause unknown) does not move them.
tests/bench/run.sh --repeat 5 || failed+=("benchmark listings")

stage "done"
total=10
if [ ${#failed[@]} -gt 0 ]; then
    echo "FAILED: ${failed[*]}"
    echo "stages: $((total - ${#failed[@]})) passed, ${#failed[@]} failed"
    exit 1
fi
echo "stages: $total passed, 0 failed"
