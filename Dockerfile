# syntax=docker/dockerfile:1
# The cops-vigilante operator image: `vigilante run` as a non-root user (UID/GID 65532, the chart's
# runAsUser), on Debian bookworm-slim with only what the binary links besides the C library:
# libsqlite3-0, libstdc++6, zlib1g (libgcc-s1 is in the base) and CA certificates.
#
#   docker build -t registry.example.com/cops-vigilante:2.0.0 .
#
# Not built or run by this repository's CI (its machines have no container engine): see
# docs/install.md.

# The toolchain the project is developed and tested with (Swift 6.3.1); pin a patch tag if you like.
ARG SWIFT_VERSION=6.3

FROM swift:${SWIFT_VERSION}-bookworm AS build
RUN apt-get update \
    && apt-get install -y --no-install-recommends libsqlite3-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Dependencies first, so a source change does not refetch them.
COPY Package.swift ./
RUN swift package resolve
# SwiftPM checks every target's folder, test targets included, so Tests/ comes along (not built).
COPY Sources ./Sources
COPY Tests ./Tests
RUN swift build -c release --static-swift-stdlib --product vigilante \
    && install -D -m 0755 "$(swift build -c release --static-swift-stdlib --show-bin-path)/vigilante" /out/vigilante \
    && strip /out/vigilante

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates libsqlite3-0 libstdc++6 zlib1g \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 65532 vigilante \
    && useradd --system --uid 65532 --gid 65532 --no-create-home --home-dir /var/lib/vigilante \
        --shell /usr/sbin/nologin vigilante \
    && install -d -o 65532 -g 65532 -m 0750 /var/lib/vigilante /etc/vigilante
COPY --from=build /out/vigilante /usr/local/bin/vigilante
# The store lives here (the chart mounts a PersistentVolumeClaim); the configuration is read from
# /etc/vigilante/config.yaml by default (the chart passes --config /etc/vigilante/config/config.yaml).
VOLUME ["/var/lib/vigilante"]
USER 65532:65532
# 8000 for HTTP, 8443 with TLS: /tasks, /healthz, /readyz, /metrics.
EXPOSE 8000 8443
ENTRYPOINT ["vigilante", "run"]
