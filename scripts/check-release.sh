#!/usr/bin/env bash
# The release path, as CI proves it (called by scripts/test.sh; needs root):
#   1. the release binary, built once (scripts/build-release.sh, .build-release) and reused below; a
#      second clean build must give the same bytes, and no path of the checkout may be in it;
#   2. one version everywhere (scripts/check-version.sh with the binary), and the check fails on a
#      chart whose appVersion disagrees;
#   3. the image (scripts/check-image.sh: reproducible build, run from its own root filesystem against
#      `vigilante simulate`, pushed to a loopback registry);
#   4. the chart repository, signing and OCI chart (scripts/check-chart-release.sh);
#   5. the GitHub workflows (scripts/check-workflows.sh).
# Prints how long each step took.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.ci-tools/bin:$PATH"
timed() {
    local label=$1 start=$SECONDS
    shift
    echo "-- $label"
    "$@"
    echo "-- $label: $((SECONDS - start)) s"
}

timed "release binary (scripts/build-release.sh)" bash scripts/build-release.sh
binary=.build-release/dist/vigilante
echo "$("$binary" --version); stripped $(du -k "$binary" | cut -f1) KiB, gzip -9 $(gzip -9c "$binary" | wc -c | awk '{printf "%d", $1 / 1024}') KiB"

check_versions() {
    local version copy
    version=$(bash scripts/check-version.sh --binary "$binary")
    echo "ok   one version everywhere: $version"
    copy=$(mktemp -d)
    cp -r scripts charts Sources CHANGELOG.md Dockerfile "$copy/"
    sed -i 's/^appVersion: .*/appVersion: "0.0.0-disagree"/' "$copy/charts/cops-vigilante/Chart.yaml"
    if bash "$copy/scripts/check-version.sh" 2>/dev/null; then
        echo "FAIL scripts/check-version.sh accepted a chart whose appVersion disagrees"
        rm -rf "$copy"
        return 1
    fi
    echo "ok   scripts/check-version.sh fails when the chart's appVersion disagrees"
    rm -rf "$copy"
}
# No path of the build machine in the binary (scripts/build-release.sh maps the checkout's path away).
check_no_build_paths() {
    local found
    found=$(grep -c -a -F "$(pwd -P)" "$binary" || true)
    if [ "$found" != 0 ]; then
        echo "FAIL the binary contains the checkout's path $(pwd -P) in $found places"
        return 1
    fi
    echo "ok   the binary contains no path of the checkout ($(pwd -P))"
}
timed "no build paths" check_no_build_paths

# The same commit, built again from scratch at the same path, gives the same bytes.
check_reproducible_binary() {
    local first
    first=$(mktemp)
    cp "$binary" "$first"
    rm -rf .build-release
    if ! bash scripts/build-release.sh >/dev/null; then
        rm -f "$first"
        echo "FAIL the second clean release build failed"
        return 1
    fi
    if ! cmp -s "$first" "$binary"; then
        echo "FAIL two clean release builds differ in $(cmp -l "$first" "$binary" | wc -l) bytes, the first at" \
            "offset $(cmp "$first" "$binary" | awk '{print $5}' | tr -d ,)"
        rm -f "$first"
        return 1
    fi
    echo "ok   a second clean build is byte for byte the same: sha256 $(sha256sum "$binary" | cut -c1-64)"
    rm -f "$first"
}
timed "reproducible binary (a second clean build)" check_reproducible_binary
timed "versions" check_versions
timed "image (scripts/check-image.sh)" bash scripts/check-image.sh "$binary"
timed "chart repository and OCI chart (scripts/check-chart-release.sh)" bash scripts/check-chart-release.sh
timed "workflows (scripts/check-workflows.sh)" bash scripts/check-workflows.sh
