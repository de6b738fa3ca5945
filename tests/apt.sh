# Sourced by the test scripts that install Debian packages on the host.
#
# Two things can hold apt's locks while a test script wants to install: another test run on
# the same machine (two test commands side by side, or two lanes of one), and the system's
# own apt (unattended-upgrades on a machine that has just booted). A bare `apt-get install`
# then fails at once with "Could not get lock", and the test command goes red by chance.
# Here every install of the test scripts takes one lock file first (so our own runs take
# turns), and apt-get itself is run again while another program holds one of apt's locks,
# for at most 15 minutes, with the reason printed when it gives up.
# SPDX-License-Identifier: MIT OR Apache-2.0

APT_TESTS_LOCK=${APT_TESTS_LOCK:-/var/lock/ipvsadm-rs-tests-apt.lock}

# apt_retry ARGS...: apt-get ARGS; run again while it fails only because another program
# holds one of apt's locks (dpkg's lock is waited for by apt itself: DPkg::Lock::Timeout).
apt_retry() {
	local err rc deadline=$((SECONDS + 900))
	err=$(mktemp)
	while :; do
		DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 "$@" 2>"$err" &&
			rc=0 || rc=$?
		if [ $rc -ne 0 ] && grep -q 'Could not get lock\|Unable to lock' "$err" &&
			[ $SECONDS -lt $deadline ]; then
			# Wait for the holder to let go: poll apt's lock files, bounded by the deadline.
			sleep 2
			continue
		fi
		cat "$err" >&2
		rm -f "$err"
		return $rc
	done
}

# apt_locked ARGS...: apt_retry ARGS under the test scripts' own lock.
apt_locked() {
	(
		flock -w 1800 9 || {
			echo "apt.sh: another test run held $APT_TESTS_LOCK for 30 minutes" >&2
			exit 1
		}
		apt_retry "$@"
	) 9>"$APT_TESTS_LOCK"
}

# apt_install PKG...: installs those of PKG that are not installed (fetching the package
# lists first when the packages are unknown). Prints apt's messages on standard error.
apt_install() {
	local missing=() p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
			missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	[ "$(id -u)" = 0 ] || {
		echo "apt.sh: packages missing: ${missing[*]} (run as root to install them)" >&2
		return 1
	}
	apt_locked install -y -qq --no-install-recommends "${missing[@]}" >&2 ||
		{ apt_locked update -qq >&2 && apt_locked install -y -qq --no-install-recommends "${missing[@]}" >&2; }
}
