#!/bin/bash
# SPDX-License-Identifier: MIT
#
# tests/container/run.sh: build the project's container images with podman
# and run the real docker-compose.yml (simulator + exporter + Prometheus),
# then check the stack from the host over 127.0.0.1.
#
# Not part of `make check` (it needs root, podman and several minutes on a
# cold cache); .ci/run calls it after make check. Run it by hand with
#     sudo tests/container/run.sh
#
# What it does
#   1. preflight: root, podman, runc, docker-compose, namespaces, iptables
#      (exit 77 with a reason when the machine cannot run containers);
#   2. writes its own containers.conf / storage.conf (runc, cgroupfs,
#      explicit ulimits, file events, netavark, private storage) and points
#      podman at them with CONTAINERS_CONF / CONTAINERS_STORAGE_CONF;
#   3. creates docker.io/library/debian:12 and :12-slim from a debootstrap
#      rootfs if missing (no registry is reachable; the rootfs tarballs are
#      cached under $PCE_CACHE_DIR so reruns skip debootstrap);
#   4. builds the Prometheus stand-in (tests/container/Dockerfile.prometheus)
#      tagged docker.io/prom/prometheus:v2.42.0, and the project image from
#      the top-level Dockerfile (docker format, so HEALTHCHECK is kept);
#   5. starts `podman system service` on a private socket and runs
#      `docker-compose up -d` on the real docker-compose.yml with
#      DOCKER_HOST pointing at it;
#   6. checks /metrics, /health, the image HEALTHCHECK, the exporter's user
#      and read-only store, and Prometheus (target up, query has data);
#   7. `docker-compose down -v`, removes anything left with the project's
#      label, stops the podman service (also on failure or interrupt).
#
# Environment (all optional)
#   PCE_CACHE_DIR       rootfs tarballs + podman storage (/var/cache/pce-container)
#   PCE_STATE_DIR       podman run state, must not be shared with other
#                       podman users (/run/pce-container)
#   PCE_REFRESH_BASE=1  re-run debootstrap and re-import the base images
#   PCE_DEBIAN_MIRROR   mirror for debootstrap and the images' apt sources
#                       (default: taken from /etc/apt/sources.list{,.d})
#   PCE_HTTP_PORT, PCE_PROM_PORT   host ports (default 8080/9090; a free
#                       port is picked when the default is taken)
#   PCE_MAKE_CHECK      the Dockerfile's MAKE_CHECK build argument: unit
#                       (its default), all or no
#   PCE_REQUIRED=1      turn "cannot run here" (77) into a failure
#   PCE_KEEP_IMAGES=0   remove the project image at the end (default: keep
#                       it, and the layer cache, for fast reruns)
#   V=1                 show build output while it runs
#
# Exit status: 0 all checks passed, 1 a check failed, 77 skipped.

set -u -o pipefail
umask 022

SKIP=77
here=$(cd "$(dirname "$0")" && pwd)
srcdir=$(cd "${top_srcdir:-$here/../..}" && pwd)

PCE_CACHE_DIR=${PCE_CACHE_DIR:-/var/cache/pce-container}
PCE_STATE_DIR=${PCE_STATE_DIR:-/run/pce-container}
DEBIAN_SUITE=bookworm
BASE_IMAGE=docker.io/library/debian:12
SLIM_IMAGE=docker.io/library/debian:12-slim
PROM_IMAGE=docker.io/prom/prometheus:v2.42.0
PCE_IMAGE=${PCE_IMAGE:-localhost/prometheus-custom-exporter:latest}
case ${PCE_IMAGE##*/} in
*:*) BUILD_STAGE_IMAGE=${PCE_IMAGE%:*}:build-stage ;;
*)   BUILD_STAGE_IMAGE=$PCE_IMAGE:build-stage ;;
esac
PROJECT=pcetest$$
T0=$(date +%s)

# ---------------------------------------------------------------- helpers
log()  { printf '[container %4ds] %s\n' "$(( $(date +%s) - T0 ))" "$*" >&2; }
skip() {
	log "SKIP: $*"
	if [ "${PCE_REQUIRED:-0}" = 1 ]; then
		log "PCE_REQUIRED=1: treating the skip as a failure"
		exit 1
	fi
	exit "$SKIP"
}

