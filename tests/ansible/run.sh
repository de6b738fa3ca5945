#!/usr/bin/env bash
# tests/ansible/run.sh: the Ansible collection ipvsadm_rs.ipvs (ansible/ansible_collections/
# ipvsadm_rs/ipvs): built, checked by ansible-test, its module's mapping unit-tested, and
# run by a real ansible-playbook against three directors in the Debian guest.
#
#   tests/ansible/run.sh [host]
#       No IPVS needed; needs `cargo build --release`, and PyPI the first time (the venvs
#       are cached under target/ansible/). Installs ansible-core (pinned below) in a venv,
#       builds the collection with `ansible-galaxy collection build`, runs `ansible-test
#       sanity --local` (all its tests but those in SANITY_SKIP, with the reason) and the
#       unit tests (pytest: the mapping of ipvsadm-restore's statuses and output, and the
#       module run against a stand-in ipvsadm-restore), checks the guest's playbooks'
#       syntax, and runs ansible-playbook on this host: check mode against a stand-in tool
#       (changed, the plan as diff), bad rules against the real tool (every line error),
#       a namespace that does not exist (IPVS unreachable). Status 0 when all pass. About
#       1.5 min (3.5 min with empty caches).
#   tests/ansible/run.sh build
#       Only builds the tarball (and the venv if needed); prints its path. tests/guest/run.sh
#       calls this for its Ansible checks.
#   flock /tmp/helper-vm.lock tests/ansible/run.sh guest
#       Boots the Debian guest (tests/guest/guest.sh; needs `cargo build --release` for the
#       .deb), installs our .deb and the tarball, and runs the integration checks of
#       tests/guest/in-guest/ansible.sh with Debian's ansible-core (from the guest image):
#       three directors (network namespaces), first run changed on all three, second run
#       changed=0, --check --diff shows the plan and changes nothing, a drain keeps an open
#       connection until it closes, bad rules fail every host with the line numbers. The
#       same checks run in tests/guest/run.sh; this mode runs them alone (one boot, no
#       reboot). ANSIBLE_GUEST_CHECKS="ans_first ans_check_diff" runs only those. Under
#       TCG each ansible-playbook run takes 1.5 to 4 min (load 15): about 29 min in all.
#
# Prints one line per step with its time and `N passed, N failed`.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
cd "$repo" || exit 2

# ansible-core 2.19 is the newest series whose controller runs on Python 3.11 (2.20 needs
# 3.12). The guest uses Debian 12's ansible-core 2.14: meta/runtime.yml says >=2.14.0.
ANSIBLE_CORE=2.19.14
# The pip that ansible-test puts in the venvs it makes for the sanity tests (its
# get_venv_packages()); fetched as a wheel from PyPI, see pip_bootstrap.
ANSIBLE_TEST_PIP=24.2
PYTHON=${PYTHON:-python3.11}
COLL_SRC=$repo/ansible/ansible_collections/ipvsadm_rs/ipvs
out=$repo/target/ansible
venv=$out/venv
# Sanity tests left out: none of them can apply to this collection.
#   pslint: PowerShell (there is none here, and no pwsh on the host)
#   changelog: antsibull-changelog's format; the collection keeps a CHANGELOG.md
SANITY_SKIP=(pslint changelog)

# now, elapsed, and for the guest mode qga and check.
# shellcheck source=tests/guest/host-checks.sh
. "$repo/tests/guest/host-checks.sh"
log() { echo "# $*"; }

