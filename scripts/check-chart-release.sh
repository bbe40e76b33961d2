#!/usr/bin/env bash
# Checks the chart release path with genuine helm, on loopback only:
#   - a throwaway GnuPG key (generated here, never kept); scripts/release-chart.sh run on a clean
#     checkout of HEAD (a temporary git worktree) into a repository folder that already holds an
#     earlier version (1.0.0), and to a local OCI registry (Debian's docker-registry);
#   - the folder served over HTTP: `helm repo add`, `helm search repo` (both versions listed),
#     `helm pull --verify` with the public key, `helm template` from the repository;
#   - `helm template oci://...` from the registry;
#   - a tampered package fails `helm verify`;
#   - the release script refuses a dirty tree, a disagreeing version, a release tag that differs, a
#     chart whose default image is not the published one, and a version that is already published.
#
#   scripts/check-chart-release.sh
# Installs gnupg and docker-registry with apt when missing. Prints `N passed, M failed` last.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD
export PATH="$root/.ci-tools/bin:$PATH"
die() { echo "check-chart-release.sh: $*" >&2; exit 1; }
command -v helm >/dev/null || die "helm is missing: run scripts/install-tools.sh"
missing=()
for pair in gpg:gnupg docker-registry:docker-registry curl:curl; do
    command -v "${pair%%:*}" >/dev/null || missing+=("${pair#*:}")
