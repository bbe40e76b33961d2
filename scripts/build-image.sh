#!/usr/bin/env bash
# Builds the operator's OCI image for linux/amd64 without a container engine:
#   1. the release binary (scripts/build-release.sh: static Swift runtime, stripped, stamped), unless
#      --binary names one already built;
#   2. the distroless-style root filesystem from Debian bookworm packages (scripts/build-rootfs.sh);
#   3. a reproducible OCI archive of the two (scripts/oci-image.py): entries sorted, owned by root (the
#      store folder by 65532), every timestamp the commit's, gzip without name or time, so two builds of
#      a commit give the same digest; User 65532:65532, Entrypoint `vigilante run`, the
#      org.opencontainers.image.* labels;
#   4. an SPDX 2.3 JSON SBOM beside it (Debian packages and Swift packages, with versions).
#
#   scripts/build-image.sh [--binary PATH] [--output DIR] [--source URL]
#
# Writes DIR/cops-vigilante-VERSION.oci.tar (ref name VERSION inside), .digest (sha256:... of the manifest)
# and .spdx.json; DIR defaults to .build-release/dist. VERSION is what the binary's --version reports.
set -euo pipefail
cd "$(dirname "$0")/.."
die() { echo "build-image.sh: $*" >&2; exit 1; }
binary=""
output=.build-release/dist
source_url=${VIGILANTE_SOURCE_URL:-https://github.com/${GITHUB_REPOSITORY:-cops-vigilante/cops-vigilante}}
while [ $# -gt 0 ]; do
    case $1 in
        --binary) binary=${2:?--binary needs a path}; shift 2 ;;
        --output) output=${2:?--output needs a folder}; shift 2 ;;
        --source) source_url=${2:?--source needs a URL}; shift 2 ;;
        *) die "unknown argument $1 (usage: scripts/build-image.sh [--binary PATH] [--output DIR] [--source URL])" ;;
    esac
done
command -v python3 >/dev/null || die "python3 is missing"
[ -f Package.resolved ] || die "Package.resolved is missing: run swift package resolve (the SBOM lists its pins)"

if [ -z "$binary" ]; then
    binary=$(bash scripts/build-release.sh) || die "the release build failed"
fi
[ -x "$binary" ] || die "binary $binary does not exist or is not executable"
# The version, commit and date come from the binary itself, so the labels cannot disagree with it.
version_line=$("$binary" --version) || die "$binary --version failed"
version=${version_line%% *}
revision=$(sed -n 's/.*(commit \([^,]*\), built .*/\1/p' <<<"$version_line")
created=$(sed -n 's/.*, built \(.*\))$/\1/p' <<<"$version_line")
[ -n "$revision" ] && [ "$revision" != unknown ] || die "$binary carries no commit stamp: build it with scripts/build-release.sh"
epoch=$(date -u -d "$created" +%s) || die "$binary has a bad build date: $created"

mkdir -p "$output"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
bash scripts/build-rootfs.sh "$binary" "$work" >&2
base="$output/cops-vigilante-$version"
digest=$(python3 scripts/oci-image.py --rootfs "$work" --binary "$binary" --epoch "$epoch" \
    --name cops-vigilante --version "$version" --revision "$revision" --source "$source_url" \
    --license Apache-2.0 --resolved Package.resolved --archive "$base.oci.tar" --sbom "$base.spdx.json")
echo "$digest" >"$base.digest"
echo "image: $base.oci.tar ($(du -k "$base.oci.tar" | cut -f1) KiB) $digest" >&2
echo "$base.oci.tar"
