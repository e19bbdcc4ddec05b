# SPDX-License-Identifier: MIT
#
# prometheus-custom-exporter: one image for both processes of the product.
#   default command  lighttpd (port 8080) spawning metrics.fcgi: the exporter
#   metrics-simulator --store /run/metrics/metrics.store: the writer
# They share a volume at /run/metrics; see docker-compose.yml. One image
# (instead of two targets) because both programs are small, run as the same
# user (so the 0640 store file is readable without group tricks) and must
# agree on the store format: building them together guarantees it.
#
#   podman build --format docker -t prometheus-custom-exporter .
#   docker build -t prometheus-custom-exporter .
# (--format docker keeps the HEALTHCHECK; the OCI format has none.)
#
# Build arguments:
#   DEBIAN_IMAGE / DEBIAN_SLIM_IMAGE  base images (Debian 12 "bookworm")
#   MAKE_CHECK=unit|all|no            tests run during the build (see below)

ARG DEBIAN_IMAGE=docker.io/library/debian:12
ARG DEBIAN_SLIM_IMAGE=docker.io/library/debian:12-slim

# ------------------------------------------------------------------ build
FROM ${DEBIAN_IMAGE} AS build
ARG MAKE_CHECK=unit
ENV DEBIAN_FRONTEND=noninteractive
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      gcc libc6-dev make autoconf automake libtool pkgconf \
      libfcgi-dev libisal-dev check \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /src
COPY . .
# MAKE_CHECK=unit (default) runs the Check suites (the tests/check_* entries
# of TESTS) and builds only those test programs and tests/mkstore, the store
# writer check_resp_serve runs for its corrupt stores; MAKE_CHECK=all runs the
# whole `make check` (the integration scripts skip themselves, exit 77, for
# want of lighttpd, nginx, Prometheus here); MAKE_CHECK=no runs nothing.
# .ci/run runs everything natively; this keeps a broken build out of images.
RUN ./autogen.sh \
 && ./configure --prefix=/usr/local \
 && make -j"$(nproc)" \
 && case "$MAKE_CHECK" in \
    no) ;; \
    all) make -j"$(nproc)" check || { cat test-suite.log; exit 1; } ;; \
    *) unit=$(printf 'pce-print-tests:\n\t@echo $(TESTS)\n' \
              | make -s -f Makefile -f - pce-print-tests \
              | tr ' ' '\n' | grep '^tests/check_' | tr '\n' ' ') \
       && echo "unit suites: $unit" \
       && { make -j"$(nproc)" check TESTS="$unit" check_PROGRAMS="$unit tests/mkstore" \
            || { cat test-suite.log; exit 1; }; } ;; \
    esac \
 && make install DESTDIR=/out \
 && install -D -m 0644 lighttpd.conf /out/etc/prometheus-custom-exporter/lighttpd.conf \
 && test -x /out/usr/local/bin/metrics.fcgi \
 && test -x /out/usr/local/bin/metrics-simulator

# ---------------------------------------------------------------- runtime
FROM ${DEBIAN_SLIM_IMAGE} AS runtime
ENV DEBIAN_FRONTEND=noninteractive
# libfcgi0ldbl: the libfcgi runtime on Debian 12 (libfcgi.so.0); libisal2:
# ISA-L, with which metrics.fcgi gzips /metrics for Prometheus.
# lighttpd's error log (and with it metrics.fcgi's stderr) goes to the
# container's stderr; its FastCGI socket goes to /tmp, the one place that
# must be writable (a tmpfs in docker-compose.yml, where / is read-only).
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      lighttpd libfcgi0ldbl libisal2 \
 && rm -rf /var/lib/apt/lists/* /var/log/apt/* /var/log/dpkg.log \
 && groupadd --system --gid 10001 metrics \
 && useradd --system --uid 10001 --gid metrics --no-create-home \
      --home-dir /nonexistent --shell /usr/sbin/nologin metrics \
 && install -d -o metrics -g metrics -m 0750 /run/metrics \
 && install -d -m 0755 /var/log/metrics-exporter /var/empty/metrics-exporter \
 && ln -s /dev/stderr /var/log/metrics-exporter/error.log

COPY --from=build /out/usr/local/bin/metrics.fcgi /out/usr/local/bin/metrics-simulator /usr/local/bin/
COPY --from=build /out/etc/prometheus-custom-exporter/ /etc/prometheus-custom-exporter/

# The store (both programs), and lighttpd.conf's settings (see its header).
# Started as root anyway, lighttpd drops to the metrics user.
ENV METRICS_STORE=/run/metrics/metrics.store \
    METRICS_HTTP_PORT=8080 \
    METRICS_FCGI=/usr/local/bin/metrics.fcgi \
    METRICS_STATE_DIR=/tmp \
    METRICS_LOG_DIR=/var/log/metrics-exporter \
    METRICS_DOCROOT=/var/empty/metrics-exporter \
    METRICS_USER=metrics \
    METRICS_GROUP=metrics

ARG VERSION=0.1.0
ARG REVISION=unknown
LABEL org.opencontainers.image.title="prometheus-custom-exporter" \
      org.opencontainers.image.description="Prometheus exporter for application metrics: a C library writes a memory-mapped store, metrics.fcgi (FastCGI under lighttpd) serves /metrics; includes the metrics-simulator web-shop writer" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.base.name="docker.io/library/debian:12-slim"

USER 10001:10001
WORKDIR /run/metrics
EXPOSE 8080
VOLUME ["/run/metrics"]

# metrics.fcgi run as a plain CGI program is its own probe: no network, no
# curl. Its first line is "Status: 503 ..." when the store is missing or
# invalid or the writer's heartbeat is stale. (docker-compose.yml probes the
# exporter through lighttpd instead.)
HEALTHCHECK --interval=15s --timeout=5s --start-period=10s --retries=3 \
  CMD ["/bin/sh", "-c", "REQUEST_METHOD=GET PATH_INFO=/health /usr/local/bin/metrics.fcgi </dev/null 2>/dev/null | grep -q '^Status: 200'"]

CMD ["lighttpd", "-D", "-f", "/etc/prometheus-custom-exporter/lighttpd.conf"]
