#!/usr/bin/env bash
# The one definition of what the runtime image contains besides the binary, used by scripts/build-image.sh
# and by the Dockerfile. Assembles a distroless-style root filesystem from Debian bookworm packages
# (apt-get download + dpkg-deb -x, nothing installed on this machine): only the shared libraries BINARY
# needs (its NEEDED closure and the dynamic loader), the CA bundle, /etc/passwd and /etc/group with the
# operator's user (UID/GID 65532), os-release and each package's copyright, dpkg status entries for
# scanners, the store folder owned by 65532 and /tmp. No shell, no package manager, no other program.
#
#   scripts/build-rootfs.sh BINARY OUTDIR
#
# Writes OUTDIR/rootfs (without the binary: the image puts it at /usr/local/bin/vigilante in its own
# layer), OUTDIR/packages.tsv (name, version, architecture, deb SHA-256, source package) and OUTDIR/owners.tsv
# (paths not owned by root: path, uid, gid). The packages are the current bookworm versions of the
# apt sources: two runs with the same versions give the same files (the SBOM records the versions).
set -euo pipefail

# Runtime packages: what the binary links (glibc, libgcc, libstdc++, zlib, SQLite), the CA bundle and
# base-files (only /usr/lib/os-release, so scanners know the distribution); gcc-12-base holds the
# copyright of libgcc-s1 and libstdc++6 (their doc folders link to it).
PACKAGES=(libc6 libgcc-s1 libstdc++6 zlib1g libsqlite3-0 ca-certificates base-files gcc-12-base)
USER_ID=65532
STORE_DIR=/var/lib/vigilante