RESULTS=()
FAILED=0
pass() { RESULTS+=("PASS  $1"); log "PASS  $1"; }
fail() { RESULTS+=("FAIL  $1${2:+: $2}"); FAILED=1; log "FAIL  $1${2:+: $2}"; }

# Run a long command with its output in a log file; show the tail on failure.
run_logged() {
	local logfile=$1; shift
	if [ "${V:-0}" = 1 ]; then
		"$@" 2>&1 | tee "$logfile"
	else
		"$@" >"$logfile" 2>&1
	fi
	local rc=$?
	if [ $rc -ne 0 ]; then
		log "command failed (exit $rc): $*"
		log "last lines of $logfile:"
		tail -n 40 "$logfile" | sed 's/^/    | /' >&2
	fi
	return $rc
}

port_busy() { ss -ltnH "( sport = :$1 )" 2>/dev/null | grep -q .; }
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
pick_port() { # default
	if port_busy "$1"; then free_port; else echo "$1"; fi
}

# ---------------------------------------------------------------- preflight
[ "$(id -u)" -eq 0 ] || skip "needs root (rootful podman, debootstrap); run with sudo"
for tool in podman runc docker-compose curl python3 iptables ip ss tar gzip flock unshare; do
	command -v "$tool" >/dev/null 2>&1 ||
		skip "'$tool' not found (Debian: podman runc docker-compose curl python3 iptables iproute2 util-linux)"
done
# netavark with aardvark-dns: only podman's Recommends, but compose service
# names (Prometheus finds "exporter" by DNS) need both.
for helper in netavark aardvark-dns; do
	found=
	for d in /usr/local/libexec/podman /usr/local/lib/podman /usr/libexec/podman /usr/lib/podman; do
		[ -x "$d/$helper" ] && found=$d/$helper && break
	done
	[ -n "$found" ] || skip "podman's $helper is not installed (Debian: apt-get install netavark aardvark-dns)"
done
[ -f "$srcdir/Dockerfile" ] || { log "no Dockerfile in $srcdir"; exit 1; }
[ -f "$srcdir/docker-compose.yml" ] || { log "no docker-compose.yml in $srcdir"; exit 1; }
unshare --mount --uts --ipc --net --pid --fork true 2>/dev/null ||
	skip "cannot create kernel namespaces (unshare failed): containers cannot run here"
grep -qE '^[^ ]+ /sys/fs/cgroup' /proc/mounts ||
	skip "no cgroup filesystem mounted at /sys/fs/cgroup"
iptables -w -n -L >/dev/null 2>&1 ||
	skip "iptables does not work here; podman bridge networks need it"

mkdir -p "$PCE_CACHE_DIR" "$PCE_STATE_DIR" || exit 1
# One run at a time: runs share the storage and the default ports.
exec 9>"$PCE_STATE_DIR/lock"
if ! flock -w 900 9; then
	log "another run.sh holds $PCE_STATE_DIR/lock (waited 15 min)"
	exit 1
fi

WORK=$(mktemp -d /tmp/pce-container.XXXXXX) || exit 1
SOCK=$WORK/podman.sock
SERVICE_PID=
PROM_BUILD_PID=
ROOTFS_DIR=

# ---------------------------------------------------------------- podman config
cat >"$WORK/containers.conf" <<EOF
# Written by tests/container/run.sh: podman settings that work on Debian 12
# hosts with a hybrid cgroup v1/v2 layout. See containers.conf(5).
[containers]
# Explicit limits: podman would otherwise copy the host's, which runc refuses.
default_ulimits = ["nofile=1024:1024", "nproc=1000:1000"]
# No journald on these machines.
log_driver = "k8s-file"

[engine]
# crun fails on the hybrid cgroup layout; runc works.
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$PCE_STATE_DIR/events.log"
tmp_dir = "$PCE_STATE_DIR/libpod"
# No registry is reachable; every image is built or imported locally.
pull_policy = "never"

