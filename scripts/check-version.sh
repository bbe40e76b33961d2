#!/usr/bin/env bash
# One version everywhere. The version is BuildInfo.version (Sources/vigilante/BuildInfo.swift); these
# must equal it, or this exits 1 naming each one that differs:
#   - the chart's `version` and `appVersion` (charts/cops-vigilante/Chart.yaml);
#   - the image tag the chart renders by default (image.tag empty means appVersion);
#   - the Dockerfile's `ARG VERSION` default (its version label);
#   - a `## [VERSION]` section in CHANGELOG.md;
#   - with --binary PATH: what `PATH --version` reports;
#   - with --image ARCHIVE: the org.opencontainers.image.version label and the ref name inside it;
#   - with --tag TAG (a release tag, e.g. v2.0.0): TAG without its leading v.
#
#   scripts/check-version.sh [--binary PATH] [--image ARCHIVE] [--tag TAG]
# Prints the version when everything agrees.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.ci-tools/bin:$PATH"
die() { echo "check-version.sh: $*" >&2; exit 1; }
binary=""
image=""
tag=""
while [ $# -gt 0 ]; do
    case $1 in
        --binary) binary=${2:?--binary needs a path}; shift 2 ;;
        --image) image=${2:?--image needs an archive}; shift 2 ;;
        --tag) tag=${2:?--tag needs a tag}; shift 2 ;;
        *) die "unknown argument $1 (usage: scripts/check-version.sh [--binary PATH] [--image ARCHIVE] [--tag TAG])" ;;
    esac
done
command -v helm >/dev/null || die "helm is missing: run scripts/install-tools.sh"

source_file=Sources/vigilante/BuildInfo.swift
version=$(sed -n 's/^ *static let version = "\(.*\)"$/\1/p' "$source_file")
[ -n "$version" ] || die "$source_file has no 'static let version = \"...\"' line"
[[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$ ]] || die "$source_file: version $version is not semver"

problems=()
disagree() { problems+=("$1 is $2, not $version"); }
chart=charts/cops-vigilante/Chart.yaml
chart_version=$(sed -n 's/^version: *"\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' "$chart")
app_version=$(sed -n 's/^appVersion: *"\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' "$chart")
[ "$chart_version" = "$version" ] || disagree "$chart version" "${chart_version:-missing}"
[ "$app_version" = "$version" ] || disagree "$chart appVersion" "${app_version:-missing}"
image_line=$(helm template cops-vigilante charts/cops-vigilante --show-only templates/deployment.yaml 2>/dev/null \
    | sed -n 's/^ *image: *"\{0,1\}\([^"]*\)"\{0,1\}$/\1/p')
[ "${image_line##*:}" = "$version" ] || disagree "the chart's default image ($image_line) tag" "${image_line##*:}"
docker_version=$(sed -n 's/^ARG VERSION=//p' Dockerfile)
[ "$docker_version" = "$version" ] || disagree "the Dockerfile's ARG VERSION default" "${docker_version:-missing}"
grep -q "^## \[$version\]" CHANGELOG.md 2>/dev/null || problems+=("CHANGELOG.md has no '## [$version]' section")
if [ -n "$binary" ]; then
    reported=$("$binary" --version 2>/dev/null) || die "$binary --version failed"
    [ "${reported%% *}" = "$version" ] || disagree "$binary --version" "${reported%% *}"
fi
if [ -n "$image" ]; then
    [ -f "$image" ] || die "image archive $image does not exist"
    read -r label ref < <(python3 - "$image" <<'PY'
import json, sys, tarfile
with tarfile.open(sys.argv[1]) as tar:
    index = json.load(tar.extractfile("index.json"))
    entry = index["manifests"][0]
    manifest = json.load(tar.extractfile("blobs/sha256/" + entry["digest"].split(":")[1]))
    config = json.load(tar.extractfile("blobs/sha256/" + manifest["config"]["digest"].split(":")[1]))
print(config["config"]["Labels"].get("org.opencontainers.image.version", "missing"),
      entry.get("annotations", {}).get("org.opencontainers.image.ref.name", "missing"))
PY
    )
    [ "$label" = "$version" ] || disagree "the image's org.opencontainers.image.version label" "$label"
    [ "$ref" = "$version" ] || disagree "the image's ref name (its tag)" "$ref"
fi
if [ -n "$tag" ]; then
    [ "${tag#v}" = "$version" ] || disagree "the release tag $tag" "${tag#v}"
fi
if [ ${#problems[@]} -gt 0 ]; then
    for problem in "${problems[@]}"; do echo "check-version.sh: $problem ($source_file)" >&2; done
    exit 1
fi
echo "$version"
