#!/usr/bin/env bash
# Checks docs/openapi.yaml against the real status server:
#   1. openapi-spec-validator: the document is valid OpenAPI;
#   2. schemathesis: a bounded property-based run against a server started here (the Swift test
#      StatusServerFuzzTarget, with a fake status provider) finds no 5xx, no undocumented status or
#      content type, and no body that breaks its schema.
# Installs both tools from PyPI when missing. Stops by itself: every wait has a deadline, and the
# server is stopped on exit. Runs from any folder; exits non-zero on the first failure.
#
# Environment: SWIFT_SCRATCH_PATH (default .build) is the build folder `swift test` uses;
# FUZZ_MAX_EXAMPLES (default 40) bounds the cases per operation; FUZZ_SEED makes a run reproducible.
set -euo pipefail
cd "$(dirname "$0")/.."

scratch="${SWIFT_SCRATCH_PATH:-.build}"
max_examples="${FUZZ_MAX_EXAMPLES:-40}"

python3 -m openapi_spec_validator --help >/dev/null 2>&1 ||
    python3 -m pip install --quiet --disable-pip-version-check "openapi-spec-validator>=0.7,<1"
python3 -m schemathesis.cli --version >/dev/null 2>&1 ||
    python3 -m pip install --quiet --disable-pip-version-check "schemathesis>=4.0,<5"

echo "== openapi-spec-validator docs/openapi.yaml"
python3 -m openapi_spec_validator docs/openapi.yaml

work="$(mktemp -d)"
server_pid=""
cleanup() {
    touch "$work/stop"
    if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
        # Give the server a few seconds to notice the stop file, then end its process group.
        for _ in $(seq 1 50); do
            kill -0 "$server_pid" 2>/dev/null || break
            sleep 0.2
        done
        kill -- "-$server_pid" 2>/dev/null || kill "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

echo "== starting the status server (swift test --filter StatusServerFuzzTarget)"
# A process group of its own, so that cleanup ends swift test and the test runner together.
set -m
VIGILANTE_STATUS_FUZZ_DIR="$work" swift test --scratch-path "$scratch" --filter StatusServerFuzzTarget \
    >"$work/server.log" 2>&1 &
server_pid=$!
set +m

# The first run may have to build the tests: allow 15 minutes for the port to appear.
for _ in $(seq 1 4500); do
    [ -s "$work/port" ] && break
    if ! kill -0 "$server_pid" 2>/dev/null; then
        echo "the status server exited before serving:" >&2
        tail -50 "$work/server.log" >&2
        exit 1
    fi
    sleep 0.2
done
if [ ! -s "$work/port" ]; then
    echo "the status server did not start within 15 minutes" >&2
    tail -50 "$work/server.log" >&2
    exit 1
fi
port="$(tr -d '[:space:]' <"$work/port")"
echo "   serving on 127.0.0.1:$port"

echo "== schemathesis (at most $max_examples cases per operation)"
seed_args=()
if [ -n "${FUZZ_SEED:-}" ]; then seed_args=(--seed "$FUZZ_SEED"); fi
timeout --kill-after=10 600 python3 -m schemathesis.cli run docs/openapi.yaml \
    --url "http://127.0.0.1:$port" \
    --checks all \
    --phases examples,coverage,fuzzing \
    --max-examples "$max_examples" \
    --generation-database none \
    --request-timeout 10 \
    --workers 1 \
    --no-color \
    "${seed_args[@]}"
echo "== OpenAPI checks passed"
