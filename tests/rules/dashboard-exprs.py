#!/usr/bin/env python3
"""Writes every PromQL expression of a Grafana dashboard as a recording rule, so that
`promtool check rules` parses them all: Grafana's variables are given values first
($instance, $netns: the regular expression `.*`; $__rate_interval: 5m).

    dashboard-exprs.py DASHBOARD.json >RULES.yml
"""
import json
import sys

VARIABLES = {"$__rate_interval": "5m", "$instance": ".*", "$netns": ".*"}


def exprs(panels):
    for p in panels:
        yield from exprs(p.get("panels", []))
        for t in p.get("targets", []):
            yield p["title"], t["expr"]


dashboard = json.load(open(sys.argv[1]))
found = list(exprs(dashboard["panels"]))
for v in dashboard["templating"]["list"]:
    q = v.get("query")
    if isinstance(q, dict) and q["query"].startswith("label_values("):
        # label_values(EXPR, LABEL): EXPR is PromQL.
        found.append((v["name"], q["query"][len("label_values("):].rsplit(",", 1)[0]))
if not found:
    sys.exit("no expression found")
print("groups:\n  - name: dashboard\n    rules:")
for i, (title, e) in enumerate(found):
    for k, val in VARIABLES.items():
        e = e.replace(k, val)
    print(f"      - record: dashboard_expr_{i}  # {title}")
    print(f"        expr: {json.dumps(e)}")
