#!/usr/bin/env bash
# The whole test suite: tools, formatting, build, every Swift test, and the simulator's fidelity to the
# recorded kube-apiserver exchanges. Runs from any folder; exits non-zero on the first failure.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-tools.sh
export PATH="$PWD/.ci-tools/bin:$PATH"

echo "== swift format lint"
swift format lint --strict --recursive Package.swift Sources Tests

echo "== build"
swift build --build-tests

echo "== swift test"
swift test --skip-build

echo "== simulator fidelity (replay-fixtures.py against vigilante simulate)"
bash scripts/check-simulator-fidelity.sh .build/debug/vigilante

echo "== OpenAPI document and schemathesis against the status server"
bash scripts/check-openapi.sh

echo "== Helm chart"
bash scripts/check-chart.sh

echo "== RBAC truth: the chart grants exactly what the end-to-end run used"
bash scripts/check-rbac-coverage.sh

echo "== monitoring: alert unit tests (promtool), dashboard and alerts against a real Prometheus, status page in Chromium"
bash scripts/check-monitoring.sh .build/debug/vigilante

echo "== release: the image run from its own root filesystem, registry, chart repository, versions, workflows"
bash scripts/check-release.sh
