#!/usr/bin/env bash
# Measures the ClusterSimulator's fidelity to a real kube-apiserver v1.28: starts a fresh
# `vigilante simulate` on a free port and replays the recorded exchanges of
# ../shared/fixtures/kube-api-v1.28 against it with ../shared/tools/replay-fixtures.py.
# Fails when any case fails. Cases the simulator deliberately does not model are listed in
# scripts/fidelity-skip.txt (reasons in docs/simulator.md).
#
# usage: scripts/check-simulator-fidelity.sh [path/to/vigilante] [extra replay-fixtures.py options]
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
binary="${1:-.build/debug/vigilante}"
shift || true
replay="$root/../shared/tools/replay-fixtures.py"
skip_file="$root/scripts/fidelity-skip.txt"

if [[ ! -f "$replay" ]]; then
    echo "check-simulator-fidelity: $replay not found (the shared folder must be next to the repository)" >&2
    exit 2
fi
if [[ ! -x "$binary" ]]; then
    echo "check-simulator-fidelity: building $binary" >&2
    swift build --product vigilante >&2
fi

work="$(mktemp -d)"
simulator_pid=""
cleanup() {
    if [[ -n "$simulator_pid" ]]; then
        kill "$simulator_pid" 2>/dev/null || true
        wait "$simulator_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
token="fidelity-$(python3 -c 'import secrets; print(secrets.token_hex(8))')"
"$binary" simulate --port "$port" --admin-token "$token" --kubeconfig-out "$work/kubeconfig" \
    --ca-out "$work/ca.crt" >"$work/simulator.log" 2>&1 &
simulator_pid=$!

# Wait (generously: CI machines are slow) until the simulator answers.
for _ in $(seq 1 300); do
    if [[ -s "$work/ca.crt" ]] && python3 - "$port" "$work/ca.crt" <<'PY' 2>/dev/null; then
import socket, ssl, sys
context = ssl.create_default_context(cafile=sys.argv[2])
with socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=2) as raw:
    with context.wrap_socket(raw, server_hostname="127.0.0.1"):
        pass
PY
        break
    fi
    if ! kill -0 "$simulator_pid" 2>/dev/null; then
        echo "check-simulator-fidelity: vigilante simulate exited early:" >&2
        cat "$work/simulator.log" >&2
        exit 2
    fi
    sleep 0.2
done

skip_args=()
if [[ -f "$skip_file" ]]; then
    entries="$(sed -e 's/#.*//' -e 's/[[:space:]]//g' "$skip_file" | grep -v '^$' | paste -sd '|' - || true)"
    if [[ -n "$entries" ]]; then
        skip_args=(--skip "^($entries)")
    fi
fi

# Watches may stay open up to 15 s (the tool's default cap is 4 s): on a loaded 2-core machine the
# simulated kubelet's pod transitions behind the recorded watch events can take longer than 4 s.
python3 "$replay" --server "https://127.0.0.1:$port" --token "$token" --cacert "$work/ca.crt" \
    --sa-token auto --watch-timeout 15 "${skip_args[@]}" "$@"
