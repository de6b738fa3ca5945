#!/usr/bin/env bash
# Runs every test of the project, as root on a Debian machine with a Rust toolchain:
#   1. installs what the VM suites need (tests/vm/vm.sh setup: apt packages, Debian's cloud
#      kernel, the initramfs; cached under target/),
#   2. formatting, lints, the library crate's docs and package, and the host unit tests
#      (parsers, formatters, netlink codec on golden bytes captured from the real kernel, the
#      files generated from the option catalogue), then the robustness runs: the fuzz
#      targets' checks on a fixed number of generated inputs and on the kept corpora
#      (fuzz/corpus; longer runs are fuzz/run.sh's, outside this script),
#   3. in three lanes at once (three VMs side by side, the lines of each prefixed [a], [b]
#      or [c]):
#      packaging checks (man pages lint clean, completions, install layout, boot helper;
#      then, in the VM, ipvsadm-save/ipvsadm-restore and the init script on a real
#      kernel), and in one VM boot each: the differential suite (every case through the
#      reference ipvsadm and through ours, byte for byte) with the runner's self-test, the
#      deviations (and saves under churn), the
#      data-plane scenarios (real packets through IPVS between network namespaces), JSON
#      with network namespaces (every listing as text and JSON, compared field by field and
#      validated against the schema; --netns across namespaces), the --apply suite (a
#      corpus of table pairs against the reference's flush and restore, and reads under
#      churn), and metrics (--metrics and ipvsadm-exporter compared value by value with the
#      JSON and -Ln --stats --exact after real traffic, linted with promtool; the exporter
#      under churn, a deleted namespace, 1,000 scrapes and an unloaded ip_vs); and in lane
#      c the systemd guest (tests/guest: Debian 12 with systemd as PID 1, keepalived and
#      Prometheus; its image, cached under target/guest, is built in the background from the
#      setup stage on): our .deb over Debian's ipvsadm, the units (start, reload, restart,
#      stop, a bad line, a reboot), removal and purge, an upgrade with a connection open, the
#      exporter's unit, Prometheus with the shipped alert rules, keepalived beside a scoped
#      reload, the Ansible collection (tests/ansible: ansible-test sanity and unit tests
#      on this host, then ansible-playbook against three directors in the guest),
#   4. the benchmark against the reference, alone on the host (tests/bench/run.sh, one VM
#      boot): its figures are printed for the record and never judged; the stage fails
#      only if the two implementations' listings or saves of the benchmark table differ.
# Exits non-zero when anything fails. Timings are printed per stage.
set -euo pipefail
cd "$(dirname "$0")/.."

stage() { printf '\n==== %s (%s)\n' "$1" "$(date +%T)"; }
failed=()

stage "setup"
tests/vm/vm.sh setup
tests/ship/packages.sh tools
# A C compiler and the kernel's uapi headers: the library's socket-option structures are
# compared with include/linux/ip_vs.h by a unit test, required here; and shellcheck, which
# the packaging checks run on the boot helper, the init script and the completions
# (required here too: without it they would be skipped).
. tests/apt.sh
apt_install gcc libc6-dev linux-libc-dev shellcheck
export IPVS_HEADER_CHECK=required SHELLCHECK=required

# The systemd guest's image (mmdebstrap: minutes when not cached) is built in the
# background, beside the lints and unit tests; lane c's first stage waits for it
# (guest.sh build takes a lock, then finds the image built).
mkdir -p target/guest
tests/guest/guest.sh build >target/guest/early-build.log 2>&1 &

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

# The VM suites in three lanes at once: the differential suite (the longest) and JSON in
# one, the others in turn in the second, the systemd guest in the third (three QEMUs on two
# host CPUs: tests/guest/README.md has what the third costs). Each lane's lines are
# printed as they come, prefixed with its letter; each lane's VMs keep their own console
# log (target/vm/last-run-LANE.log).
mkdir -p target
failures=$(mktemp)
trap 'rm -f "$failures"' EXIT
# lane LETTER: runs the stages that follow it on its command line, "TITLE::COMMAND" each.
lane() {
	local letter=$1 item title cmd
	shift
	export VM_LOG=$PWD/target/vm/last-run-$letter.log
	for item in "$@"; do
		title=${item%%::*} cmd=${item#*::}
		stage "$title"
		bash -c "$cmd" || echo "$title" >>"$failures"
		echo "==== end of $title ($(date +%T))"
	done 2>&1 | sed -u "s/^/[$letter] /"
}
stage "VM suites, three lanes"
lane a \
	"differential suite::tests/vm/difftest.sh --selftest" \
	"JSON and network namespaces (VM, then the text/JSON and schema checks here)::tests/json/run.sh" \
	"the linux-ipvs library on the real kernel (page sizes, namespaces, aborted dumps, a service gone mid-read)::tests/lib/run.sh" &
lane_a=$!
lane b \
	"packaging checks::tests/ship/check.sh" \
	"packages (.deb with lintian, .rpm with rpmlint and a scratch-root install)::tests/ship/packages.sh" \
	"shipped commands in the VM::tests/ship/vm-check.sh" \
	"deliberate deviations (expectation cases, ours only)::tests/vm/expecttest.sh" \
	"data-plane scenarios::tests/dataplane/run.sh" \
	"ipvsadm-restore --apply against the real kernel (corpus and churn)::tests/apply/run.sh" \
	"metrics and ipvsadm-exporter (VM, then promtool and the value-by-value checks here)::tests/metrics/run.sh" &
lane_b=$!
# The systemd guest: one boot and one reboot (tests/guest/README.md has its times).
lane c \
	"the Ansible collection (built; ansible-test sanity; unit tests; playbooks on this host)::tests/ansible/run.sh" \
	"the systemd guest's image (built in the background since setup)::tests/guest/guest.sh build; st=\$?; cat target/guest/early-build.log; exit \$st" \
	"the systemd guest: packages, units, keepalived, Prometheus::tests/guest/run.sh" &
lane_c=$!
wait $lane_a $lane_b $lane_c || true
while IFS= read -r title; do failed+=("$title"); done <"$failures"

stage "benchmark (figures only: no time is asserted)"
# Medians of 3, each repetition's ratio beside them (the implementations take turns). The
# 1% apply is compared with the reference's clear and restore at 1,000 services only: at
# 10,000 that clear and restore alone takes the kernel 50 s to 230 s (BENCHMARKS.md has
# those figures); the no-op apply is measured at both sizes.
tests/bench/run.sh --repeat 3 --apply-sizes 1000 || failed+=("benchmark listings")

stage "done"
total=15
if [ ${#failed[@]} -gt 0 ]; then
    echo "FAILED: ${failed[*]}"
    echo "stages: $((total - ${#failed[@]})) passed, ${#failed[@]} failed"
    exit 1
fi
echo "stages: $total passed, 0 failed"
