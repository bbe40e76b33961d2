#!/usr/bin/env bash
# Pushes an image archive of scripts/build-image.sh to a registry with skopeo, digests preserved (the
# registry serves the manifest built here, byte for byte), tagged with the version inside the archive.
#
#   scripts/publish-image.sh ARCHIVE REPOSITORY      e.g. ghcr.io/OWNER/cops-vigilante
#
# Credentials: skopeo's usual ones (e.g. `skopeo login ghcr.io`, or REGISTRY_AUTH_FILE). The release
# workflow runs this against ghcr.io; scripts/check-image.sh runs it against a registry on loopback
# (VIGILANTE_REGISTRY_TLS_VERIFY=false: plain HTTP). Prints REPOSITORY@DIGEST.
set -euo pipefail
die() { echo "publish-image.sh: $*" >&2; exit 1; }
[ $# -eq 2 ] || die "usage: scripts/publish-image.sh ARCHIVE REPOSITORY"
archive=$1
repository=${2#docker://}
[ -f "$archive" ] || die "image archive $archive does not exist"
[ -f "${archive%.oci.tar}.digest" ] || die "${archive%.oci.tar}.digest is missing (build with scripts/build-image.sh)"
command -v skopeo >/dev/null || die "skopeo is missing (apt-get install skopeo)"
digest=$(cat "${archive%.oci.tar}.digest")
version=$(tar -xOf "$archive" index.json \
    | python3 -c 'import json, sys; print(json.load(sys.stdin)["manifests"][0]["annotations"]["org.opencontainers.image.ref.name"])') \
    || die "$archive has no version in its index.json"
tls=${VIGILANTE_REGISTRY_TLS_VERIFY:-true}
skopeo copy --quiet --preserve-digests --dest-tls-verify="$tls" \
    "oci-archive:$archive:$version" "docker://$repository:$version" >&2 \
    || die "skopeo could not push $archive to $repository:$version"
remote=$(skopeo inspect --tls-verify="$tls" --format '{{.Digest}}' "docker://$repository:$version") \
    || die "skopeo could not read $repository:$version back"
[ "$remote" = "$digest" ] || die "$repository:$version has digest $remote, not the built $digest"
echo "$repository@$digest"
