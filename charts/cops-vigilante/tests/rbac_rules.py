#!/usr/bin/env python3
"""Prints the RBAC that `helm template` output grants the operator's ServiceAccount, one permission a
line, sorted: `VERB GROUP RESOURCE NAMESPACE [NAMES]` (tab-separated; GROUP `core` for the core API
group, NAMESPACE `*` for a ClusterRole bound cluster-wide, NAMES the comma-separated resourceNames or
`*`). Only roles bound to the chart's ServiceAccount count.

  helm template REL charts/cops-vigilante -n NS | rbac_rules.py [--service-account NAME]

The end-to-end suite compares these lines with the simulator's access log; scripts/check-chart.sh
compares them with tests/rbac-*.txt.
"""
import argparse
import sys

import yaml


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--service-account", help="the ServiceAccount name (default: the one the chart renders)")
    parser.add_argument("file", nargs="?", default="-")
    args = parser.parse_args()
    text = sys.stdin.read() if args.file == "-" else open(args.file).read()
    docs = [d for d in yaml.safe_load_all(text) if isinstance(d, dict)]
    account = args.service_account
    if account is None:
        deployments = [d for d in docs if d.get("kind") == "Deployment"]
        account = deployments[0]["spec"]["template"]["spec"].get("serviceAccountName", "default")
    roles = {}
    for doc in docs:
        if doc.get("kind") in ("Role", "ClusterRole"):
            meta = doc["metadata"]
            roles[(doc["kind"], meta.get("namespace"), meta["name"])] = doc.get("rules") or []
    lines = set()
    for doc in docs:
        if doc.get("kind") not in ("RoleBinding", "ClusterRoleBinding"):
            continue
        if not any(s.get("kind") == "ServiceAccount" and s.get("name") == account for s in doc.get("subjects", [])):
            continue
        ref = doc["roleRef"]
        binding_namespace = doc["metadata"].get("namespace")
        if ref["kind"] == "Role":
            rules = roles.get(("Role", binding_namespace, ref["name"]))
        else:
            rules = roles.get(("ClusterRole", None, ref["name"]))
        if rules is None:
            sys.exit("binding %s refers to %s %s, which the chart does not render" % (doc["metadata"]["name"], ref["kind"], ref["name"]))
        namespace = binding_namespace if doc["kind"] == "RoleBinding" else "*"
        for rule in rules:
            names = ",".join(rule.get("resourceNames", [])) or "*"
            for group in rule.get("apiGroups", []):
                for resource in rule.get("resources", []):
                    for verb in rule.get("verbs", []):
                        lines.add("\t".join([verb, group or "core", resource, namespace, names]))
    for line in sorted(lines, key=lambda l: l.split("\t")[2:4] + l.split("\t")[:2]):
        print(line)


if __name__ == "__main__":
    main()
