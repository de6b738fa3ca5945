#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: the ipvsadm-rs authors
# SPDX-License-Identifier: MIT OR Apache-2.0
"""Converge a director's IPVS table on rules, through ``ipvsadm-restore --apply``."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: ipvs_apply
short_description: Converge the IPVS table of a director on a rules file
version_added: "0.1.0"
description:
  - Brings the Linux IPVS table (virtual services and real servers) in line with rules in
    the format that C(ipvsadm -S) writes, or the JSON table that C(ipvsadm -S --json)
    writes, changing only what differs. Services outside O(scope) are left alone.
  - It runs the installed C(ipvsadm-restore --apply) of ipvsadm-rs, which reads and checks
    the whole rules first, reads the kernel's table, and makes only the changes of the
    plan between the two (it never clears the table).
  - Each run first asks for the plan (C(--apply --dry-run)); when the plan is empty
    nothing else runs and the task is C(ok). Otherwise the apply runs and the task is
    C(changed).
  - In check mode only the dry run runs. In diff mode the plan (one restore line per
    change to add, edit, remove or drain) is the diff.
  - Bad rules fail the task with every C(line N) error of the tool and change nothing.
    A host where IPVS cannot be reached fails with a message that starts with
    C(IPVS unreachable).
author:
  - ipvsadm-rs maintainers (!UNKNOWN)
requirements:
  - ipvsadm-rs (C(ipvsadm-restore) with C(--apply)) on the managed host
  - root, or CAP_NET_ADMIN, on the managed host (C(become))
options:
  src:
    description:
      - Path of the rules file on the managed host.
      - Exactly one of O(src) and O(rules) is required.
    type: path
  rules:
    description:
      - The rules themselves, as text. Line numbers in errors count from its first line.
      - Exactly one of O(src) and O(rules) is required.
    type: str
  format:
    description:
      - V(save) for the lines that C(ipvsadm -S) writes (C(-A), C(-a) ...), V(json) for the
        table that C(ipvsadm -S --json) writes.
    type: str
    choices: [save, json]
    default: save
  scope:
    description:
      - Terms of C(--scope), each a comma-separated list of criteria such as
        C(addr=192.0.2.0/24,proto=tcp) or C(fwmark=100-199). Only services in the scope
        are added, edited or removed; a rule outside the scope is an error.
      - Without a scope the rules own the whole table and every other service is removed.
        Give a scope on a director shared with keepalived or kube-proxy.
    type: list
    elements: str
  drain:
    description:
      - Seconds to drain real servers that the rules no longer have (C(--drain)). They get
        weight 0 first and are removed when their connections are gone, or after this time.
        The task waits for the drain.
    type: int
  netns:
    description:
      - Network namespace whose table is managed (a name of C(ip netns), or a path such as
        C(/proc/PID/ns/net)). Without it, the namespace of the module.
    type: str
  wait:
    description:
      - Seconds to wait for another C(ipvsadm-restore --apply) in the same namespace to
        finish (C(--wait); the tool's default is 30).
    type: int
  allow_empty:
    description:
      - Accept rules without any service. Applied, they remove every service in the scope.
        Without it such rules (an empty file, a template cut short) fail the task.
    type: bool
    default: false
  executable:
    description:
      - Path of C(ipvsadm-restore). By default it is looked up in C(PATH), then C(/sbin),
        C(/usr/sbin) and C(/usr/local/sbin).
      - The C ipvsadm's C(ipvsadm-restore), a shell script that ignores its options and
        clears the table, is refused and never run.
    type: path
attributes:
  check_mode:
    support: full
    description: Runs C(ipvsadm-restore --apply --dry-run) and changes nothing.
  diff_mode:
    support: full
    description: The plan of the dry run, one restore line per change.
notes:
  - To check a rules file before it is written, use the tool's offline check in the
    C(validate) option of M(ansible.builtin.template) or M(ansible.builtin.copy), that is
    C(ipvsadm-restore --apply --check %s) with the same C(--scope) terms and C(--json)
    as the task. It needs neither IPVS nor root.
  - The statuses and messages of the tool are those of ipvsadm-restore(8), installed with
    ipvsadm-rs.
  - Timeouts and the synchronisation daemons are not part of the rules (yet).
seealso:
  - module: ipvsadm_rs.ipvs.ipvs_facts
"""

EXAMPLES = r"""
- name: Write the rules, checked before they replace the old file
  ansible.builtin.template:
    src: ipvsadm.rules.j2
    dest: /etc/ipvsadm.rules
    mode: "0644"
    validate: ipvsadm-restore --apply --check --scope addr=192.0.2.0/24 %s

- name: Converge the table on them
  ipvsadm_rs.ipvs.ipvs_apply:
    src: /etc/ipvsadm.rules
    scope:
      - addr=192.0.2.0/24
  become: true

- name: Inline rules in a network namespace, draining removed real servers for 60 s
  ipvsadm_rs.ipvs.ipvs_apply:
    netns: blue
    drain: 60
    rules: |
      -A -t 192.0.2.10:80 -s wrr
      -a -t 192.0.2.10:80 -r 198.51.100.2:8080 -m -w 1
      -a -t 192.0.2.10:80 -r 198.51.100.3:8080 -m -w 1
  become: true

- name: The table as JSON, as ipvsadm -S --json writes it
  ipvsadm_rs.ipvs.ipvs_apply:
    format: json
    rules: "{{ ipvs_services | to_json }}"
  become: true
"""

