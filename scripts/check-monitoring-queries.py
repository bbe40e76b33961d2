#!/usr/bin/env python3
"""Evaluates every query of the Grafana dashboard and every alert expression of the chart's rules
against a real Prometheus that scrapes `vigilante demo`, and checks the rules' own evaluation.

usage: check-monitoring-queries.py PROMETHEUS_URL DASHBOARD_JSON RULES_YAML
Every expression must evaluate without error; the main panels must return data.
"""
import json
import sys
import urllib.parse
import urllib.request

import yaml

PROMETHEUS, DASHBOARD, RULES = sys.argv[1:4]
# Panels the demo must fill: everything but failures, backoff and restarts, which a healthy demo has none of.
MAIN_PANELS = {
    "Leader", "Up", "Memory (resident)", "Task passes by outcome", "Pass duration (p50, p95)",
    "Time since last pass", "Windows nodes by SNAT phase", "Healing windows started and completed",
    "Healer pods created", "Detection delay (Ready to first healer pod, p95)", "API requests by verb",
    "API request duration (p95) by verb",
}
# Grafana's variables, as "All" and a rate window fit for a one-second scrape.
VARIABLES = {"$namespace": ".*", "$job": ".*", "$__rate_interval": "1m", "${datasource}": ""}
failures = []


def check(condition, message):
    print(("ok   " if condition else "FAIL ") + message, flush=True)
    if not condition:
        failures.append(message)


def query(expr):
    url = PROMETHEUS + "/api/v1/query?" + urllib.parse.urlencode({"query": expr})
    try:
        with urllib.request.urlopen(url, timeout=30) as answer:
            return json.load(answer)
    except urllib.error.HTTPError as error:
        return json.load(error)


dashboard = json.load(open(DASHBOARD))
panels = [p for p in dashboard["panels"] if p["type"] != "row"]
check(MAIN_PANELS <= {p["title"] for p in panels}, "the dashboard has every main panel")
for panel in panels:
    for target in panel["targets"]:
        expr = target["expr"]
        for name, value in VARIABLES.items():
            expr = expr.replace(name, value)
        answer = query(expr)
        ok = answer.get("status") == "success"
        series = len(answer.get("data", {}).get("result", [])) if ok else 0
        check(ok, f"dashboard '{panel['title']}' {target['refId']}: evaluates ({answer.get('error', f'{series} series')})")
        if panel["title"] in MAIN_PANELS:
            check(series > 0, f"dashboard '{panel['title']}' {target['refId']}: returns data")
for variable in dashboard["templating"]["list"]:
    if variable["type"] == "query":
        expr = variable["definition"]
        inner = expr[len("label_values("):-1].rsplit(",", 1)[0].replace("$namespace", ".*")
        answer = query(inner)
        check(answer.get("status") == "success" and answer["data"]["result"],
              f"dashboard variable {variable['name']}: its series exist")

rules = yaml.safe_load(open(RULES))
alerts = [r for g in rules["groups"] for r in g["rules"]]
for rule in alerts:
    answer = query(rule["expr"])
    check(answer.get("status") == "success", f"alert {rule['alert']}: expression evaluates ({answer.get('error', 'ok')})")
with urllib.request.urlopen(PROMETHEUS + "/api/v1/rules", timeout=30) as answer:
    loaded = [r for g in json.load(answer)["data"]["groups"] for r in g["rules"]]
check(len(loaded) == len(alerts), f"Prometheus loaded the {len(alerts)} alerts")
for rule in loaded:
    check(rule.get("health") == "ok" and not rule.get("lastError"),
          f"alert {rule['name']}: evaluated by Prometheus, health {rule.get('health')} {rule.get('lastError', '')}")
    # The demo is healthy: nothing may be pending or firing.
    check(rule.get("state") == "inactive", f"alert {rule['name']}: inactive on the healthy demo ({rule.get('state')})")
if failures:
    print(f"{len(failures)} monitoring check(s) failed", file=sys.stderr)
    sys.exit(1)
