#!/usr/bin/env bash
# Monitoring, checked with the real tools (issue 15):
#   1. the chart's PrometheusRule: `promtool check rules` and the unit tests of every alert
#      (charts/cops-vigilante/tests/alerts/alerts-test.yaml, `promtool test rules`);
#   2. the chart's Grafana dashboard ConfigMap: labelled for the sidecar, holding files/grafana-dashboard.json;
#   3. `vigilante demo`: it prints the status page's address, and `promtool check metrics` accepts /metrics;
#   4. a real Prometheus scraping the demo with the rules loaded: every dashboard query and alert
#      expression evaluates, the main panels return data, no alert fires on the healthy demo;
#   5. the status page in a real headless Chromium (scripts/check-status-page.py), screenshots kept in
#      .artifacts/monitoring/ (git-ignored).
# Installs Debian's prometheus and chromium when missing. usage: check-monitoring.sh [VIGILANTE_BINARY]
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.ci-tools/bin:$PATH"
vigilante=${1:-.build/debug/vigilante}
chart=charts/cops-vigilante
artefacts=$PWD/.artifacts/monitoring

packages=()
command -v promtool >/dev/null && command -v prometheus >/dev/null || packages+=(prometheus)
command -v chromium >/dev/null || packages+=(chromium)
python3 -c 'import yaml' 2>/dev/null || packages+=(python3-yaml)
if [ "${#packages[@]}" -gt 0 ]; then
    echo "installing Debian's ${packages[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y --no-install-recommends "${packages[@]}" >/dev/null 2>&1 \
        || { apt-get update >/dev/null && apt-get install -y --no-install-recommends "${packages[@]}" >/dev/null; } \
        || { echo "error: cannot install Debian's ${packages[*]} (apt-get failed)" >&2; exit 1; }
fi
command -v helm >/dev/null || { echo "error: helm is missing; run scripts/install-tools.sh" >&2; exit 1; }
[ -x "$vigilante" ] || { echo "error: no vigilante binary at $vigilante (swift build first)" >&2; exit 1; }
echo "$(promtool --version 2>&1 | head -1); $(chromium --version 2>/dev/null | head -1)"

