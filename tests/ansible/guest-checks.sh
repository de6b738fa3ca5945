# shellcheck shell=bash
# tests/ansible/guest-checks.sh: the Ansible collection's checks in the Debian guest, for
# tests/guest/run.sh and `tests/ansible/run.sh guest` (sourced by both; bash).
#
#   ansible_guest_checks QGA CHECK TARBALL
# QGA: the command that drives the guest (qga.py on its socket: QGA put FILE DEST, QGA exec
# SCRIPT); CHECK: the caller's check function (CHECK NAME SCRIPT runs SCRIPT in the guest
# after lib.sh, and counts it); TARBALL: the collection built by `tests/ansible/run.sh build`.
# Needs our .deb installed in the guest and lib.sh, echo.py, hold.py there (/root).
# Copies in the tarball, tests/ansible/guest/ (inventory and playbooks) and
# in-guest/ansible.sh, then runs its checks in order (they build on each other: the first
# run makes the tables the second and the --check run see). ANSIBLE_GUEST_CHECKS="ans_first
# ans_check_diff" runs only those.

ansible_guest_checks() {
	local qga=$1 check=$2 tarball=$3 dir f
	dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
	"$qga" exec 'mkdir -p /root/ansible' || return 1
	"$qga" put "$tarball" /root/ansible/ipvsadm_rs-ipvs.tar.gz || return 1
	"$qga" put "$dir/../guest/in-guest/ansible.sh" /root/ansible.sh || return 1
	for f in "$dir"/guest/*; do
		"$qga" put "$f" "/root/ansible/$(basename "$f")" || return 1
	done
	# Only the checks named in ANSIBLE_GUEST_CHECKS (function names), when it is set.
	_ansible_one() {
		case " ${ANSIBLE_GUEST_CHECKS:-$2} " in *" $2 "*) ;; *) return 0 ;; esac
		SHOW=${3:-0} "$check" "$1" ". /root/ansible.sh; $2"
	}
	_ansible_one "ansible: the first run is changed on all three directors, each -Sn equals the rules" ans_first 1
	_ansible_one "ansible: a second run is ok, changed=0 on all three" ans_second
	_ansible_one "ansible: --check --diff after editing the rules shows the plan and changes nothing" ans_check_diff
	_ansible_one "ansible: a drain run keeps an open TCP connection to the drained server until it closes" ans_drain 1
	_ansible_one "ansible: a bad rules file fails every host with the line numbers and changes nothing" ans_bad 1
	_ansible_one "ansible: copy's validate (the offline check) keeps a bad file out, names its line" ans_validate
	_ansible_one "ansible: ipvs_facts reads the table of each director; applied back as JSON it changes nothing" ans_facts
}
