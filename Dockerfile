# syntax=docker/dockerfile:1
# The cops-vigilante operator image for users who build with Docker. It runs the same scripts as the
# engine-free build that CI proves (scripts/build-image.sh): scripts/build-release.sh for the binary and
# scripts/build-rootfs.sh for everything else in the image (the one definition of the runtime files:
# the shared libraries the binary links, from Debian bookworm packages, the CA bundle, /etc/passwd and
# /etc/group with UID/GID 65532; no shell, no package manager). scripts/check-image.sh fails when the
# final stage's USER, ENTRYPOINT, EXPOSE, VOLUME, ENV or label keys differ from the CI-built image's.
#
#   docker build --build-arg VIGILANTE_COMMIT=$(git rev-parse HEAD) \
#       --build-arg SOURCE_DATE_EPOCH=$(git log -1 --format=%ct) --build-arg VERSION=2.0.0 \
#       -t registry.example.com/cops-vigilante:2.0.0 .
#
# Not built by this repository's CI (its machines have no container engine): see docs/install.md.

# The toolchain the project is developed and tested with (Swift 6.3.1); pin a patch tag if you like.
ARG SWIFT_VERSION=6.3

FROM swift:${SWIFT_VERSION}-bookworm AS build
RUN apt-get update \
    && apt-get install -y --no-install-recommends libsqlite3-dev binutils
WORKDIR /src
# Dependencies first, so a source change does not refetch them.
COPY Package.swift ./
RUN swift package resolve
# SwiftPM checks every target's folder, test targets included, so Tests/ comes along (not built).
COPY Sources ./Sources
COPY Tests ./Tests
COPY scripts/build-release.sh scripts/build-rootfs.sh ./scripts/
ARG VIGILANTE_COMMIT=unknown
ARG SOURCE_DATE_EPOCH=0
RUN VIGILANTE_COMMIT=${VIGILANTE_COMMIT} SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH} \
        bash scripts/build-release.sh /out/vigilante \
    && bash scripts/build-rootfs.sh /out/vigilante /out/image

FROM scratch
COPY --from=build /out/image/rootfs /
COPY --from=build --chown=65532:65532 /out/image/rootfs/var/lib/vigilante /var/lib/vigilante
COPY --from=build /out/vigilante /usr/local/bin/vigilante
ARG VERSION=2.0.0
ARG VIGILANTE_COMMIT=unknown
ARG CREATED=1970-01-01T00:00:00Z
ARG SOURCE_URL=https://github.com/cops-vigilante/cops-vigilante
LABEL org.opencontainers.image.title=cops-vigilante \
    org.opencontainers.image.description="A Kubernetes operator that runs self-healing tasks (vigilante run)" \
    org.opencontainers.image.source=${SOURCE_URL} \
    org.opencontainers.image.version=${VERSION} \
    org.opencontainers.image.revision=${VIGILANTE_COMMIT} \
    org.opencontainers.image.licenses=Apache-2.0 \
    org.opencontainers.image.created=${CREATED}
ENV PATH=/usr/local/bin:/usr/bin:/bin
ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
# The store lives here (the chart mounts a PersistentVolumeClaim); the chart passes
# --config /etc/vigilante/config/config.yaml.
VOLUME ["/var/lib/vigilante"]
USER 65532:65532
# 8000 for HTTP, 8443 with TLS: /tasks, /healthz, /readyz, /metrics.
EXPOSE 8000 8443
ENTRYPOINT ["/usr/local/bin/vigilante", "run"]