[network]
# netavark + aardvark-dns: compose service names resolve inside the network.
network_backend = "netavark"
network_config_dir = "$PCE_STATE_DIR/networks"
EOF
cat >"$WORK/storage.conf" <<EOF
# Written by tests/container/run.sh: a private image store, kept between runs.
[storage]
driver = "overlay"
graphroot = "$PCE_CACHE_DIR/storage"
runroot = "$PCE_STATE_DIR/storage"
EOF
export CONTAINERS_CONF=$WORK/containers.conf
export CONTAINERS_STORAGE_CONF=$WORK/storage.conf
# Never let podman ask which registry a short name means.
export CONTAINERS_REGISTRIES_CONF=$WORK/registries.conf
printf 'unqualified-search-registries = []\nshort-name-mode = "disabled"\n' >"$CONTAINERS_REGISTRIES_CONF"

# ---------------------------------------------------------------- cleanup
compose() {
	DOCKER_HOST=unix://$SOCK COMPOSE_HTTP_TIMEOUT=180 \
	PCE_IMAGE=$PCE_IMAGE PCE_PUBLISH_ADDR=127.0.0.1 \
	PCE_HTTP_PORT=$HTTP_PORT PCE_PROM_PORT=$PROM_PORT \
		docker-compose --ansi never -p "$PROJECT" \
		-f "$srcdir/docker-compose.yml" --project-directory "$srcdir" "$@"
}

COMPOSE_STARTED=0
NAT_CHAINS_BEFORE=
BRIDGE_IF=
nat_dn_chains() {
	iptables -w -t nat -S 2>/dev/null | awk '$1 == "-N" && $2 ~ /^NETAVARK-DN-/ { print $2 }'
}
# netavark 1.4 leaves an empty port-forwarding chain per container and the
# isolation rules of a removed bridge behind: drop the ones this run made.
netavark_leftovers() {
	local c rule
	for c in $(nat_dn_chains); do
		case " $NAT_CHAINS_BEFORE " in *" $c "*) continue ;; esac
		[ "$(iptables -w -t nat -S "$c" 2>/dev/null | wc -l)" -eq 1 ] || continue
		iptables -w -t nat -S | grep -qE -- "-j $c( |\$)" && continue
		iptables -w -t nat -X "$c"
	done
	if [ -n "$BRIDGE_IF" ] && ! ip link show "$BRIDGE_IF" >/dev/null 2>&1; then
		iptables -w -S | grep -E -- "^-A NETAVARK_ISOLATION_[12] .*-[io] $BRIDGE_IF( |\$)" |
			while read -r rule; do
				# shellcheck disable=SC2086
				iptables -w -D ${rule#-A }
			done
	fi
}

