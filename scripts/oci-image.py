#!/usr/bin/env python3
"""Writes a reproducible OCI image archive and its SPDX 2.3 SBOM (called by scripts/build-image.sh).

Two layers (the root filesystem of scripts/build-rootfs.sh, then the binary at /usr/local/bin/vigilante),
each a tar with sorted entries, every timestamp set to --epoch (the commit's time), owner root except the
paths listed in owners.tsv, no user or group names, gzip without name or time. The same inputs give the
same bytes, so the same manifest digest.
"""

import argparse
import datetime
import gzip
import hashlib
import io
import json
import os
import stat
import sys
import tarfile

BINARY_PATH = "usr/local/bin/vigilante"
USER = "65532:65532"
ENTRYPOINT = ["/usr/local/bin/vigilante", "run"]
ENV = ["PATH=/usr/local/bin:/usr/bin:/bin", "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt"]
PORTS = ["8000/tcp", "8443/tcp"]
VOLUMES = ["/var/lib/vigilante"]
MEDIA_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MEDIA_CONFIG = "application/vnd.oci.image.config.v1+json"
MEDIA_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"


def fail(message):
    sys.exit(f"oci-image.py: {message}")


def canonical_json(value):
    return json.dumps(value, sort_keys=True, separators=(",", ":")).encode()


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def tar_entry(name, source, epoch, owners):
    """A TarInfo for `source` (a path on disk) stored as `name`, normalised."""
    st = os.lstat(source)
    info = tarfile.TarInfo(name)
    info.mtime = epoch
    info.uid, info.gid = owners.get("/" + name, (0, 0))
    info.uname = info.gname = ""
    info.mode = stat.S_IMODE(st.st_mode)
    if stat.S_ISLNK(st.st_mode):
        info.type = tarfile.SYMTYPE
        info.linkname = os.readlink(source)
        info.mode = 0o777
    elif stat.S_ISDIR(st.st_mode):
        info.type = tarfile.DIRTYPE
    elif stat.S_ISREG(st.st_mode):
        info.type = tarfile.REGTYPE
        info.size = st.st_size
    else:
        fail(f"{source}: only files, folders and symlinks can go into the image")
    return info


