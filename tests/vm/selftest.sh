#!/usr/bin/env bash
# tests/vm/selftest.sh: prove that the differential runner FAILS a wrong binary.
#
#   tests/vm/selftest.sh [--ref PATH]
#
# Boots the VM once and runs tests/vm/selftest-check.sh there: reference vs reference on
# tests/vm/selftest/*.case must all pass; reference vs tests/vm/wrong-ipvsadm.sh (the
# reference with one stream corrupted per command) must give each case the verdict of its
# `# expect:` line, print unified diffs, and end non-zero.  Exits 0 only then.
# CI can avoid the second boot with `tests/vm/difftest.sh --selftest`, which runs the same
# check after the suite in the same boot.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
exec "$here/difftest.sh" --selftest-only "$@"
