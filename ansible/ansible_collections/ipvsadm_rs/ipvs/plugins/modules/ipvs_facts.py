#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: the ipvsadm-rs authors
# SPDX-License-Identifier: MIT OR Apache-2.0
"""The IPVS table of a director as facts, from ``ipvsadm -S -n --json``."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: ipvs_facts
short_description: Read the IPVS table of a director as facts
version_added: "0.1.0"
description:
  - Reads the Linux IPVS table with C(ipvsadm -S -n --json) of ipvsadm-rs and sets the
    fact C(ipvs_table), the list of services as that command writes them (protocol,
    address, port or fwmark, scheduler, flags, timeout, netmask, persistence engine,
    counters, rates and real servers with their forwarding method, weight, thresholds
    and connection counts).
  - The same JSON is what O(ipvsadm_rs.ipvs.ipvs_apply#module:format=json) takes, so a
    table can be read, changed and applied back.
  - Changes nothing.
author:
  - ipvsadm-rs maintainers (!UNKNOWN)
requirements:
  - ipvsadm-rs (C(ipvsadm) with C(--json)) on the managed host
  - root, or CAP_NET_ADMIN, on the managed host (C(become))
options:
  netns:
    description:
      - Network namespace whose table is read (a name of C(ip netns), or a path such as
        C(/proc/PID/ns/net)). Without it, the namespace of the module.
    type: str
  executable:
    description:
      - Path of C(ipvsadm). By default it is looked up in C(PATH), then C(/sbin), C(/usr/sbin)
        and C(/usr/local/sbin).
    type: path
attributes:
  check_mode:
    support: full
    description: Reads only.
  diff_mode:
    support: none
    description: Nothing changes, so there is no diff.
  facts:
    support: full
    description: Sets the fact C(ipvs_table).
notes:
  - Each call replaces the fact, also when it reads another namespace.
seealso:
  - module: ipvsadm_rs.ipvs.ipvs_apply
"""

EXAMPLES = r"""
- name: Read the table of namespace blue
  ipvsadm_rs.ipvs.ipvs_facts:
    netns: blue
  become: true

- name: Every real server of 192.0.2.10:80 is in the table with a weight above 0
  ansible.builtin.assert:
    that:
      - service.real_servers | selectattr('weight', 'gt', 0) | list | length >= 2
  vars:
    service: >-
      {{ ansible_facts.ipvs_table
         | selectattr('address', 'eq', '192.0.2.10')
         | selectattr('port', 'eq', 80) | first }}
"""

RETURN = r"""
ansible_facts:
  description: The facts set.
  returned: always
  type: dict
  contains:
    ipvs_table:
      description:
        - The services, as C(ipvsadm -S -n --json) writes them (see ipvsadm(8), JSON, and
          C(docs/ipvsadm.schema.json) of ipvsadm-rs).
      type: list
      elements: dict
      sample:
        - family: inet
          protocol: tcp
          address: 192.0.2.10
          port: 80
          scheduler: rr
          real_servers:
            - address: 198.51.100.2
              port: 8080
              forward: masq
              weight: 1
cmd:
  description: The command run.
  returned: always
  type: list
  elements: str
"""

import json

from ansible.module_utils.basic import AnsibleModule


def main():
    module = AnsibleModule(
        argument_spec=dict(
            netns=dict(type="str"),
            executable=dict(type="path"),
        ),
        supports_check_mode=True,
    )
    # PATH first, then the sbin directories (get_bin_path adds them).
    tool = module.params["executable"] or module.get_bin_path("ipvsadm", required=True)
    cmd = [tool]
    if module.params["netns"]:
        cmd.extend(["--netns", module.params["netns"]])
    cmd.extend(["-S", "-n", "--json"])
    rc, out, err = module.run_command(cmd)
    if rc != 0:
        if "Can't initialize ipvs" in err or "network namespace" in err:
            what = "IPVS unreachable"
        else:
            what = "ipvsadm could not read the IPVS table"
        module.fail_json(msg="%s (status %d): %s" % (what, rc, err.strip()),
                         cmd=cmd, rc=rc, stdout=out, stderr=err)
    try:
        table = json.loads(out)
    except ValueError as e:
        module.fail_json(msg="ipvsadm -S --json wrote what is not JSON (is it ipvsadm-rs?): %s"
                         % e, cmd=cmd, rc=rc, stdout=out, stderr=err)
    module.exit_json(changed=False, cmd=cmd, ansible_facts=dict(ipvs_table=table))


if __name__ == "__main__":
    main()