RETURN = r"""
plan:
  description:
    - The changes of the plan, one restore line each (C(-A), C(-E), C(-D), C(-a), C(-e),
      C(-d)), as the dry run printed them. Empty when the table already matched.
  returned: success
  type: list
  elements: str
  sample: ["-a -t 192.0.2.10:80 -r 198.51.100.4:8080 -m -w 1", "-d -t 192.0.2.10:80 -r 198.51.100.3:8080"]
counts:
  description:
    - The counts of the tool's summary (services and real servers together; a removed
      service counts once). Those of the apply, or of the dry run when nothing else ran.
  returned: success
  type: dict
  contains:
    added:
      description: Services and real servers added.
      type: int
    edited:
      description: Services and real servers edited in place.
      type: int
    removed:
      description: Services and real servers removed.
      type: int
    drained:
      description: Real servers drained before their removal.
      type: int
  sample: {"added": 1, "edited": 0, "removed": 1, "drained": 1}
errors:
  description: The tool's per-line errors of bad rules.
  returned: failure, when the rules have errors
  type: list
  elements: dict
  contains:
    line:
      description: The line number in the rules.
      type: int
    message:
      description: What is wrong with it, in the tool's words.
      type: str
  sample: [{"line": 3, "message": "illegal weight specified"}]
cmd:
  description: The last command run.
  returned: always
  type: list
  elements: str
rc:
  description:
    - The exit status of the command that failed (see ipvsadm-restore(8)), for example
      2 for bad rules, 3 for IPVS unreachable, 5 for busy.
    - Not returned on success, where the dry run's status 1 (changes pending) would make
      Ansible take the task for failed; C(changed) and RV(plan) carry it.
  returned: failure
  type: int
stdout:
  description: The standard output of the last command run.
  returned: always
  type: str
stderr:
  description: The standard error of the last command run (the summary, warnings, errors).
  returned: always
  type: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.ipvsadm_rs.ipvs.plugins.module_utils import restore


def _find(module):
    # PATH first, then the sbin directories (get_bin_path adds them).
    tool = module.params["executable"] or module.get_bin_path("ipvsadm-restore", required=True)
    try:
        with open(tool, "rb") as f:
            head = f.read(4096)
    except (IOError, OSError) as e:
        module.fail_json(msg="cannot read %s: %s" % (tool, e))
    if restore.classic_wrapper(head):
        module.fail_json(msg="%s is the C ipvsadm's ipvsadm-restore, which ignores --apply and "
                         "would clear the whole table: install ipvsadm-rs, or name its "
                         "ipvsadm-restore in the option executable" % tool, cmd=[tool])
    return tool


def _run(module, cmd):
    data = module.params["rules"]
    if data is not None:
        # Empty rules go as a blank line: run_command leaves standard input alone for an
        # empty string, and the tool skips blank lines (it then finds no service).
        rc, out, err = module.run_command(cmd, data=data or "\n", binary_data=True)
    else:
        rc, out, err = module.run_command(cmd)
    return rc, out, err


def main():
    module = AnsibleModule(
        argument_spec=dict(
            src=dict(type="path"),
            rules=dict(type="str"),
            format=dict(type="str", choices=["save", "json"], default="save"),
            scope=dict(type="list", elements="str"),
            drain=dict(type="int"),
            netns=dict(type="str"),
            wait=dict(type="int"),
            allow_empty=dict(type="bool", default=False),
            executable=dict(type="path"),
        ),
        mutually_exclusive=[("src", "rules")],
        required_one_of=[("src", "rules")],
        supports_check_mode=True,
    )
    params = module.params
    for name in ("drain", "wait"):
        if params[name] is not None and params[name] < 0:
            module.fail_json(msg="%s must be 0 or more seconds, not %d" % (name, params[name]))
    tool = _find(module)
    result = dict(changed=False, plan=[], counts=None)

    def finish(cmd, rc, out, err):
        result.update(cmd=cmd, stdout=out, stderr=err)
        result.pop("rc", None)
        return rc

    # The plan first, in check mode and out of it: it is the diff, and an empty plan
    # means there is nothing to run.
    cmd = restore.build_command(tool, params, dry_run=True)
    rc, out, err = _run(module, cmd)
    finish(cmd, rc, out, err)
    msg = restore.failure(rc, err, dry_run=True)
    if msg is not None:
        # rc only on failure: Ansible takes a result with a non-zero rc for a failed task,
        # and a dry run's 1 (changes pending) is a success.
        module.fail_json(msg=msg, rc=rc, errors=restore.line_errors(err), **result)
    plan = restore.plan_lines(out)
    counts = restore.summary(err)
    pending = rc == restore.DIFFERS
    result.update(plan=plan, counts=counts, changed=pending)
    if module._diff and pending:
        result["diff"] = dict(prepared=restore.diff_text(plan, counts, params["netns"]))
    if module.check_mode or not pending:
        module.exit_json(**result)

    cmd = restore.build_command(tool, params)
    rc, out, err = _run(module, cmd)
    finish(cmd, rc, out, err)
    msg = restore.failure(rc, err, dry_run=False)
    if msg is not None:
        module.fail_json(msg=msg, rc=rc, errors=restore.line_errors(err), **result)
    done = restore.summary(err)
    if done is not None:
        result["counts"] = done
        # Another apply may have made the same changes between the plan and this run.
        result["changed"] = sum(done.values()) > 0
    module.exit_json(**result)


if __name__ == "__main__":
    main()
