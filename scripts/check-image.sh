#!/usr/bin/env bash
# Checks the operator image the way a cluster would use it, without a container engine (root needed):
#   - scripts/build-image.sh twice from the same binary: the same archive bytes and manifest digest;
#   - the image read by other tools: skopeo inspects it, umoci unpacks it; its config (user, entrypoint,
#     ports, volume, labels) equals the Dockerfile's final stage, its version label equals the binary's;
#   - its root filesystem holds no shell, package manager or program besides vigilante;
#   - the binary runs FROM THE IMAGE'S ROOT FILESYSTEM (unshare + chroot), with the config's user, env
#     and entrypoint, as PID 1 of its own PID namespace, root filesystem read-only, only the store
#     folder (and /tmp) writable, the configuration mounted from the chart's rendered ConfigMap, and
#     the in-cluster credentials as a pod gets them (token, ca.crt and namespace under
#     /var/run/secrets/kubernetes.io/serviceaccount, KUBERNETES_SERVICE_HOST/PORT) pointing at
#     `vigilante simulate`: it heals a Windows node, answers /readyz, and stops on SIGTERM with status 0;
#   - scripts/publish-image.sh pushes it to a registry on loopback (Debian's docker-registry) with
#     skopeo, and the registry serves back the same digest.
#
#   scripts/check-image.sh BINARY     (BINARY from scripts/build-release.sh)
#
# Installs umoci, skopeo and docker-registry with apt when missing. Leaves the image in
# .build-release/dist. Prints `N passed, M failed` last.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD
export PATH="$root/.ci-tools/bin:$PATH"
die() { echo "check-image.sh: $*" >&2; exit 1; }
[ $# -eq 1 ] || die "usage: scripts/check-image.sh BINARY"
binary=$(realpath "$1")
[ -x "$binary" ] || die "$1 is not an executable"
[ "$(id -u)" = 0 ] || die "must run as root (unshare, chroot, mounts)"
missing=()
for pair in umoci:umoci skopeo:skopeo docker-registry:docker-registry curl:curl; do
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

work=$(mktemp -d)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
    wait 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
chmod 0755 "$work"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# Waits up to $1 seconds for the command to succeed.
wait_for() {
    local deadline=$((SECONDS + $1)); shift
    until "$@" >/dev/null 2>&1; do
        [ $SECONDS -lt $deadline ] || return 1
        sleep 0.5
    done
}

# --- reproducible build ------------------------------------------------------------------------------
start=$SECONDS
archive=$(bash scripts/build-image.sh --binary "$binary" --output .build-release/dist) || die "build-image.sh failed"
echo "build-image.sh took $((SECONDS - start)) s"
digest=$(cat "${archive%.oci.tar}.digest")
sbom=${archive%.oci.tar}.spdx.json
again=$(bash scripts/build-image.sh --binary "$binary" --output "$work/again" 2>/dev/null) || die "second build failed"
check "two builds give the same digest ($digest)" [ "$(cat "${again%.oci.tar}.digest")" = "$digest" ]
check "two builds give the same archive bytes" cmp -s "$archive" "$again"
rm -rf "$work/again"
version_line=$("$binary" --version)
version=${version_line%% *}
ref="oci-archive:$archive:$version"

# --- the image as other tools read it -----------------------------------------------------------------
inspect=$(skopeo inspect "$ref" 2>&1)
check "skopeo inspects the archive, digest $digest" grep -q "\"Digest\": \"$digest\"" <<<"$inspect"
skopeo inspect --config "$ref" >"$work/config.json" 2>/dev/null || bad "skopeo inspect --config"
python3 - "$work/config.json" Dockerfile "$version_line" <<'PY'
import json, re, sys
config = json.load(open(sys.argv[1]))["config"]
lines = open(sys.argv[2]).read().replace("\\\n", " ").splitlines()
final = lines[max(i for i, l in enumerate(lines) if l.startswith("FROM ")):]
docker = {}
for line in final:
    word, _, rest = line.strip().partition(" ")
    docker.setdefault(word, []).append(rest.strip())
version, commit, date = re.match(r"(\S+) \(commit (\S+), built (\S+)\)", sys.argv[3]).groups()
labels = config.get("Labels", {})
results = [
    ("user " + config["User"], docker.get("USER") == [config["User"]]),
    ("entrypoint " + " ".join(config["Entrypoint"]), [json.loads(e) for e in docker.get("ENTRYPOINT", [])] == [config["Entrypoint"]]),
    ("ports " + " ".join(sorted(config["ExposedPorts"])), sorted(p for e in docker.get("EXPOSE", []) for p in e.split()) == sorted(p.split("/")[0] for p in config["ExposedPorts"])),
    ("volume " + " ".join(config["Volumes"]), [json.loads(v) for v in docker.get("VOLUME", [])] == [list(config["Volumes"])]),
    ("env " + " ".join(config["Env"]), sorted(docker.get("ENV", [])) == sorted(config["Env"])),
    ("label keys", sorted(re.findall(r"(org\.opencontainers\.image\.[a-z]+)=", " ".join(docker.get("LABEL", [])))) == sorted(labels)),
]
for label, good in results:
    print(("ok   " if good else "FAIL ") + "the Dockerfile's final stage has the image config's " + label)
for key, want in (("version", version), ("revision", commit), ("created", date), ("licenses", "Apache-2.0")):
    got = labels.get("org.opencontainers.image." + key)
    print(("ok   " if got == want else "FAIL ") + f"label org.opencontainers.image.{key} = {got} (binary: {want})")
PY
python3 - "$sbom" "$archive" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
names = {p["name"]: p.get("versionInfo") for p in doc["packages"]}
good = doc["spdxVersion"] == "SPDX-2.3" and all(names.get(n) for n in ("libc6", "libsqlite3-0", "swift-nio", "grdb.swift"))
print(("ok   " if good else "FAIL ") + f"SBOM {sys.argv[1]}: SPDX-2.3, {len(names)} packages with versions (libc6 {names.get('libc6')}, swift-nio {names.get('swift-nio')})")
PY
spdx_tools=$root/.ci-tools/spdx-tools
if [ -x "$spdx_tools/bin/pyspdxtools" ] || python3 -m pip install --quiet --disable-pip-version-check \
    --target "$spdx_tools" "spdx-tools==0.8.3" >/dev/null 2>&1; then
    check "pyspdxtools (spdx-tools 0.8.3) validates the SBOM" \
        env PYTHONPATH="$spdx_tools" python3 "$spdx_tools/bin/pyspdxtools" -i "$sbom"
else
    bad "could not install spdx-tools from PyPI to validate the SBOM"
fi

mkdir -p "$work/layout"
tar -xf "$archive" -C "$work/layout"
umoci unpack --image "$work/layout:$version" "$work/bundle" >/dev/null 2>&1
rootfs=$work/bundle/rootfs
check "umoci unpacks the image" test -x "$rootfs/usr/local/bin/vigilante"
chmod 0755 "$work/bundle" "$rootfs"
programs=$(cd "$rootfs" && find . -type f -perm /111 ! -name '*.so*' | sort | paste -sd' ')
check "the only program in the image is vigilante (found: $programs)" [ "$programs" = "./usr/local/bin/vigilante" ]
check "no shell, no package manager" test ! -e "$rootfs/bin/sh" -a ! -e "$rootfs/usr/bin/dpkg" -a ! -e "$rootfs/usr/bin/apt"
check "store folder owned by 65532" [ "$(stat -c %u:%g:%a "$rootfs/var/lib/vigilante")" = "65532:65532:750" ]
echo "image: $(du -k "$archive" | cut -f1) KiB archive, root filesystem $(du -sk --exclude=usr/local/bin "$rootfs" | cut -f1) KiB + binary $(du -k "$rootfs/usr/local/bin/vigilante" | cut -f1) KiB"

# --- run it from its own root filesystem against `vigilante simulate` ---------------------------------
api_port=$(free_port)
token="sim-$(python3 -c 'import secrets; print(secrets.token_hex(16))')"
"$binary" simulate --port "$api_port" --windows-nodes 1 --linux-nodes 1 --admin-token "$token" \
    --kubeconfig-out "$work/kubeconfig" --ca-out "$work/ca.crt" >"$work/simulate.log" 2>&1 &
pids+=($!)
wait_for 60 test -s "$work/kubeconfig" || { cat "$work/simulate.log"; die "vigilante simulate did not start"; }
# The simulated API server, as an administrator.
api() {
    curl -fsS --cacert "$work/ca.crt" -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
        "$@"
}
api -o /dev/null -d '{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"vigilante"}}' \
    "https://127.0.0.1:$api_port/api/v1/namespaces" || bad "create the namespace vigilante"
# The SNAT annotation of a node ("" when absent).
healed_annotation() {
    api "https://127.0.0.1:$api_port/api/v1/nodes/$1" | python3 -c \
        'import json, sys; print(json.load(sys.stdin)["metadata"].get("annotations", {}).get("cops-vigilante-snat-node-healed", ""))'
}

# The pod's view: the service account folder, the chart's ConfigMap, the store volume, /tmp.
sa=$work/serviceaccount
mkdir -p "$sa" "$work/config" "$work/store" "$work/tmp"
printf '%s' "$token" >"$sa/token"
cp "$work/ca.crt" "$sa/ca.crt"
printf 'vigilante' >"$sa/namespace"
chown 65532:65532 "$work/store" "$work/tmp"
chmod 0750 "$work/store"
chmod 0755 "$sa" "$work/config"
chmod 0644 "$sa"/*
http_port=$(free_port)
helm template cops-vigilante charts/cops-vigilante --namespace vigilante --show-only templates/configmap.yaml \
    --set config.http.port="$http_port" --set config.http.address=127.0.0.1 \
    --set config.tasks.snat.interval=1s --set config.tasks.snat.healingDuration=3s \
    --set config.leaderElection.leaseDuration=3s --set config.leaderElection.renewDeadline=2s \
    --set config.leaderElection.retryPeriod=500ms \
    | python3 -c 'import sys, yaml; sys.stdout.write(yaml.safe_load(sys.stdin)["data"]["config.yaml"])' \
        >"$work/config/config.yaml" || bad "render the chart's ConfigMap"
chmod 0644 "$work/config/config.yaml"
store_dir=$(python3 -c 'import sys, yaml; print(yaml.safe_load(open(sys.argv[1]))["store"]["path"].rsplit("/", 1)[0])' \
    "$work/config/config.yaml" 2>/dev/null || echo /var/lib/vigilante)

# What the OCI config says to run, as umoci's runtime spec has it.
python3 - "$work/bundle/config.json" >"$work/process.sh" <<'PY'
import json, shlex, sys
process = json.load(open(sys.argv[1]))["process"]
print("userspec=%d:%d" % (process["user"]["uid"], process["user"]["gid"]))
print("env=(" + " ".join(shlex.quote(e) for e in process["env"]) + ")")
print("args=(" + " ".join(shlex.quote(a) for a in process["args"]) + ")")
PY
. "$work/process.sh"
check "the image runs as $userspec" [ "$userspec" = "65532:65532" ]
for dir in proc dev tmp var/run/secrets/kubernetes.io/serviceaccount etc/vigilante/config "${store_dir#/}"; do
    mkdir -p "$rootfs/$dir" # mount points, as a container runtime creates them
done
cat >"$work/pod.sh" <<EOF
set -e
R=$rootfs
mount --bind "\$R" "\$R"
mount -t proc proc "\$R/proc"
mount --bind /dev "\$R/dev"
mount --bind "$work/tmp" "\$R/tmp"
mount --bind "$work/store" "\$R$store_dir"
mount --bind "$sa" "\$R/var/run/secrets/kubernetes.io/serviceaccount"
mount -o remount,bind,ro "\$R/var/run/secrets/kubernetes.io/serviceaccount"
mount --bind "$work/config" "\$R/etc/vigilante/config"
mount -o remount,bind,ro "\$R/etc/vigilante/config"
mount -o remount,bind,ro "\$R"
exec env -i "\$@" /usr/sbin/chroot --userspec=$userspec "\$R" $(printf '%q ' "${args[@]}") --config /etc/vigilante/config/config.yaml
EOF
env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin unshare --mount --pid --fork --kill-child \
    /bin/sh "$work/pod.sh" "${env[@]}" KUBERNETES_SERVICE_HOST=127.0.0.1 KUBERNETES_SERVICE_PORT="$api_port" \
    POD_NAMESPACE=vigilante POD_NAME=cops-vigilante-image-check >"$work/operator.log" 2>&1 &
unshare_pid=$!
pids+=($unshare_pid)
wait_for 30 pgrep -P "$unshare_pid" || bad "the operator process did not start"
operator_pid=$(pgrep -P "$unshare_pid" | head -n 1)
wait_for 10 sh -c "readlink /proc/$operator_pid/exe | grep -q vigilante"
check "the operator runs from the image's root filesystem" \
    [ "$(readlink "/proc/$operator_pid/root")" = "$rootfs" ]
check "as UID/GID 65532" [ "$(stat -c %u:%g "/proc/$operator_pid")" = "65532:65532" ]
check "with a read-only root filesystem" \
    sh -c "awk '\$5 == \"/\" {print \$6}' /proc/$operator_pid/mountinfo | grep -q '^ro'"
check "with the in-cluster environment" \
    sh -c "tr '\\0' '\\n' </proc/$operator_pid/environ | grep -qx KUBERNETES_SERVICE_PORT=$api_port"
check "the operator answers /readyz" wait_for 120 curl -fsS "http://127.0.0.1:$http_port/readyz"
healed() { [ "$(healed_annotation akswin000000)" = true ]; }
check "it heals the Windows node akswin000000" wait_for 180 healed
linux_annotation=$(healed_annotation aks-nodepool1-00000000-vmss000000) || bad "read the Linux node"
check "it leaves the Linux node alone" [ -z "$linux_annotation" ]
check "its store is in the writable store folder, owned by 65532" \
    sh -c "find '$work/store' -name '*.sqlite' -user 65532 | grep -q ."
kill -TERM "$operator_pid"
stopped() { ! kill -0 "$unshare_pid" 2>/dev/null; }
if wait_for 60 stopped; then
    wait "$unshare_pid"
    status=$?
    check "it stops on SIGTERM with status 0 (got $status)" [ "$status" = 0 ]
else
    bad "it did not stop within 60 s of SIGTERM"
fi
if [ $failed -gt 0 ]; then echo "--- operator log"; tail -n 40 "$work/operator.log"; fi

# --- push to a registry on loopback and read the digest back ------------------------------------------
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
wait_for 30 curl -fsS "http://127.0.0.1:$registry_port/v2/" || bad "docker-registry did not start"
destination="127.0.0.1:$registry_port/cops-vigilante"
check "scripts/publish-image.sh pushes it to the loopback registry" \
    env VIGILANTE_REGISTRY_TLS_VERIFY=false bash scripts/publish-image.sh "$archive" "$destination"
remote=$(skopeo inspect --tls-verify=false "docker://$destination:$version" 2>/dev/null \
    | python3 -c 'import json, sys; print(json.load(sys.stdin)["Digest"])')
check "the registry serves $version with the same digest ($remote)" [ "$remote" = "$digest" ]
raw=$(skopeo inspect --raw --tls-verify=false "docker://$destination@$digest" | sha256sum | cut -d' ' -f1)
check "the manifest read back hashes to the digest" [ "sha256:$raw" = "$digest" ]

echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