work=$(mktemp -d)
demo_pid=""
prometheus_pid=""
cleanup() {
    [ -n "$prometheus_pid" ] && kill "$prometheus_pid" 2>/dev/null && wait "$prometheus_pid" 2>/dev/null
    [ -n "$demo_pid" ] && kill -INT "$demo_pid" 2>/dev/null && wait "$demo_pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
rm -rf "$artefacts"
mkdir -p "$artefacts"
failed=0
pass() { echo "ok   $1"; }
fail() {
    failed=$((failed + 1))
    echo "FAIL $1"
    [ -n "${2:-}" ] && [ -s "$2" ] && sed 's/^/     | /' "$2" | head -60
    return 0
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_for() { # URL SECONDS
    local deadline=$((SECONDS + $2))
    until curl -fsS -o /dev/null "$1" 2>/dev/null; do
        [ "$SECONDS" -ge "$deadline" ] && return 1
        sleep 0.5
    done
}

# --- 1. alerts ------------------------------------------------------------------------------------------
helm template cops-vigilante "$chart" -n cops-vigilante --set create_prometheus_rules=true \
    --show-only templates/prometheusrule.yaml >"$work/prometheusrule.yaml"
python3 - "$work/prometheusrule.yaml" "$work/rules.yaml" <<'PY'
import sys, yaml
rule = yaml.safe_load(open(sys.argv[1]))
assert rule["kind"] == "PrometheusRule", rule["kind"]
yaml.safe_dump(rule["spec"], open(sys.argv[2], "w"), sort_keys=False)
PY
if promtool check rules "$work/rules.yaml" >"$work/check-rules.log" 2>&1; then
    pass "promtool check rules: $(grep -o '[0-9]* rules found' "$work/check-rules.log")"
else
    fail "promtool check rules" "$work/check-rules.log"
fi
cp "$chart/tests/alerts/alerts-test.yaml" "$work/"
if (cd "$work" && promtool test rules alerts-test.yaml) >"$work/test-rules.log" 2>&1; then
    pass "promtool test rules: $(grep -c '^  - name:' "$chart/tests/alerts/alerts-test.yaml") scenarios, every alert fires with its labels and annotations and stays silent when healthy"
else
    fail "promtool test rules" "$work/test-rules.log"
fi
python3 - "$work/rules.yaml" docs/operations.md <<'PY' >"$work/runbooks.log" 2>&1 && pass "every alert has a runbook section in docs/operations.md" || fail "runbook sections" "$work/runbooks.log"
import re, sys, yaml
alerts = [r for g in yaml.safe_load(open(sys.argv[1]))["groups"] for r in g["rules"]]
headings = {re.sub(r"[^a-z0-9 -]", "", l.lstrip("#").strip().lower()).replace(" ", "-")
            for l in open(sys.argv[2]) if l.startswith("#")}
missing = [a["alert"] for a in alerts
           if a["annotations"].get("runbook", "").split("#")[-1] not in headings
           or not a["annotations"].get("summary") or not a["annotations"].get("description")]
print("missing or incomplete:", missing)
sys.exit(1 if missing else 0)
PY

# --- 2. dashboard ---------------------------------------------------------------------------------------
helm template cops-vigilante "$chart" -n cops-vigilante --set create_grafana_dashboard=true \
    --show-only templates/grafana-dashboard.yaml >"$work/dashboard-configmap.yaml"
if python3 - "$work/dashboard-configmap.yaml" "$chart/files/grafana-dashboard.json" >"$work/dashboard.log" 2>&1 <<'PY'
import json, sys, yaml
cm = yaml.safe_load(open(sys.argv[1]))
assert cm["kind"] == "ConfigMap" and cm["metadata"]["labels"].get("grafana_dashboard") == "1", cm["metadata"]
assert json.loads(cm["data"]["cops-vigilante.json"]) == json.load(open(sys.argv[2])), "the ConfigMap's JSON differs"
PY
then
    pass "the dashboard ConfigMap carries the sidecar label and files/grafana-dashboard.json"
else
    fail "the dashboard ConfigMap" "$work/dashboard.log"
fi

# --- 3. the demo, its page address, its /metrics ---------------------------------------------------------
port=$(free_port)
"$vigilante" demo --http-port "$port" --healing-window 40s >"$work/demo.log" 2>&1 &
demo_pid=$!
if ! wait_for "http://127.0.0.1:$port/readyz" 120; then
    fail "vigilante demo answers /readyz" "$work/demo.log"
    exit 1
fi
if grep -q "http://localhost:$port/" "$work/demo.log"; then
    pass "vigilante demo prints the status page's address"
else
    fail "vigilante demo prints the status page's address" "$work/demo.log"
fi
curl -fsS "http://127.0.0.1:$port/metrics" >"$work/metrics.txt"
promtool check metrics <"$work/metrics.txt" >"$work/check-metrics.log" 2>&1 || true
# The original release's two counter names (kept for its users' dashboards) lack `_total`; nothing else may fail.
grep -vE '^cops_vigilante_snat_(node_healing_attempts|number_of_not_ready_nodes_found) counter metrics should have "_total" suffix$' \
    "$work/check-metrics.log" >"$work/check-metrics.problems" || true
if [ ! -s "$work/check-metrics.problems" ] && grep -q '^# HELP vigilante_task_runs_total ' "$work/metrics.txt"; then
    pass "promtool check metrics: $(grep -c '^# TYPE' "$work/metrics.txt") metrics with help and type ($(wc -l <"$work/check-metrics.log") known legacy-name notes)"
else
    fail "promtool check metrics" "$work/check-metrics.problems"
fi

# --- 4. a real Prometheus scraping the demo -------------------------------------------------------------
prom_port=$(free_port)
cat >"$work/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
  - $work/rules.yaml
scrape_configs:
  - job_name: cops-vigilante
    static_configs:
      - targets: ["127.0.0.1:$port"]
        labels:
          namespace: cops-vigilante
EOF
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/tsdb" \
    --web.listen-address="127.0.0.1:$prom_port" >"$work/prometheus.log" 2>&1 &
prometheus_pid=$!
if wait_for "http://127.0.0.1:$prom_port/-/ready" 60; then
    pass "prometheus scrapes the demo"
else
    fail "prometheus starts" "$work/prometheus.log"
fi

# --- 5. the status page in Chromium (while Prometheus collects) ---------------------------------------------
if python3 scripts/check-status-page.py "http://127.0.0.1:$port/" "$artefacts" >"$work/page.log" 2>&1; then
    grep '^ok' "$work/page.log"
    pass "status page in headless Chromium (screenshots in .artifacts/monitoring/)"
else
    fail "status page in headless Chromium" "$work/page.log"
fi

# At least a minute of one-second scrapes, so that the one-minute rate windows have samples.
scrapes() {
    curl -fsS "http://127.0.0.1:$prom_port/api/v1/query?query=count_over_time(up%5B2m%5D)" 2>/dev/null \
        | python3 -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(int(float(r[0]["value"][1])) if r else 0)' \
        2>/dev/null || echo 0
}
deadline=$((SECONDS + 180))
while [ "$(scrapes)" -lt 65 ] && [ "$SECONDS" -lt "$deadline" ]; do
    sleep 2
done
if python3 scripts/check-monitoring-queries.py "http://127.0.0.1:$prom_port" "$chart/files/grafana-dashboard.json" \
    "$work/rules.yaml" >"$work/queries.log" 2>&1; then
    pass "every dashboard query and alert expression evaluates against Prometheus; the main panels have data; no alert fires ($(grep -c '^ok' "$work/queries.log") checks)"
else
    grep '^FAIL' "$work/queries.log" >"$work/queries.failures" || cp "$work/queries.log" "$work/queries.failures"
    fail "dashboard queries and alert expressions against Prometheus" "$work/queries.failures"
fi
cp "$work/metrics.txt" "$work/page.log" "$work/queries.log" "$artefacts/" 2>/dev/null || true

if [ "$failed" -gt 0 ]; then
    echo "monitoring: $failed check(s) failed"
    exit 1
fi
echo "monitoring: all checks passed"