def layer(entries, epoch, owners):
    """(gzipped bytes, diff_id) of a tar of `entries` [(name in image, path on disk)], sorted by name."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, source in sorted(entries):
            info = tar_entry(name, source, epoch, owners)
            if info.type == tarfile.REGTYPE:
                with open(source, "rb") as handle:
                    tar.addfile(info, handle)
            else:
                tar.addfile(info)
    data = raw.getvalue()
    compressed = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=compressed, compresslevel=9, mtime=0) as gz:
        gz.write(data)
    return compressed.getvalue(), "sha256:" + sha256(data)


def tree(root):
    """Every path under `root` (folders included, root itself excluded), as (name in image, path)."""
    entries = []
    for directory, folders, files in os.walk(root):
        for name in folders + files:
            path = os.path.join(directory, name)
            entries.append((os.path.relpath(path, root), path))
    return entries


def spdx_id(text):
    return "".join(c if c.isalnum() or c in ".-" else "-" for c in text)


def sbom(args, created, digest, packages, pins):
    image_id = "SPDXRef-Image"
    items = [
        {
            "SPDXID": image_id,
            "name": args.name,
            "versionInfo": args.version,
            "downloadLocation": "NOASSERTION",
            "primaryPackagePurpose": "CONTAINER",
            "supplier": "NOASSERTION",
            "licenseConcluded": "NOASSERTION",
            "licenseDeclared": args.license,
            "copyrightText": "NOASSERTION",
            "filesAnalyzed": False,
            "checksums": [{"algorithm": "SHA256", "checksumValue": digest.split(":", 1)[1]}],
            "externalRefs": [
                {
                    "referenceCategory": "PACKAGE-MANAGER",
                    "referenceType": "purl",
                    "referenceLocator": f"pkg:oci/{args.name}@{digest.replace(':', '%3A')}"
                    + f"?arch=amd64&tag={args.version}",
                }
            ],
        },
        {
            "SPDXID": "SPDXRef-Binary-vigilante",
            "name": "vigilante",
            "versionInfo": args.version,
            "downloadLocation": f"git+{args.source}@{args.revision}",
            "primaryPackagePurpose": "APPLICATION",
            "supplier": "NOASSERTION",
            "licenseConcluded": args.license,
            "licenseDeclared": args.license,
            "copyrightText": "NOASSERTION",
            "filesAnalyzed": False,
            "checksums": [{"algorithm": "SHA256", "checksumValue": args.binary_sha256}],
        },
    ]
    for name, version, arch, deb_sha256, source in packages:
        items.append(
            {
                "SPDXID": spdx_id(f"SPDXRef-Deb-{name}"),
                "name": name,
                "versionInfo": version,
                "downloadLocation": "NOASSERTION",
                "primaryPackagePurpose": "LIBRARY",
                "supplier": "Organization: Debian",
                "licenseConcluded": "NOASSERTION",
                "licenseDeclared": "NOASSERTION",
                "copyrightText": "NOASSERTION",
                "filesAnalyzed": False,
                "checksums": [{"algorithm": "SHA256", "checksumValue": deb_sha256}],
                "externalRefs": [
                    {
                        "referenceCategory": "PACKAGE-MANAGER",
                        "referenceType": "purl",
                        "referenceLocator": f"pkg:deb/debian/{name}@{version.replace(':', '%3A')}"
                        + f"?arch={arch}&distro=debian-12&upstream={source}",
                    }
                ],
            }
        )
    for pin in pins:
        location = pin["location"].removesuffix(".git")
        host_path = location.split("://", 1)[-1]
        state = pin["state"]
        version = state.get("version") or state.get("revision")
        items.append(
            {
                "SPDXID": spdx_id(f"SPDXRef-Swift-{pin['identity']}"),
                "name": pin["identity"],
                "versionInfo": version,
                "downloadLocation": f"git+{location}@{state.get('revision', version)}",
                "primaryPackagePurpose": "LIBRARY",
                "supplier": "NOASSERTION",
                "licenseConcluded": "NOASSERTION",
                "licenseDeclared": "NOASSERTION",
                "copyrightText": "NOASSERTION",
                "filesAnalyzed": False,
                "externalRefs": [
                    {
                        "referenceCategory": "PACKAGE-MANAGER",
                        "referenceType": "purl",
                        "referenceLocator": f"pkg:swift/{host_path}@{version}",
                    }
                ],
            }
        )
    relationships = [
        {"spdxElementId": "SPDXRef-DOCUMENT", "relationshipType": "DESCRIBES", "relatedSpdxElement": image_id},
        {"spdxElementId": image_id, "relationshipType": "CONTAINS", "relatedSpdxElement": "SPDXRef-Binary-vigilante"},
    ]
    for item in items[2:]:
        if item["SPDXID"].startswith("SPDXRef-Deb-"):
            relationships.append(
                {"spdxElementId": image_id, "relationshipType": "CONTAINS", "relatedSpdxElement": item["SPDXID"]}
            )
        else:
            relationships.append(
                {
                    "spdxElementId": "SPDXRef-Binary-vigilante",
                    "relationshipType": "DEPENDS_ON",
                    "relatedSpdxElement": item["SPDXID"],
                }
            )
    return {
        "spdxVersion": "SPDX-2.3",
        "dataLicense": "CC0-1.0",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": f"{args.name}-{args.version}",
        "documentNamespace": f"{args.source}/spdx/{args.name}-{args.version}-{digest.split(':', 1)[1]}",
        "creationInfo": {"created": created, "creators": ["Tool: cops-vigilante-scripts/build-image.sh"]},
        "documentDescribes": [image_id],
        "packages": items,
        "relationships": relationships,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rootfs", required=True, help="the folder written by scripts/build-rootfs.sh")
    parser.add_argument("--binary", required=True)
    parser.add_argument("--epoch", required=True, type=int, help="timestamp of every entry (SOURCE_DATE_EPOCH)")
    parser.add_argument("--name", required=True)
    parser.add_argument("--version", required=True)
    parser.add_argument("--revision", required=True)
    parser.add_argument("--source", required=True)
    parser.add_argument("--license", required=True)
    parser.add_argument("--resolved", required=True, help="Package.resolved (the Swift packages in the SBOM)")
    parser.add_argument("--archive", required=True, help="the oci-archive tarball to write")
    parser.add_argument("--sbom", required=True, help="the SPDX 2.3 JSON to write")
    args = parser.parse_args()

    rootfs = os.path.join(args.rootfs, "rootfs")
    owners = {}
    for line in open(os.path.join(args.rootfs, "owners.tsv")).read().splitlines():
        path, uid, gid = line.split("\t")
        owners[path] = (int(uid), int(gid))
    packages = [line.split("\t") for line in open(os.path.join(args.rootfs, "packages.tsv")).read().splitlines()]
    try:
        pins = json.load(open(args.resolved))["pins"]
    except (OSError, ValueError, KeyError) as error:
        fail(f"{args.resolved}: cannot read the Swift package pins ({error})")
    with open(args.binary, "rb") as handle:
        args.binary_sha256 = sha256(handle.read())

    created = datetime.datetime.fromtimestamp(args.epoch, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    base, base_diff = layer(tree(rootfs), args.epoch, owners)
    app, app_diff = layer([(BINARY_PATH, args.binary)], args.epoch, {})
    labels = {
        "org.opencontainers.image.title": args.name,
        "org.opencontainers.image.description": "A Kubernetes operator that runs self-healing tasks (vigilante run)",
        "org.opencontainers.image.source": args.source,
        "org.opencontainers.image.version": args.version,
        "org.opencontainers.image.revision": args.revision,
        "org.opencontainers.image.licenses": args.license,
        "org.opencontainers.image.created": created,
    }
    config = canonical_json(
        {
            "created": created,
            "architecture": "amd64",
            "os": "linux",
            "config": {
                "User": USER,
                "Entrypoint": ENTRYPOINT,
                "Env": ENV,
                "ExposedPorts": {port: {} for port in PORTS},
                "Volumes": {volume: {} for volume in VOLUMES},
                "Labels": labels,
            },
            "rootfs": {"type": "layers", "diff_ids": [base_diff, app_diff]},
            "history": [
                {"created": created, "created_by": "scripts/build-rootfs.sh (Debian bookworm packages)"},
                {"created": created, "created_by": "scripts/build-release.sh (vigilante, stripped)"},
            ],
        }
    )
    blobs = {sha256(blob): blob for blob in (base, app, config)}
    manifest = canonical_json(
        {
            "schemaVersion": 2,
            "mediaType": MEDIA_MANIFEST,
            "config": {"mediaType": MEDIA_CONFIG, "digest": "sha256:" + sha256(config), "size": len(config)},
            "layers": [
                {"mediaType": MEDIA_LAYER, "digest": "sha256:" + sha256(blob), "size": len(blob)} for blob in (base, app)
            ],
            "annotations": {key: labels[key] for key in sorted(labels) if key != "org.opencontainers.image.title"},
        }
    )
    digest = "sha256:" + sha256(manifest)
    blobs[sha256(manifest)] = manifest
    index = canonical_json(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "manifests": [
                {
                    "mediaType": MEDIA_MANIFEST,
                    "digest": digest,
                    "size": len(manifest),
                    "annotations": {"org.opencontainers.image.ref.name": args.version},
                    "platform": {"architecture": "amd64", "os": "linux"},
                }
            ],
        }
    )
    files = {"oci-layout": canonical_json({"imageLayoutVersion": "1.0.0"}), "index.json": index}
    files.update({f"blobs/sha256/{hexdigest}": blob for hexdigest, blob in blobs.items()})
    with tarfile.open(args.archive, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for folder in ("blobs", "blobs/sha256"):
            info = tarfile.TarInfo(folder)
            info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o755, args.epoch
            tar.addfile(info)
        for name in sorted(files):
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(files[name]), 0o644, args.epoch
            tar.addfile(info, io.BytesIO(files[name]))
    with open(args.sbom, "w") as handle:
        json.dump(sbom(args, created, digest, packages, pins), handle, indent=2, sort_keys=True)
        handle.write("\n")
    print(digest)


if __name__ == "__main__":
    main()
