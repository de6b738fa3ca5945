#!/bin/sh
# A deliberately wrong ipvsadm for the runner's self-test (tests/vm/selftest.sh): it runs
# the reference and corrupts one stream, depending on the command:
#   -L...        stdout gets an extra line "X"
#   -A           exit status + 1
#   -D           stderr: "service" becomes "servise"
#   anything else passes through unchanged.
ref=${WRONG_REF:-/payload/ref/ipvsadm}
case ${1:-} in
-L*)
	"$ref" "$@"
	rc=$?
	echo X
	exit $rc
	;;
-A)
	"$ref" "$@"
	exit $(($? + 1))
	;;
-D)
	"$ref" "$@" 2>/tmp/wrong-ipvsadm.err
	rc=$?
	sed 's/service/servise/' /tmp/wrong-ipvsadm.err >&2
	exit $rc
	;;
*) exec "$ref" "$@" ;;
esac
