# -*- coding: utf-8 -*-
# SPDX-License-Identifier: MIT OR Apache-2.0
"""The mapping of ipvsadm-restore's statuses and output onto the modules' results.

The standard error texts below were written by ipvsadm-restore itself (the commands are
named above each one); the tool's contract is ipvsadm-restore(8), EXIT STATUS.
"""

from __future__ import annotations

from ansible_collections.ipvsadm_rs.ipvs.plugins.module_utils import restore

# ipvsadm-restore --apply --dry-run bad.rules (line 2: -w lots; line 5: a real server of a
# service not defined), status 2.
BAD = (
    "line 2: illegal weight specified\n"
    "line 5: Service not defined\n"
    "ipvsadm-restore: the rules have errors; nothing was changed\n"
)
# ipvsadm-restore --apply --dry-run good.rules on a kernel without ip_vs, status 3.
UNREACHABLE = (
    "modprobe: FATAL: Module ip_vs not found in directory /lib/modules/6.18.44-fc-v1300\n"
    "Can't initialize ipvs: Protocol not available\n"
    "Are you sure that IP Virtual Server is built in the kernel or as module?\n"
)
DRY = (
    "ipvsadm-restore: --apply without --scope: the rules own the whole table\n"
    "ipvsadm-restore: dry run: 1 to add, 1 to edit, 1 to remove, 0 draining\n"
)
DONE = "ipvsadm-restore: 1 added, 1 edited, 1 removed, 1 drained\n"


def params(**kw):
    base = dict(src=None, rules=None, format="save", scope=None, drain=None, netns=None,
                wait=None, allow_empty=False)
    base.update(kw)
    return base


def test_command_dry_run_carries_every_option():
    cmd = restore.build_command("/sbin/ipvsadm-restore", params(
        src="/etc/ipvsadm.rules", format="json", scope=["addr=192.0.2.0/24", "fwmark=1-9"],
        drain=30, netns="blue", wait=0, allow_empty=True), dry_run=True)
    assert cmd == ["/sbin/ipvsadm-restore", "--apply", "--dry-run", "--json",
                   "--scope", "addr=192.0.2.0/24", "--scope", "fwmark=1-9", "--allow-empty",
                   "--drain", "30", "--wait", "0", "--netns", "blue", "/etc/ipvsadm.rules"]


def test_command_apply_and_inline_rules_on_stdin():
    assert restore.build_command("r", params(rules="-A -t 192.0.2.1:80")) == ["r", "--apply"]


def test_command_offline_check_has_no_namespace_lock_or_drain():
    cmd = restore.build_command("r", params(src="f", scope=["port=80"], drain=5, netns="x",
                                            wait=3), check_only=True)
    assert cmd == ["r", "--apply", "--check", "--scope", "port=80", "f"]


def test_line_errors_every_line_with_its_number():
    assert restore.line_errors(BAD) == [
        {"line": 2, "message": "illegal weight specified"},
        {"line": 5, "message": "Service not defined"},
    ]


def test_line_errors_joins_continuation_lines():
    err = "line 7: first part\nline 7:   second part\nline 9: other\n"
    assert restore.line_errors(err) == [
        {"line": 7, "message": "first part\nsecond part"},
        {"line": 9, "message": "other"},
    ]


def test_summary_of_dry_run_and_apply():
    assert restore.summary(DRY) == dict(added=1, edited=1, removed=1, drained=0)
    assert restore.summary(DONE) == dict(added=1, edited=1, removed=1, drained=1)
    assert restore.summary("something else\n") is None


def test_plan_lines():
    out = "-e -t 192.0.2.10:80 -r 198.51.100.2:80 -m -w 3\n\n-d -t 192.0.2.10:80 -r 198.51.100.3:80\n"
    assert restore.plan_lines(out) == ["-e -t 192.0.2.10:80 -r 198.51.100.2:80 -m -w 3",
                                       "-d -t 192.0.2.10:80 -r 198.51.100.3:80"]


def test_dry_run_statuses_0_and_1_succeed():
    assert restore.failure(0, DRY, dry_run=True) is None
    assert restore.failure(1, DRY, dry_run=True) is None


def test_apply_status_1_fails():
    msg = restore.failure(1, "ipvsadm-restore: UNDO FAILED\n-a -t 192.0.2.1:80\n", dry_run=False)
    assert msg.startswith("the table matches neither the rules nor what it was before")
    assert "UNDO FAILED" in msg


def test_bad_rules_name_every_line():
    msg = restore.failure(2, BAD, dry_run=True)
    assert msg.splitlines() == [
        "the rules have 2 error(s), nothing was changed",
        "line 2: illegal weight specified",
        "line 5: Service not defined",
        "ipvsadm-restore: the rules have errors; nothing was changed",
    ]


def test_unreadable_or_empty_rules_keep_the_tool_message():
    err = "ipvsadm-restore: /etc/x.rules holds no service: applying it would remove every service\n"
    msg = restore.failure(2, err, dry_run=True)
    assert msg.startswith("the rules were refused, nothing was changed: ")
    assert "holds no service" in msg


def test_unreachable_has_its_own_message():
    msg = restore.failure(3, UNREACHABLE, dry_run=True)
    assert msg.startswith("IPVS unreachable: ")
    assert "Protocol not available" in msg


def test_undone_busy_and_unknown():
    assert restore.failure(4, "x\n", dry_run=False).startswith("the kernel refused a change")
    assert restore.failure(5, "x\n", dry_run=True).startswith("busy: ")
    assert restore.failure(101, "boom\n", dry_run=True) == \
        "ipvsadm-restore failed with status 101: boom"


def test_the_summary_line_is_not_part_of_a_failure_message():
    msg = restore.failure(5, "another --apply (PID 7) holds the lock\n" + DRY, dry_run=True)
    assert "dry run:" not in msg
    assert msg.endswith("another --apply (PID 7) holds the lock\n"
                        "ipvsadm-restore: --apply without --scope: the rules own the whole table")


def test_diff_text():
    text = restore.diff_text(["-a -t 192.0.2.1:80 -r 198.51.100.2:80 -m -w 1"],
                             dict(added=1, edited=0, removed=0, drained=0), "blue")
    assert text == ("# ipvsadm-restore --apply plan for network namespace blue: 1 to add, "
                    "0 to edit, 0 to remove, 0 draining\n"
                    "-a -t 192.0.2.1:80 -r 198.51.100.2:80 -m -w 1\n")


def test_classic_wrapper():
    assert restore.classic_wrapper(b"#!/bin/bash\nINPUT=\"$(grep -v '^#')\"\nipvsadm -C\n"
                                   b"echo \"$INPUT\" | ipvsadm -R\n")
    assert not restore.classic_wrapper(b"\x7fELF\x02\x01\x01")
    assert not restore.classic_wrapper(b"#!/bin/sh\nexec /usr/lib/ipvsadm-rs/ipvsadm-restore \"$@\"\n")
