#!/usr/bin/env bash
# Checks the Helm chart charts/cops-vigilante offline, with a genuine helm (scripts/install-tools.sh)
# and kubernetes-validate (PyPI; installed with pip when missing):
#   - helm lint --strict with the default values, every combination in ci/ and the original release's
#     values (tests/original-values.yaml);
#   - NOTES.txt (how to reach /tasks; the warning without persistence);
#   - helm template of each, validated in strict mode against the Kubernetes 1.30 schemas (only
#     cert-manager and ServiceMonitor kinds may be unknown), plus structural assertions;
#   - the rendered ConfigMap of each accepted by `vigilante config check`;
#   - the RBAC each renders equal to tests/rbac/<combination>.txt;
#   - every tests/bad-values/*.yaml rejected by values.schema.json, every tests/bad-render/*.yaml
#     rejected by the templates, each with the messages of its .expected file;
#   - values.yaml documented, values.schema.json in step with values.yaml and with
#     `vigilante config reference`, and README.md's values table in step with values.yaml.
# Usage: scripts/check-chart.sh [--update-readme] [--update-rbac]
#   VIGILANTE_BIN=path picks the binary (default .build/debug/vigilante, built into .build-chart when
#   missing or older than Sources/). Prints `N passed, M failed` last; exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD
chart=charts/cops-vigilante
tests=$chart/tests
kube_version=1.30.0
release=cops-vigilante
namespace=cops-vigilante

update_readme=false
update_rbac=false
for arg in "$@"; do
    case $arg in
        --update-readme) update_readme=true ;;
        --update-rbac) update_rbac=true ;;
        *) echo "usage: $0 [--update-readme] [--update-rbac]" >&2; exit 2 ;;
    esac
done

# --- tools -------------------------------------------------------------------------------------------
if [ ! -x .ci-tools/bin/helm ]; then
    bash scripts/install-tools.sh || { echo "check-chart: could not install helm" >&2; exit 1; }
fi
helm=$root/.ci-tools/bin/helm
if ! python3 -c 'import kubernetes_validate' 2>/dev/null; then
    python3 -m pip install --quiet --disable-pip-version-check kubernetes-validate \
        || { echo "check-chart: could not install kubernetes-validate" >&2; exit 1; }
fi
kubevalidate=(python3 -m kubernetes_validate)
python3 -m kubernetes_validate --version >/dev/null 2>&1 || kubevalidate=(kubernetes-validate)

vigilante=${VIGILANTE_BIN:-.build/debug/vigilante}
vigilante_note=""
if [ -z "${VIGILANTE_BIN:-}" ]; then
    if [ ! -x "$vigilante" ] || [ -n "$(find Sources Package.swift -newer "$vigilante" -print -quit 2>/dev/null)" ]; then
        echo "== building vigilante into .build-chart (.build/debug/vigilante is missing or older than Sources/)"
        if swift build --scratch-path .build-chart --product vigilante >"${TMPDIR:-/tmp}/check-chart-build.log" 2>&1; then
            vigilante=.build-chart/debug/vigilante
        else
            # Best effort: a work tree with someone's unfinished sources may not build; use the newest
            # binary there is, and say so.
            tail -20 "${TMPDIR:-/tmp}/check-chart-build.log" >&2
            newest=$(ls -t .build-chart/debug/vigilante .build/debug/vigilante 2>/dev/null | head -1)
            if [ -n "$newest" ]; then
                vigilante=$newest
                vigilante_note=" (WARNING: swift build failed; using the older $newest)"
            else
                vigilante=""
            fi
        fi
    fi
fi
if [ -n "$vigilante" ] && [ -x "$vigilante" ]; then
    vigilante="$(cd "$(dirname "$vigilante")" && pwd)/$(basename "$vigilante")"
else
    vigilante_note=" (no vigilante binary: its checks fail)"
    vigilante=/nonexistent/vigilante
fi
echo "helm $("$helm" version --short), kubernetes-validate $("${kubevalidate[@]}" --version 2>&1 | tail -1), vigilante: ${vigilante:-none}$vigilante_note"

if $update_readme; then
    python3 "$tests/values_doc.py" update-readme "$chart" && echo "README.md values table updated"
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0
failed=0
pass() { passed=$((passed + 1)); echo "ok   $1"; }
fail() {
    failed=$((failed + 1))
    echo "FAIL $1"
    [ -n "${2:-}" ] && [ -s "$2" ] && sed 's/^/     | /' "$2" | head -40
    return 0
}

