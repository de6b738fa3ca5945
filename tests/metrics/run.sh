#!/usr/bin/env bash
# tests/metrics/run.sh: --metrics and ipvsadm-exporter against the real kernel, one VM boot.
#
#   tests/metrics/run.sh [--bin-dir DIR]      (default DIR: tests/release-dir.sh)
#
# In the VM (tests/metrics/vm.sh): traffic through a NAT service, the metrics taken with
# the JSON and the text listing while the table holds still (twice, with more traffic in
# between), the textfile unit's command, and the exporter under churn, a deleted
# namespace, 1,000 scrapes and an unloaded ip_vs. The expositions come back here
# (target/metrics-samples/), where
#   - promtool check metrics (Debian's prometheus package, installed if missing) lints every
#     one in the Prometheus text format: no error, no warning, and
#   - tests/metrics_vm.rs compares the metrics with the JSON and `-Ln --stats --exact`,
#     value by value, and checks that the counters grew;
# then tests/metrics/web.sh tries the exporter's HTTP side (listen addresses, TLS, basic
# auth) with curl and openssl on this host's loopback.
# Prints one line per check and `N passed, N failed`; exits non-zero on any failure.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
# shellcheck source=tests/apt.sh
. "$repo/tests/apt.sh"
bin=$("$repo/tests/release-dir.sh")
[ "${1:-}" = --bin-dir ] && bin=$2
for b in ipvsadm ipvsadm-restore ipvsadm-exporter; do
	[ -x "$bin/$b" ] || { echo "metrics/run.sh: $bin/$b missing (cargo build --release)" >&2; exit 2; }
done
if ! command -v promtool >/dev/null; then
	echo "metrics/run.sh: installing promtool (Debian's prometheus package)" >&2
	apt_install prometheus 2>/dev/null || true
	command -v promtool >/dev/null || { echo "metrics/run.sh: promtool not available" >&2; exit 2; }
fi
vm=$repo/tests/vm/vm.sh
"$vm" setup
. "$repo/tests/vm/suite.sh"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
vm_status=0
SUITE_SHOW='^exporter RSS|^1,000 scrapes' suite_run "$vm" "$here/vm.sh" 3600 "$log" "$bin" \
	ipvsadm ipvsadm-restore ipvsadm-exporter -- "$repo/packaging/ipvsadm-metrics.service" || vm_status=$?
samples=$repo/target/metrics-samples
suite_samples "$log" "$samples"
status=0
[ $vm_status = 0 ] || { echo "the VM checks failed (status $vm_status; console: ${VM_LOG:-target/vm/last-run.log})"; status=1; }
pass=0 fail=0
for f in "$samples"/*.prom; do
	name=$(basename "$f")
	if out=$(promtool check metrics <"$f" 2>&1) && [ -z "$out" ]; then
		pass=$((pass + 1))
		echo "ok - promtool check metrics: $name ($(grep -vc '^#' "$f") samples), no error, no warning"
	else
		fail=$((fail + 1))
		echo "not ok - promtool check metrics: $name"
		printf '%s\n' "$out" | head -n 20 | sed 's/^/    /'
	fi
done
[ $pass -ge 8 ] || { echo "not ok - only $pass expositions came back to lint"; fail=$((fail + 1)); }
echo "promtool: $pass passed, $fail failed"
[ $fail = 0 ] || status=1
(cd "$repo" && IPVSADM_METRICS_VM=$samples cargo test --quiet --test metrics_vm -- --nocapture) || status=1
# The shipped Prometheus rules: promtool's checks, and its unit tests (a case per alert).
for f in "$repo"/prometheus/*.yml; do
	if out=$(promtool check rules "$f" 2>&1); then
		echo "ok - promtool check rules: $(basename "$f") ($(printf '%s\n' "$out" | sed -n 's/.*SUCCESS: //p'))"
	else
		echo "not ok - promtool check rules: $(basename "$f")"
		printf '%s\n' "$out" | sed 's/^/    /'
		status=1
	fi
done
for f in "$repo"/tests/rules/*.test.yml; do
	if out=$(cd "$(dirname "$f")" && promtool test rules "$(basename "$f")" 2>&1); then
		echo "ok - promtool test rules: $(basename "$f")"
	else
		echo "not ok - promtool test rules: $(basename "$f")"
		printf '%s\n' "$out" | sed 's/^/    /'
		status=1
	fi
done
# The Grafana dashboard: every PromQL expression parsed by promtool, and every metric it
# names present in a scrape from the VM.
dash=$repo/grafana/ipvsadm-dashboard.json
rules=$(mktemp)
if python3 "$repo/tests/rules/dashboard-exprs.py" "$dash" >"$rules" && out=$(promtool check rules "$rules" 2>&1); then
	echo "ok - promtool check rules: the dashboard's expressions ($(grep -c 'record:' "$rules"))"
else
	echo "not ok - promtool check rules: the dashboard's expressions"
	printf '%s\n' "$out" | sed 's/^/    /'
	status=1
fi
rm -f "$rules"
missing=$(grep -o 'ipvs_[a-z_]*' "$dash" | sort -u | while read -r m; do
	grep -q "^$m[{ ]" "$samples/scrape-1.prom" || echo "$m"
done)
[ -z "$missing" ] && echo "ok - every metric of the dashboard is in the VM's scrape" ||
	{ echo "not ok - metrics of the dashboard missing from the VM's scrape: $missing"; status=1; }
# The HTTP side (listen addresses, TLS, basic auth) with curl and openssl, on this host.
"$here/web.sh" "$bin/ipvsadm-exporter" || status=1
exit $status
