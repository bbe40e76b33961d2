#!/usr/bin/env bash
# Publishes the chart of the current commit: a signed package in a Helm repository folder (GitHub
# Pages) and, optionally, an OCI artifact.
#   1. refuses a tree with uncommitted changes, a version that disagrees anywhere
#      (scripts/check-version.sh, with --tag when given), and a chart whose default image is not
#      --image-repository (where the release publishes the image);
#   2. `helm package --sign` (GnuPG key --key from the secret keyring --keyring) into REPO_DIR, then
#      `helm verify` of the result;
#   3. `helm repo index REPO_DIR --url URL --merge REPO_DIR/index.yaml`: the earlier versions in the
#      folder's index.yaml stay listed (a version already in it is refused: releases are immutable);
#   4. with --oci oci://REGISTRY/PATH: `helm push` of the package (with its provenance).
#
#   scripts/release-chart.sh --repo-dir DIR --url URL --key NAME --keyring SECRING
#       [--image-repository REPO] [--oci URL] [--tag TAG] [--passphrase-file FILE] [--plain-http]
#
# The release workflow runs it on a checkout of the gh-pages branch; scripts/check-release.sh runs it
# against folders and a registry on loopback, with a throwaway key.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.ci-tools/bin:$PATH"
die() { echo "release-chart.sh: $*" >&2; exit 1; }
usage="usage: scripts/release-chart.sh --repo-dir DIR --url URL --key NAME --keyring SECRING [--image-repository REPO] [--oci URL] [--tag TAG] [--passphrase-file FILE] [--plain-http]"
repo_dir=""
url=""
key=""
keyring=""
oci=""
tag=""
image_repository=""
passphrase=()
plain_http=()
while [ $# -gt 0 ]; do
    case $1 in
        --repo-dir) repo_dir=${2:?$usage}; shift 2 ;;
        --url) url=${2:?$usage}; shift 2 ;;
        --key) key=${2:?$usage}; shift 2 ;;
        --keyring) keyring=${2:?$usage}; shift 2 ;;
        --oci) oci=${2:?$usage}; shift 2 ;;
        --image-repository) image_repository=${2:?$usage}; shift 2 ;;
        --tag) tag=${2:?$usage}; shift 2 ;;
        --passphrase-file) passphrase=(--passphrase-file "${2:?$usage}"); shift 2 ;;
        --plain-http) plain_http=(--plain-http); shift ;;
        *) die "unknown argument $1 ($usage)" ;;
    esac
done
[ -n "$repo_dir" ] && [ -n "$url" ] && [ -n "$key" ] && [ -n "$keyring" ] || die "$usage"
[ -d "$repo_dir" ] || die "repository folder $repo_dir does not exist"
[ -f "$keyring" ] || die "secret keyring $keyring does not exist"
case $oci in "" | oci://*) ;; *) die "--oci must start with oci:// (got $oci)" ;; esac
command -v helm >/dev/null || die "helm is missing: run scripts/install-tools.sh"
command -v git >/dev/null || die "git is missing"

dirty=$(git status --porcelain 2>/dev/null) || die "not a git checkout"
[ -z "$dirty" ] || die "the working tree has uncommitted changes; commit or stash them first:
$dirty"
tag_args=()
[ -z "$tag" ] || tag_args=(--tag "$tag")
version=$(bash scripts/check-version.sh "${tag_args[@]}") || die "the versions disagree (above); nothing was published"
if [ -n "$image_repository" ]; then
    default_image=$(helm template cops-vigilante charts/cops-vigilante --show-only templates/deployment.yaml \
        | sed -n 's/^ *image: *"\{0,1\}\([^"]*\)"\{0,1\}$/\1/p')
    [ "$default_image" = "$image_repository:$version" ] \
        || die "the chart's default image is $default_image, not $image_repository:$version (image.repository in charts/cops-vigilante/values.yaml)"
fi

package=$repo_dir/cops-vigilante-$version.tgz
if [ -f "$repo_dir/index.yaml" ] && python3 - "$repo_dir/index.yaml" "$version" <<'PY'
import sys, yaml
index = yaml.safe_load(open(sys.argv[1])) or {}
sys.exit(0 if any(e.get("version") == sys.argv[2] for e in (index.get("entries") or {}).get("cops-vigilante", [])) else 1)
PY
then
    die "cops-vigilante $version is already in $repo_dir/index.yaml: a released version is never replaced"
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
helm package charts/cops-vigilante --destination "$work" --sign --key "$key" --keyring "$keyring" \
    "${passphrase[@]}" >/dev/null || die "helm package --sign failed"
helm verify "$work/cops-vigilante-$version.tgz" --keyring "$keyring" >/dev/null \
    || die "helm verify failed on the freshly signed package"
cp "$work/cops-vigilante-$version.tgz" "$work/cops-vigilante-$version.tgz.prov" "$repo_dir/"
merge=()
[ -f "$repo_dir/index.yaml" ] && merge=(--merge "$repo_dir/index.yaml")
helm repo index "$repo_dir" --url "$url" "${merge[@]}" || die "helm repo index failed"
echo "chart: $package (signed, verified), indexed in $repo_dir/index.yaml for $url"
if [ -n "$oci" ]; then
    helm push "$package" "$oci" "${plain_http[@]}" || die "helm push to $oci failed"
    echo "chart: pushed to $oci/cops-vigilante:$version"
fi
