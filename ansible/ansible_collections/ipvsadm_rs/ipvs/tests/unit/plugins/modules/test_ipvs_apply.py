# -*- coding: utf-8 -*-
# SPDX-License-Identifier: MIT OR Apache-2.0
"""ipvs_apply as Ansible runs it, against a stand-in ipvsadm-restore.

The module runs as its own process (the way Ansible's debugging entry point runs a
module: the arguments in a JSON file), with ``executable`` pointing at a small script
that records its arguments and standard input and answers as the scenario says. So
these tests see the commands the module runs, in which order, and the result it makes
of each answer: check mode, diff mode, changed, and the failures.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

FAKE = r'''#!PYTHON
import json, os, sys
log = os.environ["FAKE_LOG"]
# Standard input is read only when no rules file is named (as the tool does).
stdin = None if any(a.startswith("/") for a in sys.argv[2:]) else sys.stdin.read()
with open(log, "a") as f:
    f.write(json.dumps({"argv": sys.argv[1:], "stdin": stdin}) + "\n")
with open(log) as f:
    n = sum(1 for _ in f)
answers = json.loads(os.environ["FAKE_ANSWERS"])
a = answers[min(n, len(answers)) - 1]
sys.stdout.write(a.get("out", ""))
sys.stderr.write(a.get("err", ""))
sys.exit(a["rc"])
'''

PLAN = "-a -t 192.0.2.10:80 -r 198.51.100.4:8080 -m -w 1\n-d -t 192.0.2.10:80 -r 198.51.100.3:8080\n"
DRY = "ipvsadm-restore: dry run: 1 to add, 0 to edit, 1 to remove, 0 draining\n"
DONE = "ipvsadm-restore: 1 added, 0 edited, 1 removed, 1 drained\n"
RULES = "-A -t 192.0.2.10:80 -s rr\n-a -t 192.0.2.10:80 -r 198.51.100.4:8080 -m -w 1\n"

COLLECTIONS = os.path.abspath(os.path.join(os.path.dirname(__file__), *[".."] * 7))


def run(tmp_path, answers, check=False, diff=False, **args):
    fake = tmp_path / "ipvsadm-restore"
    fake.write_text(FAKE.replace("PYTHON", sys.executable))
    fake.chmod(0o755)
    log = tmp_path / "calls"
    args.setdefault("executable", str(fake))
    args["_ansible_check_mode"] = check
    args["_ansible_diff"] = diff
    argfile = tmp_path / "args.json"
    argfile.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": args}))
    env = dict(os.environ, FAKE_LOG=str(log), FAKE_ANSWERS=json.dumps(answers),
               PYTHONPATH=os.pathsep.join([COLLECTIONS] + sys.path))
    proc = subprocess.run(
        [sys.executable, "-m", "ansible_collections.ipvsadm_rs.ipvs.plugins.modules.ipvs_apply",
         str(argfile)], env=env, capture_output=True, text=True, check=False)
    try:
        result = json.loads(proc.stdout)
    except ValueError:
        pytest.fail("the module wrote no JSON:\n%s\n%s" % (proc.stdout, proc.stderr))
    calls = [json.loads(x) for x in log.read_text().splitlines()] if log.exists() else []
    return result, calls


def test_empty_plan_is_ok_and_runs_only_the_dry_run(tmp_path):
    nothing = "ipvsadm-restore: dry run: 0 to add, 0 to edit, 0 to remove, 0 draining\n"
    r, calls = run(tmp_path, [dict(rc=0, err=nothing)], src="/etc/ipvsadm.rules")
    assert not r.get("failed") and r["changed"] is False and r["plan"] == []
    assert [c["argv"] for c in calls] == [["--apply", "--dry-run", "/etc/ipvsadm.rules"]]


def test_check_mode_is_the_dry_run_and_diff_is_the_plan(tmp_path):
    r, calls = run(tmp_path, [dict(rc=1, out=PLAN, err=DRY)], check=True, diff=True,
                   rules=RULES, netns="d1", scope=["addr=192.0.2.0/24"], drain=20)
    assert r["changed"] is True and not r.get("failed")
    # Ansible fails a task whose result has a non-zero rc: the dry run's 1 is not returned.
    assert "rc" not in r
    assert r["plan"] == PLAN.splitlines()
    assert r["diff"]["prepared"] == (
        "# ipvsadm-restore --apply plan for network namespace d1: 1 to add, 0 to edit, "
        "1 to remove, 0 draining\n" + PLAN)
    assert [c["argv"] for c in calls] == [["--apply", "--dry-run", "--scope", "addr=192.0.2.0/24",
                                           "--drain", "20", "--netns", "d1"]]
    assert calls[0]["stdin"] == RULES


def test_no_diff_without_diff_mode(tmp_path):
    r, calls = run(tmp_path, [dict(rc=1, out=PLAN, err=DRY)], check=True, rules=RULES)
    assert "diff" not in r and len(calls) == 1


def test_a_plan_is_applied_and_changed(tmp_path):
    r, calls = run(tmp_path, [dict(rc=1, out=PLAN, err=DRY), dict(rc=0, err=DONE)],
                   src="/r", drain=20, wait=3)
    assert r["changed"] is True and not r.get("failed")
    assert r["counts"] == dict(added=1, edited=0, removed=1, drained=1)
    assert r["plan"] == PLAN.splitlines()
    assert [c["argv"] for c in calls] == [
        ["--apply", "--dry-run", "--drain", "20", "--wait", "3", "/r"],
        ["--apply", "--drain", "20", "--wait", "3", "/r"],
    ]


def test_an_apply_that_found_nothing_left_to_do_is_not_changed(tmp_path):
    none = "ipvsadm-restore: 0 added, 0 edited, 0 removed, 0 drained\n"
    r, calls = run(tmp_path, [dict(rc=1, out=PLAN, err=DRY), dict(rc=0, err=none)], src="/r")
    assert r["changed"] is False and len(calls) == 2


def test_bad_rules_fail_with_every_line_and_apply_nothing(tmp_path):
    err = "line 2: illegal weight specified\nline 5: the real server's service is not defined\n"
    r, calls = run(tmp_path, [dict(rc=2, err=err)], rules=RULES)
    assert r["failed"] is True
    assert "line 2: illegal weight specified" in r["msg"]
    assert "line 5: the real server's service is not defined" in r["msg"]
    assert [e["line"] for e in r["errors"]] == [2, 5]
    assert len(calls) == 1


@pytest.mark.parametrize("rc,head", [(3, "IPVS unreachable: "), (5, "busy: ")])
def test_dry_run_failures(tmp_path, rc, head):
    r, calls = run(tmp_path, [dict(rc=rc, err="ipvsadm-restore: reason\n")], src="/r")
    assert r["failed"] is True and r["msg"].startswith(head) and r["rc"] == rc
    assert len(calls) == 1


@pytest.mark.parametrize("rc,head", [
    (1, "the table matches neither"), (2, "the rules were refused"),
    (3, "IPVS unreachable: "), (4, "the kernel refused a change"), (5, "busy: ")])
def test_apply_failures(tmp_path, rc, head):
    r, calls = run(tmp_path, [dict(rc=1, out=PLAN, err=DRY), dict(rc=rc, err="ipvsadm-restore: x\n")],
                   src="/r")
    assert r["failed"] is True and r["msg"].startswith(head) and r["rc"] == rc
    assert len(calls) == 2


def test_empty_inline_rules_still_go_on_stdin(tmp_path):
    r, calls = run(tmp_path, [dict(rc=2, err="ipvsadm-restore: standard input holds no service\n")],
                   rules="")
    assert r["failed"] is True and "holds no service" in r["msg"]
    assert calls[0]["stdin"] == "\n"


def test_src_and_rules_are_exclusive(tmp_path):
    r, calls = run(tmp_path, [dict(rc=0)], src="/r", rules=RULES)
    assert r["failed"] is True and "mutually exclusive" in r["msg"]
    assert calls == []


def test_negative_drain_is_refused(tmp_path):
    r, calls = run(tmp_path, [dict(rc=0)], src="/r", drain=-1)
    assert r["failed"] is True and "drain must be 0 or more" in r["msg"]
    assert calls == []


def test_the_c_ipvsadm_restore_is_never_run(tmp_path):
    # The C ipvsadm's wrapper (as Debian ships it, shortened): it ignores its options,
    # clears the table and loads standard input.
    classic = tmp_path / "classic" / "ipvsadm-restore"
    classic.parent.mkdir()
    ran = tmp_path / "classic-ran"
    classic.write_text("#!/bin/sh\ntouch %s\nINPUT=\"$(grep -v '^#')\"\nipvsadm -C\n"
                       "echo \"$INPUT\" | ipvsadm -R\n" % ran)
    classic.chmod(0o755)
    r, calls = run(tmp_path, [dict(rc=0)], src="/r", executable=str(classic))
    assert r["failed"] is True and "C ipvsadm's ipvsadm-restore" in r["msg"]
    assert not ran.exists() and calls == []