# --- combinations: lint, template, schemas, config check, assertions, RBAC ----------------------------
combos=("default:")
for file in "$chart"/ci/*-values.yaml; do
    name=$(basename "$file" -values.yaml)
    [ "$name" = default ] && continue
    combos+=("$name:$file")
done
combos+=("original-release:$tests/original-values.yaml")

for combo in "${combos[@]}"; do
    name=${combo%%:*}
    file=${combo#*:}
    args=()
    [ -n "$file" ] && args=(-f "$file")
    out=$work/$name
    mkdir -p "$out"

    if "$helm" lint --strict "$chart" "${args[@]}" >"$out/lint.log" 2>&1; then
        pass "$name: helm lint --strict"
    else
        fail "$name: helm lint --strict" "$out/lint.log"
    fi

    if ! "$helm" template "$release" "$chart" -n "$namespace" --kube-version "$kube_version" "${args[@]}" \
        >"$out/manifests.yaml" 2>"$out/template.log"; then
        fail "$name: helm template" "$out/template.log"
        continue
    fi
    pass "$name: helm template"

    "${kubevalidate[@]}" --strict -k "$kube_version" "$out/manifests.yaml" >"$out/validate.log" 2>&1
    status=$?
    # Unknown kinds only warn; any other warning or error fails, and only these kinds may be unknown.
    unexpected=$(grep -E '^(WARN|ERROR)' "$out/validate.log" \
        | grep -vE "Couldn't find schema for kind (Certificate|Issuer) with api version cert-manager.io/v1|Couldn't find schema for kind (ServiceMonitor|PrometheusRule) with api version monitoring.coreos.com/v1" || true)
    if [ "$status" -eq 0 ] && [ -z "$unexpected" ] && grep -q '^INFO .* passed' "$out/validate.log"; then
        pass "$name: kubernetes-validate --strict -k $kube_version"
    else
        grep -v '^INFO' "$out/validate.log" >"$out/validate.errors"
        fail "$name: kubernetes-validate --strict -k $kube_version (exit $status)" "$out/validate.errors"
    fi

    python3 - "$out/manifests.yaml" "$out/config.yaml" <<'PY'
import sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if isinstance(d, dict)]
maps = [d for d in docs if d["kind"] == "ConfigMap" and "config.yaml" in (d.get("data") or {})]
open(sys.argv[2], "w").write(maps[0]["data"]["config.yaml"])
PY
    # A clean environment: VIGILANTE_* variables of this shell must not change the verdict. The webhook
    # URLs the Deployment takes from notifications.existingSecret get placeholders.
    hooks=()
    for index in 0 1 2 3 4 5 6 7; do hooks+=("WEBHOOK_URL_$index=https://hooks.example.com/placeholder"); done
    if (cd "$out" && env -i PATH="$PATH" HOME="$HOME" "${hooks[@]}" "$vigilante" config check config.yaml) >"$out/config-check.log" 2>&1; then
        pass "$name: vigilante config check of the rendered ConfigMap"
    else
        { echo "config.yaml:"; cat "$out/config.yaml"; cat "$out/config-check.log"; } >"$out/config-check.show"
        fail "$name: vigilante config check of the rendered ConfigMap" "$out/config-check.show"
    fi

    if python3 "$tests/assert_manifests.py" "$out/manifests.yaml" "$out/config.yaml" >"$out/assert.log" 2>&1; then
        pass "$name: manifest assertions (Deployment, probes, security, TLS, ServiceMonitor, volumes)"
    else
        fail "$name: manifest assertions" "$out/assert.log"
    fi

    golden=$tests/rbac/$name.txt
    python3 "$tests/rbac_rules.py" "$out/manifests.yaml" >"$out/rbac.txt" 2>&1
    if $update_rbac && [ -f "$golden" ]; then cp "$out/rbac.txt" "$golden"; fi
    if [ -f "$golden" ]; then
        if diff -u "$golden" "$out/rbac.txt" >"$out/rbac.diff" 2>&1; then
            pass "$name: RBAC equals tests/rbac/$name.txt"
        else
            fail "$name: RBAC differs from tests/rbac/$name.txt" "$out/rbac.diff"
        fi
    fi
done

# --- a config change rolls the pod -----------------------------------------------------------------------
checksum() {
    "$helm" template "$release" "$chart" -n "$namespace" "$@" 2>/dev/null | grep -m1 'checksum/config:' | awk '{print $2}'
}
a=$(checksum)
b=$(checksum --set config.log.level=debug)
if [ -n "$a" ] && [ -n "$b" ] && [ "$a" != "$b" ] && [ "$a" = "$(checksum)" ]; then
    pass "checksum/config is stable and changes with the configuration"
else
    fail "checksum/config is stable and changes with the configuration ($a / $b)"
fi

# --- NOTES.txt: how to reach /tasks, and the warning without persistence ----------------------------------
notes() {
    "$helm" install "$release" "$chart" -n "$namespace" --dry-run=client "$@" 2>&1 | sed -n '/^NOTES:/,$p'
}
notes_default=$(notes)
notes_tls=$(notes --set create_certificates=true)
notes_ephemeral=$(notes --set persistence.enabled=false)
if grep -q "port-forward service/$release 8000:8000" <<<"$notes_default" \
    && grep -q 'curl http://localhost:8000/tasks' <<<"$notes_default" \
    && grep -q "https://$release.$namespace.svc:8443/tasks" <<<"$notes_tls" \
    && ! grep -q 'WARNING: persistence.enabled=false' <<<"$notes_default" \
    && grep -q 'WARNING: persistence.enabled=false' <<<"$notes_ephemeral" \
    && grep -q 'kubectl annotate nodes --all cops-vigilante-snat-node-healed-' <<<"$notes_default"; then
    pass "NOTES.txt: /tasks over HTTP and HTTPS, persistence warning only without persistence"
else
    printf '%s\n---\n%s\n---\n%s\n' "$notes_default" "$notes_tls" "$notes_ephemeral" >"$work/notes.log"
    fail "NOTES.txt: /tasks over HTTP and HTTPS, persistence warning only without persistence" "$work/notes.log"
fi

# --- bad values: rejected by the schema (lint and template), with the expected messages ----------------
count=0
for file in "$tests"/bad-values/*.yaml; do
    count=$((count + 1))
    name=bad-values/$(basename "$file" .yaml)
    expected=${file%.yaml}.expected
    log=$work/$(basename "$file").log
    lint_status=0
    "$helm" lint --strict "$chart" -f "$file" >"$log" 2>&1 || lint_status=$?
    template_status=0
    "$helm" template "$release" "$chart" -f "$file" >>"$log" 2>&1 || template_status=$?
    missing=$(while IFS= read -r line; do
        [ -n "$line" ] && ! grep -qF -- "$line" "$log" && echo "missing: $line"
    done <"$expected")
    if [ ! -s "$expected" ]; then
        fail "$name: no .expected file"
    elif [ "$lint_status" -ne 0 ] && [ "$template_status" -ne 0 ] && [ -z "$missing" ] \
        && grep -q "values don't meet the specifications of the schema" "$log"; then
        pass "$name: rejected by values.schema.json with the expected message"
    else
        echo "$missing (lint exit $lint_status, template exit $template_status)" >>"$log"
        fail "$name: rejected by values.schema.json with the expected message" "$log"
    fi
done
if [ "$count" -ge 8 ]; then
    pass "at least 8 bad values files ($count)"
else
    fail "at least 8 bad values files (only $count)"
fi

# --- bad combinations the templates refuse (helm lint ignores `fail`: use helm template) ---------------
for file in "$tests"/bad-render/*.yaml; do
    name=bad-render/$(basename "$file" .yaml)
    expected=${file%.yaml}.expected
    log=$work/render-$(basename "$file").log
    status=0
    "$helm" template "$release" "$chart" -f "$file" >"$log" 2>&1 || status=$?
    missing=$(while IFS= read -r line; do
        [ -n "$line" ] && ! grep -qF -- "$line" "$log" && echo "missing: $line"
    done <"$expected")
    if [ "$status" -ne 0 ] && [ -s "$expected" ] && [ -z "$missing" ]; then
        pass "$name: refused by the templates with the expected message"
    else
        echo "$missing (template exit $status)" >>"$log"
        fail "$name: refused by the templates with the expected message" "$log"
    fi
done

# --- documentation and schema drift -----------------------------------------------------------------
if python3 "$tests/values_doc.py" check-values "$chart" >"$work/values.log" 2>&1; then
    pass "every value documented in values.yaml and known to values.schema.json"
else
    fail "every value documented in values.yaml and known to values.schema.json" "$work/values.log"
fi
if "$vigilante" config reference >"$work/reference.md" 2>&1 \
    && python3 "$tests/values_doc.py" check-config "$chart" "$work/reference.md" >"$work/config.log" 2>&1; then
    pass "values.schema.json config keys equal \`vigilante config reference\`"
else
    cat "$work/reference.md" >>"$work/config.log"
    fail "values.schema.json config keys equal \`vigilante config reference\`" "$work/config.log"
fi
if python3 "$tests/values_doc.py" check-readme "$chart" >"$work/readme.log" 2>&1; then
    pass "README.md values table matches values.yaml"
else
    fail "README.md values table matches values.yaml" "$work/readme.log"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