cleanup() {
	local rc=$?
	trap '' INT TERM
	if [ "$COMPOSE_STARTED" = 1 ]; then
		if [ "$FAILED" = 1 ] || [ $rc -ne 0 ]; then
			log "compose logs (last 60 lines per service):"
			compose logs --no-color --tail=60 2>&1 | sed 's/^/    | /' >&2
		fi
		log "docker-compose down -v"
		compose down -v --remove-orphans --timeout 10 >"$WORK/compose-down.log" 2>&1 ||
			{ log "docker-compose down failed:"; tail -n 20 "$WORK/compose-down.log" >&2; }
	fi
	# Whatever compose left behind (also after an interrupted `up`).
	local label=com.docker.compose.project=$PROJECT ids
	ids=$(podman ps -aq --filter "label=$label" 2>/dev/null)
	[ -n "$ids" ] && { log "removing leftover containers"; podman rm -f -t 5 $ids >/dev/null 2>&1; }
	ids=$(podman pod ps -q --filter "label=$label" 2>/dev/null)
	[ -n "$ids" ] && podman pod rm -f $ids >/dev/null 2>&1
	ids=$(podman volume ls -q --filter "label=$label" 2>/dev/null)
	[ -n "$ids" ] && { log "removing leftover volumes"; podman volume rm -f $ids >/dev/null 2>&1; }
	ids=$(podman network ls -q --filter "label=$label" 2>/dev/null)
	[ -n "$ids" ] && { log "removing leftover networks"; podman network rm -f $ids >/dev/null 2>&1; }
	[ "$COMPOSE_STARTED" = 1 ] && netavark_leftovers
	[ -n "$ROOTFS_DIR" ] && { rm_rootfs "$ROOTFS_DIR"; rm -f "$PCE_CACHE_DIR"/*.tar.tmp; }
	if [ -n "$PROM_BUILD_PID" ]; then
		kill -TERM "$PROM_BUILD_PID" 2>/dev/null
		wait "$PROM_BUILD_PID" 2>/dev/null
	fi
	if [ -n "$SERVICE_PID" ]; then
		log "stopping podman system service (pid $SERVICE_PID)"
		kill -TERM "$SERVICE_PID" 2>/dev/null
		local i=0
		while kill -0 "$SERVICE_PID" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.2; i=$((i + 1)); done
		kill -KILL "$SERVICE_PID" 2>/dev/null
		wait "$SERVICE_PID" 2>/dev/null
	fi
	if [ "${PCE_KEEP_IMAGES:-1}" = 0 ]; then
		podman rmi -f "$PCE_IMAGE" "$BUILD_STAGE_IMAGE" >/dev/null 2>&1
	fi
	# Old project images left untagged by rebuilds (the layers still in
	# use stay: they belong to tagged images).
	podman image prune -f >/dev/null 2>&1

	if [ ${#RESULTS[@]} -gt 0 ]; then
		echo "==== container test summary ($(( $(date +%s) - T0 )) s) ===="
		printf '%s\n' "${RESULTS[@]}"
	fi
	if [ "$FAILED" = 1 ] || { [ $rc -ne 0 ] && [ $rc -ne $SKIP ]; }; then
		[ $rc -eq 0 ] && rc=1
		echo "RESULT: FAIL (logs kept in $WORK)"
	elif [ $rc -eq 0 ]; then
		echo "RESULT: PASS"
		rm -rf "$WORK"
	else
		rm -rf "$WORK"
	fi
	exit $rc
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM HUP

podman info >"$WORK/podman-info.log" 2>&1 ||
	{ tail -n 20 "$WORK/podman-info.log" >&2; skip "podman info fails with these settings"; }

# ---------------------------------------------------------------- base images
# The Debian mirror the host uses (deb822 .sources or one-line .list).
host_mirror() {
	local suite=$1
	{
		for f in /etc/apt/sources.list.d/*.sources; do
			[ -f "$f" ] || continue
			awk -v want="$suite" '
				function flush() {
					if (uris != "" && (" " suites " ") ~ (" " want " ")) { print uris; exit }
					uris = ""; suites = ""
				}
				/^[ \t]*$/ { flush(); next }
				tolower($1) == "uris:"   { uris = $2 }
				tolower($1) == "suites:" { $1 = ""; suites = $0 }
				END { flush() }' "$f"
		done
		cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
			sed -e 's/\[[^]]*\]//' | awk -v want="$suite" '$1 == "deb" && $3 == want { print $2 }'
	} | grep -E '^https?://' | head -n 1
}

# Remove a debootstrap target: never into a proc/sys/dev mount that a killed
# debootstrap left behind.
rm_rootfs() {
	local m
	[ -e "$1" ] || return 0
	for m in $(awk -v p="$1/" 'index($2, p) == 1 { print $2 }' /proc/mounts | sort -r); do
		umount -l "$m" || return 1
	done
	rm -rf --one-file-system "$1"
}

make_rootfs() {
	command -v debootstrap >/dev/null 2>&1 || skip "debootstrap not installed and no cached rootfs in $PCE_CACHE_DIR"
	local mirror security dir
	mirror=${PCE_DEBIAN_MIRROR:-$(host_mirror "$DEBIAN_SUITE")}
	mirror=${mirror:-http://deb.debian.org/debian}
	security=$(host_mirror "$DEBIAN_SUITE-security")
	security=${security:-http://deb.debian.org/debian-security}
	dir=$PCE_CACHE_DIR/rootfs.$$
	ROOTFS_DIR=$dir
	rm_rootfs "$dir"
	log "debootstrap --variant=minbase $DEBIAN_SUITE from $mirror (about a minute)"
	if ! run_logged "$WORK/debootstrap.log" \
		debootstrap --variant=minbase "$DEBIAN_SUITE" "$dir" "$mirror"; then
		rm_rootfs "$dir"
		fail "debootstrap" "see $WORK/debootstrap.log"
		exit 1
	fi
	# Make it look like the official image: deb822 sources with updates and
	# security, no downloaded packages or lists, no host identity.
	rm -f "$dir/etc/apt/sources.list"
	cat >"$dir/etc/apt/sources.list.d/debian.sources" <<-EOF
	Types: deb
	URIs: $mirror
	Suites: $DEBIAN_SUITE $DEBIAN_SUITE-updates
	Components: main
	Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

	Types: deb
	URIs: $security
	Suites: $DEBIAN_SUITE-security
	Components: main
	Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
	EOF
	rm -rf "$dir"/var/cache/apt/archives/*.deb "$dir"/var/cache/apt/*.bin "$dir"/var/lib/apt/lists/*
	mkdir -p "$dir/var/lib/apt/lists/partial"
	rm -f "$dir/etc/resolv.conf" "$dir/etc/hostname"
	: >"$dir/etc/machine-id"
	find "$dir/var/log" -type f -exec truncate -s 0 {} +
	tar --numeric-owner -C "$dir" -cf "$PCE_CACHE_DIR/debian-12.tar.tmp" . &&
		mv "$PCE_CACHE_DIR/debian-12.tar.tmp" "$PCE_CACHE_DIR/debian-12.tar" || exit 1
	# The slim variant, as the official one: no docs (but copyrights),
	# manuals, info pages or translations, and dpkg keeps it that way.
	find "$dir/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
	find "$dir/usr/share/doc" -mindepth 1 -type d -empty -delete
	rm -rf "$dir"/usr/share/man/* "$dir"/usr/share/info/* "$dir"/usr/share/locale/* \
		"$dir"/usr/share/groff/* "$dir"/usr/share/lintian/* "$dir"/usr/share/linda/*
	cat >"$dir/etc/dpkg/dpkg.cfg.d/docker" <<-'EOF'
	path-exclude /usr/share/doc/*
	path-include /usr/share/doc/*/copyright
	path-exclude /usr/share/man/*
	path-exclude /usr/share/groff/*
	path-exclude /usr/share/info/*
	path-exclude /usr/share/lintian/*
	path-exclude /usr/share/linda/*
	path-exclude /usr/share/locale/*
	EOF
	tar --numeric-owner -C "$dir" -cf "$PCE_CACHE_DIR/debian-12-slim.tar.tmp" . &&
		mv "$PCE_CACHE_DIR/debian-12-slim.tar.tmp" "$PCE_CACHE_DIR/debian-12-slim.tar" || exit 1
	rm_rootfs "$dir" && ROOTFS_DIR=
}

import_base() { # tarball image
	log "importing $1 as $2"
	run_logged "$WORK/import.log" podman import \
		--change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
		--change 'CMD ["bash"]' \
		--message "debootstrap --variant=minbase $DEBIAN_SUITE (tests/container/run.sh)" \
		"$1" "$2" || { fail "base image $2"; exit 1; }
}

refresh=${PCE_REFRESH_BASE:-0}
if [ "$refresh" = 1 ]; then
	rm -f "$PCE_CACHE_DIR/debian-12.tar" "$PCE_CACHE_DIR/debian-12-slim.tar"
fi
if [ "$refresh" = 1 ] || ! podman image exists "$BASE_IMAGE" || ! podman image exists "$SLIM_IMAGE"; then
	if [ ! -s "$PCE_CACHE_DIR/debian-12.tar" ] || [ ! -s "$PCE_CACHE_DIR/debian-12-slim.tar" ]; then
		make_rootfs
	else
		log "using cached rootfs tarballs in $PCE_CACHE_DIR"
	fi
	# Importing again under the same name moves the tag; images built on
	# the old base keep it as an untagged parent until they go.
	{ [ "$refresh" = 1 ] || ! podman image exists "$BASE_IMAGE"; } &&
		import_base "$PCE_CACHE_DIR/debian-12.tar" "$BASE_IMAGE"
	{ [ "$refresh" = 1 ] || ! podman image exists "$SLIM_IMAGE"; } &&
		import_base "$PCE_CACHE_DIR/debian-12-slim.tar" "$SLIM_IMAGE"
fi

# Can podman start a container at all here?
if ! podman run --rm --network none "$SLIM_IMAGE" true >"$WORK/podman-run.log" 2>&1; then
	sed 's/^/    | /' "$WORK/podman-run.log" >&2
	skip "podman cannot start a container on this machine (see above)"
fi
pass "podman runs containers (runc, cgroupfs)"

# ---------------------------------------------------------------- images
# The stand-in builds in the background while the project image builds.
log "building the Prometheus stand-in $PROM_IMAGE (in the background)"
mkdir -p "$WORK/empty"
(exec podman build --format docker \
	--build-arg "BASE_IMAGE=$SLIM_IMAGE" -t "$PROM_IMAGE" \
	-f "$here/Dockerfile.prometheus" "$WORK/empty" >"$WORK/build-prometheus.log" 2>&1 9>&-) &
PROM_BUILD_PID=$!

# The build context: in a git checkout, the files git knows or would add
# (tracked + untracked, minus .gitignore'd), so a tree configured or built
# in place (.ci/run does that before us) cannot leak its outputs into the
# image; .dockerignore applies on top, as for `docker build .`.
context=$srcdir
if git -C "$srcdir" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	context=$WORK/context
	mkdir -p "$context"
	(cd "$srcdir" && git ls-files -z --cached --others --exclude-standard |
		while IFS= read -r -d '' f; do
			[ -e "$f" ] || [ -L "$f" ] || continue   # deleted, not committed
			cp -a --parents -- "$f" "$context/" || exit 1
		done) || { fail "copy the build context from git ls-files"; exit 1; }
fi

log "building $PCE_IMAGE from $srcdir/Dockerfile (cold: a few minutes)"
t=$(date +%s)
# The build stage gets a tag of its own: untagged, `podman image prune` at
# the end would throw its layers (the build dependencies) out of the cache.
# docker format: the OCI image format has no HEALTHCHECK.
build_args=()
[ -n "${PCE_MAKE_CHECK:-}" ] && build_args+=(--build-arg "MAKE_CHECK=$PCE_MAKE_CHECK")
if run_logged "$WORK/build-stage.log" podman build --format docker "${build_args[@]}" \
		--target build -t "$BUILD_STAGE_IMAGE" -f "$srcdir/Dockerfile" "$context" &&
	run_logged "$WORK/build-project.log" podman build --format docker "${build_args[@]}" \
		-t "$PCE_IMAGE" -f "$srcdir/Dockerfile" "$context"; then
	pass "image $PCE_IMAGE built ($(( $(date +%s) - t )) s)"
else
	fail "image $PCE_IMAGE built" "see $WORK/build-stage.log, $WORK/build-project.log"
	exit 1
fi

wait "$PROM_BUILD_PID"; rc=$?
PROM_BUILD_PID=
if [ $rc -eq 0 ]; then
	pass "image $PROM_IMAGE (stand-in) built"
else
	fail "image $PROM_IMAGE (stand-in) built" "exit $rc, see $WORK/build-prometheus.log"
	tail -n 30 "$WORK/build-prometheus.log" | sed 's/^/    | /' >&2
	exit 1
fi

# ---------------------------------------------------------------- compose
HTTP_PORT=${PCE_HTTP_PORT:-$(pick_port 8080)}
PROM_PORT=${PCE_PROM_PORT:-$(pick_port 9090)}
for p in "$HTTP_PORT" "$PROM_PORT"; do
	port_busy "$p" && { fail "host port $p is free" "in use"; exit 1; }
done

log "starting podman system service on $SOCK"
podman system service --time=0 "unix://$SOCK" >"$WORK/podman-service.log" 2>&1 9>&- &
SERVICE_PID=$!
for _ in $(seq 1 100); do
	curl -fsS -m 2 --unix-socket "$SOCK" http://d/_ping >/dev/null 2>&1 && break
	kill -0 "$SERVICE_PID" 2>/dev/null || break
	sleep 0.1
done
if ! curl -fsS -m 2 --unix-socket "$SOCK" http://d/_ping >/dev/null 2>&1; then
	tail -n 20 "$WORK/podman-service.log" >&2
	fail "podman system service answers" ; exit 1
fi

log "docker-compose -p $PROJECT up -d (ports: http $HTTP_PORT, prometheus $PROM_PORT)"
NAT_CHAINS_BEFORE=$(nat_dn_chains | tr '\n' ' ')
COMPOSE_STARTED=1
if run_logged "$WORK/compose-up.log" compose up -d --no-build; then
	pass "docker-compose up"
else
	fail "docker-compose up" "see $WORK/compose-up.log"
	exit 1
fi
compose ps >&2
BRIDGE_IF=$(podman network inspect "${PROJECT}_default" --format '{{.NetworkInterface}}' 2>/dev/null)

cid() { compose ps -q "$1" 2>/dev/null | head -n 1; }
EXPORTER=$(cid exporter)
SIMULATOR=$(cid simulator)
[ -n "$EXPORTER" ] && [ -n "$SIMULATOR" ] && [ -n "$(cid prometheus)" ] ||
	{ fail "all three services have a container"; exit 1; }

# ---------------------------------------------------------------- checks
BASE=http://127.0.0.1:$HTTP_PORT
PROM=http://127.0.0.1:$PROM_PORT

# /metrics: wait for the simulator's first tick to be visible.
code='' ok=0 end=$((SECONDS + 60))
while [ $SECONDS -lt $end ]; do
	code=$(curl -sS -m 5 -o "$WORK/metrics.txt" -w '%{http_code}' "$BASE/metrics" 2>/dev/null)
	if [ "$code" = 200 ] && grep -q '^shop_http_requests_total' "$WORK/metrics.txt"; then ok=1; break; fi
	sleep 1
done
METRICS_OK=$ok
if [ $ok = 1 ]; then
	pass "GET /metrics 200 with shop_http_requests_total ($(grep -c '^[a-z]' "$WORK/metrics.txt") samples)"
else
	fail "GET /metrics 200 with shop_http_requests_total" "last status '$code'"
	head -c 2000 "$WORK/metrics.txt" 2>/dev/null | sed 's/^/    | /' >&2
fi

code=$(curl -sS -m 5 -o "$WORK/health.txt" -w '%{http_code}' "$BASE/health" 2>/dev/null)
if [ "$code" = 200 ]; then
	pass "GET /health 200 ($(head -c 80 "$WORK/health.txt" | tr -d '\n'))"
else
	fail "GET /health 200" "got '$code': $(head -c 200 "$WORK/health.txt" 2>/dev/null)"
fi

# What Prometheus asks for: gzip (lighttpd's mod_deflate, a separate
# package on Debian 12) and OpenMetrics.
hdrs=$(curl -sS -m 5 -H 'Accept-Encoding: gzip' -D - -o "$WORK/metrics.gz" "$BASE/metrics" 2>&1)
if grep -qi '^Content-Encoding: *gzip' <<<"$hdrs" && gzip -t "$WORK/metrics.gz" 2>/dev/null; then
	pass "GET /metrics gzip-encoded on request"
else
	fail "GET /metrics gzip-encoded on request" "$(tr -d '\r' <<<"$hdrs" | head -n 8 | tr '\n' ' ')"
fi
hdrs=$(curl -sS -m 5 -H 'Accept: application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5' \
	-D - -o "$WORK/metrics.om" "$BASE/metrics" 2>&1)
if grep -qi '^Content-Type: *application/openmetrics-text' <<<"$hdrs" &&
	[ "$(tail -n 1 "$WORK/metrics.om" 2>/dev/null)" = "# EOF" ]; then
	pass "GET /metrics OpenMetrics on request"
else
	fail "GET /metrics OpenMetrics on request" "$(tr -d '\r' <<<"$hdrs" | head -n 8 | tr '\n' ' ')"
fi

# Healthchecks: podman runs them from systemd timers, absent here; run them.
for svc in exporter simulator; do
	c=$(cid $svc)
	if out=$(podman healthcheck run "$c" 2>&1); then
		pass "$svc healthcheck"
	else
		fail "$svc healthcheck" "$out"
	fi
done

uid=$(podman exec "$EXPORTER" id -u 2>&1)
if [ "$uid" != 0 ] && [ -n "$uid" ] && [ "$uid" -eq "$uid" ] 2>/dev/null; then
	pass "exporter runs as non-root uid $uid"
else
	fail "exporter runs as non-root" "id -u: $uid"
fi
if podman exec "$EXPORTER" sh -c 'touch /run/metrics/.probe' >/dev/null 2>&1; then
	fail "exporter cannot write the store volume"
else
	pass "exporter mounts the store read-only"
fi

# Prometheus: the exporter found by DNS SD and scraped successfully.
# Prometheus needs a DNS refresh and a scrape or two; no need to wait that
# long when the exporter is already known to be broken.
wait_s=90; [ "$METRICS_OK" = 1 ] || wait_s=30
ok=0 summary='' end=$((SECONDS + wait_s))
while [ $SECONDS -lt $end ]; do
	if curl -fsS -m 5 -o "$WORK/targets.json" "$PROM/api/v1/targets?state=active" 2>/dev/null; then
		summary=$(python3 - "$WORK/targets.json" <<-'EOF'
		import json, sys
		d = json.load(open(sys.argv[1]))
		up = []
		for t in d.get("data", {}).get("activeTargets", []):
		    url = t.get("scrapeUrl", "")
		    print("  target %s pool=%s health=%s %s" % (url, t.get("scrapePool"), t.get("health"),
		          t.get("lastError", "")), file=sys.stderr)
		    if url.endswith(":8080/metrics") and t.get("health") == "up":
		        up.append(url)
		print(" ".join(up))
		EOF
		)
		[ -n "$summary" ] && { ok=1; break; }
	fi
	sleep 1
done 2>"$WORK/targets.txt"
if [ $ok = 1 ]; then
	pass "Prometheus target up: $summary"
else
	fail "Prometheus target for the exporter up"
	sort -u "$WORK/targets.txt" | sed 's/^/    | /' >&2
fi

ok=0 end=$((SECONDS + 30))
while [ $SECONDS -lt $end ]; do
	if curl -fsS -m 5 -o "$WORK/query.json" "$PROM/api/v1/query?query=shop_http_requests_total" 2>/dev/null &&
		n=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["status"]=="success"; print(len(d["data"]["result"]))' "$WORK/query.json" 2>/dev/null) &&
		[ "${n:-0}" -gt 0 ]; then
		ok=1; break
	fi
	sleep 1
done
if [ $ok = 1 ]; then
	pass "Prometheus query shop_http_requests_total: $n series"
else
	fail "Prometheus query shop_http_requests_total returns data" "$(head -c 300 "$WORK/query.json" 2>/dev/null)"
fi

# Rules loaded, if prometheus.yml names any (informational unless they fail).
if curl -fsS -m 5 -o "$WORK/rules.json" "$PROM/api/v1/rules" 2>/dev/null; then
	r=$(python3 -c '
import json,sys
d=json.load(open(sys.argv[1]))["data"]["groups"]
bad=[r["name"] for g in d for r in g["rules"] if r.get("health") not in ("ok","unknown")]
print(sum(len(g["rules"]) for g in d), len(d), " ".join(bad))' "$WORK/rules.json" 2>/dev/null)
	set -- $r
	if [ $# -gt 2 ]; then
		shift 2; fail "Prometheus rules healthy" "$*"
	else
		pass "Prometheus rules loaded: ${1:-0} rules in ${2:-0} groups"
	fi
fi

exit $FAILED