die() { echo "build-rootfs.sh: $*" >&2; exit 1; }
[ $# -eq 2 ] || die "usage: scripts/build-rootfs.sh BINARY OUTDIR"
binary=$1
out=$2
[ -f "$binary" ] || die "binary $binary does not exist"
for tool in apt-get dpkg-deb readelf sha256sum; do
    command -v "$tool" >/dev/null || die "$tool is missing (a Debian machine with binutils is needed)"
done
grep -q 'VERSION_CODENAME=bookworm' /etc/os-release 2>/dev/null \
    || die "the apt sources must be Debian bookworm's (this machine: $(. /etc/os-release && echo "$PRETTY_NAME"))"

rm -rf "$out"
mkdir -p "$out/debs" "$out/extract" "$out/rootfs"
debs=$out/debs
extract=$out/extract
root=$out/rootfs

(cd "$debs" && apt-get download -q -o APT::Sandbox::User=root "${PACKAGES[@]}" >/dev/null) \
    || die "apt-get download ${PACKAGES[*]} failed (run apt-get update?)"

: >"$out/packages.tsv"
for package in "${PACKAGES[@]}"; do
    deb=$(ls "$debs/${package}_"*.deb 2>/dev/null | head -n 1)
    [ -n "$deb" ] || die "no .deb downloaded for $package"
    dpkg-deb -x "$deb" "$extract/$package"
    source=$(dpkg-deb -f "$deb" Source | cut -d' ' -f1)
    printf '%s\t%s\t%s\t%s\t%s\n' "$(dpkg-deb -f "$deb" Package)" "$(dpkg-deb -f "$deb" Version)" \
        "$(dpkg-deb -f "$deb" Architecture)" "$(sha256sum "$deb" | cut -d' ' -f1)" "${source:-$package}" \
        >>"$out/packages.tsv"
    # The package's copyright, and a dpkg status entry (distroless' status.d layout) for scanners.
    doc=$extract/$package/usr/share/doc/$package
    mkdir -p "$root/usr/share/doc"
    if [ -L "$doc" ]; then
        cp -a "$doc" "$root/usr/share/doc/$package"
    else
        [ -f "$doc/copyright" ] || die "$package has no copyright file"
        install -D -m 0644 "$doc/copyright" "$root/usr/share/doc/$package/copyright"
    fi
    mkdir -p "$root/var/lib/dpkg/status.d"
    { dpkg-deb -f "$deb"; echo "Status: install ok installed"; } | grep -v '^Description\|^ ' \
        >"$root/var/lib/dpkg/status.d/$package"
    chmod 0644 "$root/var/lib/dpkg/status.d/$package"
done

# Copies a file or symlink (and a symlink's target, recursively) from the extracted packages.
copy_from_packages() {
    local path=$1 found="" package
    for package in "${PACKAGES[@]}"; do
        if [ -e "$extract/$package$path" ] || [ -L "$extract/$package$path" ]; then found=$extract/$package$path; fi
    done
    [ -n "$found" ] || die "$path is in no package of ${PACKAGES[*]}"
    mkdir -p "$root$(dirname "$path")"
    cp -a "$found" "$root$path"
    if [ -L "$found" ]; then
        local target
        target=$(readlink "$found")
        case $target in /*) ;; *) target=$(dirname "$path")/$target ;; esac
        copy_from_packages "$(realpath -m -s "$target")"
    fi
}

# Finds a shared library by SONAME in the packages' library folders.
library_path() {
    local dir package
    for dir in /lib/x86_64-linux-gnu /usr/lib/x86_64-linux-gnu; do
        for package in "${PACKAGES[@]}"; do
            if [ -e "$extract/$package$dir/$1" ]; then echo "$dir/$1"; return; fi
        done
    done
    die "the binary needs $1, which none of ${PACKAGES[*]} provides"
}

# The dynamic loader and the NEEDED closure.
interpreter=$(readelf -l "$binary" | sed -n 's/.*Requesting program interpreter: \(.*\)]/\1/p')
[ -n "$interpreter" ] || die "$binary is not a dynamically linked ELF executable"
copy_from_packages "$interpreter"
declare -A seen=()
queue=("$binary")
while [ ${#queue[@]} -gt 0 ]; do
    file=${queue[0]}
    queue=("${queue[@]:1}")
    for soname in $(readelf -d "$file" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
        [ -n "${seen[$soname]:-}" ] && continue
        seen[$soname]=1
        path=$(library_path "$soname")
        copy_from_packages "$path"
        queue+=("$root$path")
    done
done

# The CA bundle, as update-ca-certificates would build it from the Mozilla set (sorted by name).
mkdir -p "$root/etc/ssl/certs"
find "$extract/ca-certificates/usr/share/ca-certificates/mozilla" -name '*.crt' | LC_ALL=C sort \
    | xargs cat >"$root/etc/ssl/certs/ca-certificates.crt"
grep -q 'BEGIN CERTIFICATE' "$root/etc/ssl/certs/ca-certificates.crt" || die "the CA bundle is empty"
copy_from_packages /usr/lib/os-release
ln -s ../usr/lib/os-release "$root/etc/os-release"

# Users and groups: root, nobody, and the operator (the chart's runAsUser).
cat >"$root/etc/passwd" <<EOF
root:x:0:0:root:/root:/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin
vigilante:x:$USER_ID:$USER_ID:cops-vigilante:$STORE_DIR:/sbin/nologin
EOF
cat >"$root/etc/group" <<EOF
root:x:0:
nogroup:x:65534:
vigilante:x:$USER_ID:
EOF
printf 'passwd: files\ngroup: files\nhosts: files dns\n' >"$root/etc/nsswitch.conf"
chmod 0644 "$root/etc/passwd" "$root/etc/group" "$root/etc/nsswitch.conf" "$root/etc/ssl/certs/ca-certificates.crt"
# The store (the chart mounts a volume here), the configuration folder, /tmp and the binary's folder.
mkdir -p "$root$STORE_DIR" "$root/etc/vigilante" "$root/tmp" "$root/usr/local/bin"
chmod 0750 "$root$STORE_DIR"
chmod 1777 "$root/tmp"
printf '%s\t%s\t%s\n' "$STORE_DIR" "$USER_ID" "$USER_ID" >"$out/owners.tsv"
rm -rf "$extract" "$debs"
echo "rootfs: $root ($(du -sk "$root" | cut -f1) KiB; $(cut -f1,2 "$out/packages.tsv" | tr '\t' '=' | paste -sd' '))"