done
if [ ${#missing[@]} -gt 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
        || { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; } \
        || die "could not install ${missing[*]} with apt-get"
fi

passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok   $*"; }
bad() { failed=$((failed + 1)); echo "FAIL $*"; }
check() { local label=$1; shift; if "$@"; then ok "$label"; else bad "$label"; fi; }
# Passes when the command fails and its output contains $2.
refuses() {
    local label=$1 expected=$2 output; shift 2
    if output=$("$@" 2>&1); then
        bad "$label: it succeeded"
    elif grep -qF -- "$expected" <<<"$output"; then
        ok "$label ($(grep -F -- "$expected" <<<"$output" | head -n 1))"
    else
        bad "$label: the message lacks '$expected': $output"
    fi
}

work=$(mktemp -d)
pids=()
clone=$work/clone
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
    wait 2>/dev/null
    git -C "$root" worktree remove --force "$clone" >/dev/null 2>&1
    rm -rf "$work"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_for() {
    local deadline=$((SECONDS + $1)); shift
    until "$@" >/dev/null 2>&1; do
        [ $SECONDS -lt $deadline ] || return 1
        sleep 0.3
    done
}
# helm's own state in the scratch folder, so nothing of the user's is touched.
export HELM_CONFIG_HOME=$work/helm/config HELM_CACHE_HOME=$work/helm/cache HELM_DATA_HOME=$work/helm/data
export HELM_REGISTRY_CONFIG=$work/helm/registry.json HELM_REPOSITORY_CONFIG=$work/helm/repositories.yaml

# --- a throwaway signing key --------------------------------------------------------------------------
export GNUPGHOME=$work/gnupg
mkdir -m 0700 "$GNUPGHOME"
key="cops-vigilante CI <ci@cops-vigilante.invalid>"
gpg --batch --quiet --pinentry-mode loopback --passphrase '' \
    --quick-gen-key "$key" rsa3072 sign 1d 2>/dev/null || die "gpg could not generate a key"
gpg --batch --quiet --export-secret-keys "$key" >"$work/secring.gpg" || die "gpg could not export the key"
gpg --batch --quiet --export "$key" >"$work/pubring.gpg" || die "gpg could not export the public key"

# --- the release, from a clean checkout of HEAD --------------------------------------------------------
git worktree add --quiet --detach "$clone" HEAD || die "git worktree add failed"
mkdir -p "$clone/.ci-tools"
ln -s "$root/.ci-tools/bin" "$clone/.ci-tools/bin" # git-ignored: the tree stays clean
version=$(bash scripts/check-version.sh) || die "the versions disagree in this tree"
pages=$work/pages
mkdir -p "$pages"
# An earlier release already in the repository, as on the gh-pages branch.
helm package "$clone/charts/cops-vigilante" --version 1.0.0 --app-version 1.0.0 --destination "$pages" >/dev/null
http_port=$(free_port)
url=http://127.0.0.1:$http_port
helm repo index "$pages" --url "$url"
registry_port=$(free_port)
cat >"$work/registry.yml" <<EOF
version: 0.1
storage:
  filesystem:
    rootdirectory: $work/registry
http:
  addr: 127.0.0.1:$registry_port
EOF
docker-registry serve "$work/registry.yml" >"$work/registry.log" 2>&1 &
pids+=($!)
wait_for 30 curl -fsS "http://127.0.0.1:$registry_port/v2/" || die "docker-registry did not start"
oci=oci://127.0.0.1:$registry_port/charts

image_repository=$(helm show values charts/cops-vigilante | python3 -c 'import sys, yaml; print(yaml.safe_load(sys.stdin)["image"]["repository"])')
release=(bash "$clone/scripts/release-chart.sh" --repo-dir "$pages" --url "$url" --key "$key"
    --keyring "$work/secring.gpg" --oci "$oci" --plain-http)
refuses "the release script refuses a chart whose default image is not where the image is published" \
    "not ghcr.io/someone-else/cops-vigilante:$version" "${release[@]}" --image-repository ghcr.io/someone-else/cops-vigilante
refuses "the release script refuses a release tag that differs" "the release tag v0.0.1" \
    "${release[@]}" --tag v0.0.1
echo "# local edit" >>"$clone/charts/cops-vigilante/values.yaml"
refuses "the release script refuses a dirty tree" "uncommitted changes" "${release[@]}"
git -C "$clone" checkout --quiet -- charts/cops-vigilante/values.yaml
sed -i "s/^appVersion: .*/appVersion: \"9.9.9\"/" "$clone/charts/cops-vigilante/Chart.yaml"
git -C "$clone" -c user.name=ci -c user.email=ci@invalid commit --quiet -am "disagreeing appVersion"
refuses "the release script refuses a disagreeing appVersion" "appVersion is 9.9.9, not $version" "${release[@]}"
git -C "$clone" checkout --quiet --detach "$(git rev-parse HEAD)"
check "scripts/release-chart.sh packages, signs, indexes and pushes $version" "${release[@]}" --tag "v$version" \
    --image-repository "$image_repository"
refuses "the release script refuses a version already published" "already in" "${release[@]}"

# --- the repository as users see it --------------------------------------------------------------------
(cd "$pages" && exec python3 -m http.server --bind 127.0.0.1 "$http_port") >"$work/http.log" 2>&1 &
pids+=($!)
wait_for 30 curl -fsS "$url/index.yaml" || die "the HTTP server did not start"
check "helm repo add" helm repo add vigilante-test "$url"
search=$(helm search repo vigilante-test/cops-vigilante --versions 2>&1)
check "helm search repo lists $version and the earlier 1.0.0" \
    sh -c "grep -q 'cops-vigilante.*$version' <<'EOF'
$search
EOF
grep -q 'cops-vigilante.*1.0.0' <<'EOF'
$search
EOF"
mkdir -p "$work/pulled"
check "helm pull --verify (provenance and the public key)" \
    helm pull vigilante-test/cops-vigilante --version "$version" --verify --keyring "$work/pubring.gpg" -d "$work/pulled"
rendered=$(helm template cops-vigilante vigilante-test/cops-vigilante --version "$version" --namespace vigilante 2>&1)
check "helm template from the repository renders the Deployment with image tag $version" \
    grep -q "image: \".*:$version\"" <<<"$rendered"
oci_rendered=$(helm template cops-vigilante "$oci/cops-vigilante" --version "$version" --plain-http 2>&1)
check "helm template oci:// from the local registry renders the Deployment" \
    grep -q "image: \".*:$version\"" <<<"$oci_rendered"

# --- tampering --------------------------------------------------------------------------------------------
mkdir -p "$work/tamper"
tar -xzf "$pages/cops-vigilante-$version.tgz" -C "$work/tamper"
sed -i 's/runAsUser: 65532/runAsUser: 0/' "$work/tamper/cops-vigilante/values.yaml"
tar -czf "$work/tampered.tgz" -C "$work/tamper" cops-vigilante
cp "$work/tampered.tgz" "$work/tamper/cops-vigilante-$version.tgz"
cp "$pages/cops-vigilante-$version.tgz.prov" "$work/tamper/"
check "helm verify accepts the published package" \
    helm verify "$pages/cops-vigilante-$version.tgz" --keyring "$work/pubring.gpg"
refuses "helm verify rejects a tampered package" "sha256 sum does not match" \
    helm verify "$work/tamper/cops-vigilante-$version.tgz" --keyring "$work/pubring.gpg"

echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