# venv: ansible-core and the sanity tests' own pinned requirements, once per version.
ensure_venv() {
	local stamp=$venv/.stamp want reqs
	want="ansible-core==$ANSIBLE_CORE pytest $PYTHON"
	[ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && return 0
	rm -rf "$venv"
	"$PYTHON" -m venv "$venv" || return 1
	"$venv/bin/pip" install -q --disable-pip-version-check "ansible-core==$ANSIBLE_CORE" pytest ||
		return 1
	# What the sanity tests import in the controller's Python (ansible-test's pins).
	reqs=$("$venv/bin/python" -c 'import ansible_test, os; print(os.path.join(os.path.dirname(ansible_test.__file__), "_data", "requirements"))')
	"$venv/bin/pip" install -q --disable-pip-version-check \
		-r "$reqs/sanity.pylint.txt" -r "$reqs/sanity.validate-modules.txt" \
		-r "$reqs/sanity.yamllint.txt" -r "$reqs/sanity.pep8.txt" \
		-r "$reqs/sanity.ansible-doc.txt" -r "$reqs/sanity.runtime-metadata.txt" || return 1
	echo "$want" >"$stamp"
}

# pip_bootstrap: ansible-test makes a venv per sanity test without pip and bootstraps pip
# with a get-pip script it downloads from ci-files.testing.ansible.com, which this machine
# cannot reach (only package registries). In its place, under the HOME that ansible-test
# gets here: a script that installs pip from pip's own wheel (from PyPI), as get-pip does.
pip_bootstrap() {
	local home=$1 cache wheel
	cache=$home/.ansible/test/cache
	mkdir -p "$cache" "$out/wheels"
	wheel=$out/wheels/pip-$ANSIBLE_TEST_PIP-py3-none-any.whl
	if [ ! -f "$wheel" ]; then
		"$venv/bin/pip" download -q --disable-pip-version-check --no-deps \
			-d "$out/wheels" "pip==$ANSIBLE_TEST_PIP" || return 1
	fi
	cat >"$cache/get_pip_${ANSIBLE_TEST_PIP//./_}.py" <<EOF
# Made by tests/ansible/run.sh: get-pip from pip's wheel, offline.
import sys
sys.path.insert(0, "$wheel")
from pip._internal.cli.main import main
args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
sys.exit(main(["install", "--no-index", "--find-links", "$out/wheels"] + args))
EOF
}

# build [DIR]: the tarball, from the source tree as it is, into DIR (default
# target/ansible/dist); its path on stdout.
build() {
	local dist=${1:-$out/dist}
	ensure_venv >&2 || {
		echo "tests/ansible/run.sh: installing ansible-core $ANSIBLE_CORE failed" >&2
		return 1
	}
	mkdir -p "$dist"
	rm -f "$dist"/ipvsadm_rs-ipvs-*.tar.gz
	"$venv/bin/ansible-galaxy" collection build --force --output-path "$dist" "$COLL_SRC" >&2 ||
		return 1
	ls "$dist"/ipvsadm_rs-ipvs-*.tar.gz
}

passed=0 failed=0
step() {
	local name=$1 t rc
	shift
	t=$(now)
	"$@" >"$out/step.log" 2>&1
	rc=$?
	if [ $rc = 0 ]; then
		passed=$((passed + 1))
		echo "ok - $name ($(elapsed "$t" "$(now)") s)"
		[ "${SHOW:-0}" = 1 ] && sed 's/^/    /' "$out/step.log"
	else
		failed=$((failed + 1))
		echo "not ok - $name ($(elapsed "$t" "$(now)") s, status $rc)"
		sed 's/^/    /' "$out/step.log" | tail -80
	fi
	return 0
}

# ansible-test runs in a copy of the collection outside any git checkout: inside one it
# takes the files git knows, and it writes tests/output/ beside the collection.
sanity() {
	local home=$out/home skip=() t tree rc
	for t in "${SANITY_SKIP[@]}"; do skip+=(--skip-test "$t"); done
	pip_bootstrap "$home" || return 1
	tree=$(mktemp -d /tmp/ipvs-ansible-sanity.XXXXXX) || return 1
	mkdir -p "$tree/ansible_collections/ipvsadm_rs"
	cp -a "$COLL_SRC" "$tree/ansible_collections/ipvsadm_rs/ipvs"
	find "$tree" -name __pycache__ -prune -exec rm -rf {} +
	rm -rf "$tree/ansible_collections/ipvsadm_rs/ipvs/tests/output"
	# --local: the venv's Python is the controller; ansible-test makes its own venvs for
	# the tests with requirements (cached under $home).
	(cd "$tree/ansible_collections/ipvsadm_rs/ipvs" &&
		HOME=$home "$venv/bin/ansible-test" sanity --local --python 3.11 --color no \
			"${skip[@]}" 2>&1 | grep -v 'Using locale')
	rc=${PIPESTATUS[0]}
	rm -rf "$tree"
	return "$rc"
}

units() {
	PYTHONPATH=$repo/ansible "$venv/bin/python" -m pytest -q -p no:cacheprovider \
		"$COLL_SRC/tests/unit"
}

built_tarball() {
	local tarball files f
	tarball=$(build) || return 1
	echo "$tarball"
	files=$(tar -tzf "$tarball") || return 1
	for f in MANIFEST.json README.md CHANGELOG.md plugins/modules/ipvs_apply.py \
		plugins/modules/ipvs_facts.py plugins/module_utils/restore.py; do
		grep -qxF "$f" <<<"$files" || {
			echo "$f is not in the tarball:"
			echo "$files"
			return 1
		}
	done
}

# The guest's playbooks, parsed by this ansible-core (a mistake shows here, not after a
# guest boot).
syntax() {
	local book
	for book in "$here"/guest/*.yml; do
		ANSIBLE_COLLECTIONS_PATH=$repo/ansible "$venv/bin/ansible-playbook" --syntax-check \
			-i "$here/guest/inventory.ini" "$book" || return 1
	done
}

# host_play LOG NETNS ARGS...: the guest's apply.yml run by this ansible-core on this host,
# against the real ipvsadm-restore of the release build (or the one in $BIN), in network
# namespace NETNS (none when empty).
host_play() {
	local logf=$1 netns=$2 bin
	shift 2
	bin=${BIN:-$("$repo/tests/release-dir.sh")} || return 1
	[ -x "$bin/ipvsadm-restore" ] || {
		echo "no $bin/ipvsadm-restore: run cargo build --release first"
		return 1
	}
	printf '[directors]\nhost1 %s\n[directors:vars]\nansible_connection=local\nansible_python_interpreter=%s\n' \
		"${netns:+netns=$netns}" "$venv/bin/python" >"$out/host.ini"
	PATH=$bin:$PATH ANSIBLE_COLLECTIONS_PATH=$repo/ansible ANSIBLE_NOCOLOR=1 \
		ANSIBLE_LOCAL_TEMP=$out/tmp HOME=$out/home \
		"$venv/bin/ansible-playbook" -i "$out/host.ini" "$here/guest/apply.yml" "$@" >"$logf" 2>&1
}

# Bad rules: the tool reads and checks them before it looks for IPVS, so the task fails
# with every line error (lines 2 and 5) even here. (Bad rules change nothing, so this runs
# in the host's own namespace: with a --netns that cannot be joined the tool reports that
# first, status 3.)
host_bad() {
	printf '%s\n' '-A -t 192.0.2.10:80 -s rr' '-a -t 192.0.2.10:80 -r 198.51.100.2:8080 -m -w lots' \
		'-a -t 192.0.2.10:80 -r 198.51.100.3:8080 -m -w 1' '-A -t 192.0.2.12:80 -s rr' \
		'-a -t 192.0.2.13:80 -r 198.51.100.3:8080 -m -w 1' >"$out/bad.rules"
	if host_play "$out/host-bad.log" "" -e rules="$out/bad.rules"; then
		cat "$out/host-bad.log"
		echo "ansible-playbook succeeded with bad rules"
		return 1
	fi
	grep '^fatal: \[host1\]: FAILED!' "$out/host-bad.log" | grep 'line 2: illegal weight' |
		grep -q 'line 5: Service not defined' || {
		cat "$out/host-bad.log"
		return 1
	}
	ran_ours "$out/host-bad.log" || return 1
	grep '^fatal' "$out/host-bad.log"
}

# ran_ours LOG: the task ran the release build's ipvsadm-restore (not one of the system's).
ran_ours() {
	grep -qF "\"cmd\": [\"$("$repo/tests/release-dir.sh")/ipvsadm-restore\"" "$1" || {
		echo "the task did not run $("$repo/tests/release-dir.sh")/ipvsadm-restore:"
		cat "$1"
		return 1
	}
}

# Good rules, in check mode and not: IPVS cannot be reached (the namespace does not exist,
# so the host's own table, if it has one, is never touched).
host_unreachable() {
	printf '%s\n' '-A -t 192.0.2.10:80 -s rr' >"$out/good.rules"
	local mode
	for mode in --check --diff; do
		if host_play "$out/host-good.log" /nonexistent/ipvs-ansible-test "$mode" -e rules="$out/good.rules"; then
			cat "$out/host-good.log"
			echo "ansible-playbook $mode succeeded without IPVS"
			return 1
		fi
		grep '^fatal: \[host1\]: FAILED!' "$out/host-good.log" | grep -q '"msg": "IPVS unreachable: ' || {
			cat "$out/host-good.log"
			return 1
		}
		ran_ours "$out/host-good.log" || return 1
	done
	grep '^fatal' "$out/host-good.log"
}

# Check mode through Ansible itself (not only the module): a dry run with changes pending
# exits 1, and the task must be changed, not failed, with the plan as its diff. Against a
# stand-in ipvsadm-restore (this host has no IPVS to plan against).
host_check_mode() {
	mkdir -p "$out/fake"
	cat >"$out/fake/ipvsadm-restore" <<'EOF'
#!/bin/sh
# A stand-in for ipvsadm-restore --apply --dry-run with one change pending.
case " $* " in
*" --dry-run "*)
	echo '-a -t 192.0.2.10:80 -r 198.51.100.4:8080 -m -w 1'
	echo 'ipvsadm-restore: dry run: 1 to add, 0 to edit, 0 to remove, 0 draining' >&2
	exit 1
	;;
esac
echo "stand-in: only a dry run was expected: $*" >&2
exit 99
EOF
	chmod +x "$out/fake/ipvsadm-restore"
	printf '%s\n' '-A -t 192.0.2.10:80 -s rr' >"$out/good.rules"
	BIN=$out/fake host_play "$out/host-check.log" "" --check --diff -e rules="$out/good.rules" || {
		cat "$out/host-check.log"
		return 1
	}
	grep -Eq '^host1 +: ok=1 +changed=1 +unreachable=0 +failed=0' "$out/host-check.log" &&
		grep -qx -- '-a -t 192.0.2.10:80 -r 198.51.100.4:8080 -m -w 1' "$out/host-check.log" || {
		cat "$out/host-check.log"
		return 1
	}
	grep -A3 '^TASK' "$out/host-check.log"
}

host() {
	mkdir -p "$out"
	step "ansible-core $ANSIBLE_CORE in target/ansible/venv" ensure_venv
	[ "$failed" = 0 ] || { echo "$passed passed, $failed failed"; return 1; }
	SHOW=1 step "ansible-galaxy collection build" built_tarball
	SHOW=1 step "ansible-test sanity --python 3.11 (skipped: ${SANITY_SKIP[*]})" sanity
	step "unit tests (pytest)" units
	step "the guest's playbooks pass ansible-playbook --syntax-check" syntax
	SHOW=1 step "ansible-playbook --check --diff (stand-in tool, changes pending): changed, the plan as diff" host_check_mode
	SHOW=1 step "ansible-playbook on this host: bad rules fail with every line error" host_bad
	SHOW=1 step "ansible-playbook on this host: no IPVS (a missing namespace) fails as 'IPVS unreachable'" host_unreachable
	echo "$passed passed, $failed failed"
	[ "$failed" = 0 ]
}

guest() {
	local run tarball deb t0
	mkdir -p "$out"
	run=$repo/target/guest/ansible-$$
	mkdir -p "$run"
	tarball=$(build "$run/dist") || exit 2
	# shellcheck disable=SC2064
	trap "'$repo/tests/guest/guest.sh' stop '$run'; rm -rf '$run'" EXIT
	deb=$(tests/ship/packages.sh deb "$run/pkg" 1) || {
		echo "run.sh: building the .deb failed" >&2
		exit 2
	}
	"$repo/tests/guest/guest.sh" build || exit 2
	t0=$(now)
	"$repo/tests/guest/guest.sh" start "$run" || exit 2
	echo "# guest booted in $(elapsed "$t0" "$(now)") s"
	sock=$run/qga.sock
	for f in lib.sh echo.py hold.py; do
		qga put "$repo/tests/guest/in-guest/$f" "/root/$f" || exit 2
	done
	qga put "$deb" /root/n.deb || exit 2
	qga exec 'dpkg -i /root/n.deb </dev/null >/dev/null' || exit 2
	# shellcheck source=tests/ansible/guest-checks.sh
	. "$here/guest-checks.sh"
	ansible_guest_checks qga check "$tarball"
	echo "$passed passed, $failed failed"
	[ "$failed" = 0 ]
}

# In braces: bash reads the whole command before it runs it, so an edit of this file
# during a long guest run does not change what runs.
{
	case "${1:-host}" in
	host) host ;;
	build) build ;;
	guest) guest ;;
	*)
		sed -n '2,31p' "$0" >&2
		exit 2
		;;
	esac
	exit
}
