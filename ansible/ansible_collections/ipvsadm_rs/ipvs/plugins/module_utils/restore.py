# -*- coding: utf-8 -*-
# Copyright: the ipvsadm-rs authors
# SPDX-License-Identifier: MIT OR Apache-2.0
"""How ``ipvsadm-restore --apply`` speaks, in Ansible's terms.

The modules never talk to IPVS themselves: they run the installed ``ipvsadm-restore``
and turn what it says (exit status, the plan on standard output, the summary and the
per-line errors on standard error) into an Ansible result. This file holds that mapping
as plain functions, so that it can be tested without a kernel, a tool or a module.

The tool's contract (ipvsadm-restore(8), EXIT STATUS, with ``--apply``):
0 the table matches the rules (dry run) or every change was made; 1 changes are pending
(dry run) or the table matches neither the rules nor what it was before; 2 the rules have
errors or the command line is wrong, nothing changed; 3 IPVS cannot be reached, nothing
changed; 4 the kernel refused a change and the changes were undone; 5 busy, nothing
changed.
"""

from __future__ import annotations

import re

SAME = 0
DIFFERS = 1
RULES = 2
UNREACHABLE = 3
UNDONE = 4
BUSY = 5

_LINE = re.compile(r"^line (\d+):(.*)$")
_DONE = re.compile(
    r"(\d+) added, (\d+) edited, (\d+) removed, (\d+) drained\s*$")
_PLANNED = re.compile(
    r"dry run: (\d+) to add, (\d+) to edit, (\d+) to remove, (\d+) draining\s*$")


def classic_wrapper(head):
    """True when ``head`` (the first bytes of the ipvsadm-restore found) is the shell
    wrapper of the C ipvsadm (Debian's and Red Hat's ``/sbin/ipvsadm-restore``): it
    ignores every option, clears the whole table and loads standard input, so running it
    with ``--apply --dry-run`` would empty the director. It must never run."""
    return head.startswith(b"#!") and b"ipvsadm -R" in head


def build_command(restore, params, dry_run=False, check_only=False):
    """The argument vector of one ``ipvsadm-restore --apply`` run.

    ``params`` holds the module's options (src, format, scope, drain, netns, wait,
    allow_empty). The rules go as the file argument when ``src`` is set, otherwise on
    standard input. ``check_only`` is the offline check (``--apply --check``), which takes
    neither a namespace, nor a lock, nor a drain.
    """
    cmd = [restore, "--apply"]
    if check_only:
        cmd.append("--check")
    elif dry_run:
        cmd.append("--dry-run")
    if params.get("format") == "json":
        cmd.append("--json")
    for term in params.get("scope") or []:
        cmd.extend(["--scope", term])
    if params.get("allow_empty"):
        cmd.append("--allow-empty")
    if not check_only:
        if params.get("drain") is not None:
            cmd.extend(["--drain", str(params["drain"])])
        if params.get("wait") is not None:
            cmd.extend(["--wait", str(params["wait"])])
        if params.get("netns"):
            cmd.extend(["--netns", params["netns"]])
    if params.get("src"):
        cmd.append(params["src"])
    return cmd


def line_errors(stderr):
    """Every ``line N: message`` of standard error, as dicts of line and message.

    A message of several lines comes as ``line N: first`` followed by ``line N:   more``;
    those are joined into one message.
    """
    errors = []
    for raw in (stderr or "").splitlines():
        m = _LINE.match(raw)
        if not m:
            continue
        number, text = int(m.group(1)), m.group(2)
        if text.startswith("   ") and errors and errors[-1]["line"] == number:
            errors[-1]["message"] += "\n" + text.strip()
        else:
            errors.append({"line": number, "message": text.strip()})
    return errors


def summary(stderr):
    """The counts of the tool's summary line (``3 added, 2 edited, 1 removed, 0 drained``
    or, for a dry run, ``dry run: 3 to add, ...``), or None when there is none."""
    for raw in reversed((stderr or "").splitlines()):
        m = _PLANNED.search(raw) or _DONE.search(raw)
        if m:
            return dict(zip(("added", "edited", "removed", "drained"),
                            (int(g) for g in m.groups())))
    return None


def plan_lines(stdout):
    """The plan of a dry run: one restore line per change, blank lines left out."""
    return [raw for raw in (stdout or "").splitlines() if raw.strip()]


def _messages(stderr):
    """Standard error without the summary line, for a failure message."""
    return [raw for raw in (stderr or "").splitlines()
            if raw.strip() and not (_PLANNED.search(raw) or _DONE.search(raw))]


def failure(rc, stderr, dry_run):
    """The failure message of an exit status, or None when the status is a success.

    A dry run succeeds with 0 (nothing to do) and 1 (changes pending); a real apply only
    with 0.
    """
    if rc == SAME or (dry_run and rc == DIFFERS):
        return None
    said = "\n".join(_messages(stderr))
    if rc == RULES:
        errors = line_errors(stderr)
        if errors:
            head = "the rules have %d error(s), nothing was changed" % len(errors)
            body = "\n".join("line %d: %s" % (e["line"], e["message"]) for e in errors)
            others = [m for m in _messages(stderr) if not _LINE.match(m)]
            return "\n".join([head, body] + others)
        return "the rules were refused, nothing was changed: %s" % said
    if rc == UNREACHABLE:
        return ("IPVS unreachable: ipvsadm-restore cannot reach IPVS on this host (no ip_vs "
                "module, no CAP_NET_ADMIN, or the network namespace cannot be joined); "
                "nothing was changed: %s" % said)
    if rc == UNDONE:
        return ("the kernel refused a change; the changes already made were undone and the "
                "table is as it was read: %s" % said)
    if rc == BUSY:
        return ("busy: another apply held the lock of this network namespace, or the table "
                "kept changing while it was read; nothing was changed, try again later: %s"
                % said)
    if rc == DIFFERS:
        return ("the table matches neither the rules nor what it was before (the undo of a "
                "refused change failed, or a drain could not read the table again): %s" % said)
    return "ipvsadm-restore failed with status %d: %s" % (rc, said)


def diff_text(plan, counts, netns=None):
    """The plan as the text of Ansible's diff (``prepared``): a header, then the lines."""
    where = "network namespace %s" % netns if netns else "the IPVS table"
    if counts:
        head = "# ipvsadm-restore --apply plan for %s: %d to add, %d to edit, %d to remove, " \
               "%d draining" % (where, counts["added"], counts["edited"], counts["removed"],
                                counts["drained"])
    else:
        head = "# ipvsadm-restore --apply plan for %s" % where
    return "\n".join([head] + list(plan)) + "\n"
