#!/usr/bin/env bash
# Builds the release binary the image ships: `swift build -c release --static-swift-stdlib` in its own
# scratch path, stripped, with the git commit and the commit's date stamped into its `vigilante_build`
# section (objcopy, after linking: no source or flag changes between commits, so a rebuild of another
# commit only recompiles what changed). A tree with uncommitted changes is stamped `<commit>-dirty`.
# Reproducible: a clean rebuild of the same commit at the same path gives the same bytes.
#
#   scripts/build-release.sh [OUTPUT]      (default .build-release/dist/vigilante)
#
# Without git (e.g. in a Docker build context), set VIGILANTE_COMMIT and SOURCE_DATE_EPOCH.
# Prints the output path.
set -euo pipefail
cd "$(dirname "$0")/.."
die() { echo "build-release.sh: $*" >&2; exit 1; }
scratch=${VIGILANTE_RELEASE_SCRATCH:-.build-release}
output=${1:-$scratch/dist/vigilante}
for tool in swift strip objcopy readelf sha1sum; do command -v "$tool" >/dev/null || die "$tool is missing"; done

if [ -n "${VIGILANTE_COMMIT:-}" ]; then
    commit=$VIGILANTE_COMMIT
elif git rev-parse --git-dir >/dev/null 2>&1; then
    commit=$(git rev-parse HEAD)
    [ -z "$(git status --porcelain --untracked-files=no)" ] || commit="$commit-dirty"
else
    die "not a git checkout: set VIGILANTE_COMMIT and SOURCE_DATE_EPOCH"
fi
epoch=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || true)}
[[ "$epoch" =~ ^[0-9]+$ ]] || die "no commit date: set SOURCE_DATE_EPOCH (seconds since 1970)"
date=$(date -u -d "@$epoch" +%Y-%m-%dT%H:%M:%SZ)

# No absolute path in the binary: the source paths it embeds (`#file`/`#filePath` of Swift packages,
# `__FILE__` of BoringSSL and other C code) are written relative to the checkout. Two clean builds of
# one commit at the same path give the same bytes (CI checks it); in folders whose paths differ in
# length, 4 bytes still differ: swiftc passes the length of the unmapped path to
# swift_isEscapingClosureAtFileLocation (docs/performance.md).
source=$(pwd -P)
mkdir -p "$scratch"
scratch_path=$(cd "$scratch" && pwd -P)
maps=(-Xswiftc -file-prefix-map -Xswiftc "$source/=" -Xcc "-ffile-prefix-map=$source/=")
case "$scratch_path/" in
"$source"/*) ;;
*) maps+=(-Xswiftc -file-prefix-map -Xswiftc "$scratch_path/=.build-release/" -Xcc "-ffile-prefix-map=$scratch_path/=.build-release/") ;;
esac
swift build -c release --static-swift-stdlib "${maps[@]}" --product vigilante --scratch-path "$scratch" >&2 \
    || die "swift build failed"
built="$(swift build -c release --static-swift-stdlib "${maps[@]}" --scratch-path "$scratch" --show-bin-path)/vigilante"
mkdir -p "$(dirname "$output")"
stamp=$(mktemp)
trap 'rm -f "$stamp" "$output.tmp"' EXIT
printf 'commit=%s\ndate=%s\n' "$commit" "$date" >"$stamp"
truncate -s 256 "$stamp" # VIGILANTE_BUILD_STAMP_SIZE
# .swift_modhash holds a hash of each object file's LLVM IR (for incremental codegen; nothing reads it at
# run time), which changes with the absolute path of the checkout even when the code does not.
strip --remove-section=.swift_modhash -o "$output.tmp" "$built"
objcopy --update-section "vigilante_build=$stamp" "$output.tmp" || die "the binary has no vigilante_build section"
# The linker's build ID hashes the unstripped output, whose symbol table and debug info differ between
# two clean builds of the same sources; the shipped binary gets a build ID of its own bytes instead:
# SHA-1 of the file with the ID zeroed, written into the same 20 bytes.
note=$(readelf -S -W "$output.tmp" | sed -n 's/^ *\[ *[0-9]*\] //p' | awk '$1 == ".note.gnu.build-id" {print $4, $5}')
[ "$(cut -d' ' -f2 <<<"$note")" = 000024 ] || die "the binary has no 20-byte GNU build ID note"
id_offset=$((16#$(cut -d' ' -f1 <<<"$note") + 16))
dd if=/dev/zero of="$output.tmp" bs=1 seek="$id_offset" count=20 conv=notrunc status=none
build_id=$(sha1sum "$output.tmp" | cut -c1-40)
printf "$(sed 's/../\\x&/g' <<<"$build_id")" | dd of="$output.tmp" bs=1 seek="$id_offset" conv=notrunc status=none
chmod 0755 "$output.tmp"
mv "$output.tmp" "$output"
"$output" --version | grep -qF "commit $commit, built $date" \
    || die "$output --version does not report the stamp ($("$output" --version))"
echo "$output"
