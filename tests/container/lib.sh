# SPDX-License-Identifier: MIT
#
# tests/container/lib.sh: what the container tests share (run.sh: the
# compose stack; kube.sh: the Kubernetes pod; packages.sh: the Debian
# packages in a fresh Debian 12).  Sourced, not run.  A test script sets
# CT_NAME (its name in the log) and then calls, in this order:
#   ct_preflight TOOL...   root, podman, namespaces, iptables, the tools
#                          it needs (exit 77 with a reason otherwise)
#   ct_setup               one run at a time (a lock), a work dir, podman
#                          settings of its own, cleanup on exit
#   ct_base_images         docker.io/library/debian:12 and :12-slim from
#                          a debootstrap rootfs (cached), and a first
#                          container to prove podman runs here
# and may add cleanup steps with ct_on_exit FUNCTION (run last first).
#
# Podman settings (see containers.conf(5)): runc (crun fails on the hybrid
# cgroup layout of these machines), cgroupfs, explicit ulimits, file events,
# netavark + aardvark-dns, no registry (every image is built or imported
# here), private image storage kept between runs.
#
# Environment (all optional)
#   PCE_CACHE_DIR       rootfs tarballs + podman storage (/var/cache/pce-container)
#   PCE_STATE_DIR       podman run state, must not be shared with other
#                       podman users (/run/pce-container)
#   PCE_REFRESH_BASE=1  re-run debootstrap and re-import the base images
#   PCE_DEBIAN_MIRROR   mirror for debootstrap and the images' apt sources
#                       (default: taken from /etc/apt/sources.list{,.d})
#   PCE_IMAGE           the project image (localhost/prometheus-custom-exporter:latest)
#   PCE_MAKE_CHECK      the Dockerfile's MAKE_CHECK build argument: unit
#                       (its default), all or no
#   PCE_REQUIRED=1      turn "cannot run here" (77) into a failure
#   PCE_KEEP_IMAGES=0   remove the project image at the end (default: keep
#                       it, and the layer cache, for fast reruns)
#   V=1                 show build output while it runs

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
PCE_IMAGE=${PCE_IMAGE:-localhost/prometheus-custom-exporter:latest}
case ${PCE_IMAGE##*/} in
*:*) BUILD_STAGE_IMAGE=${PCE_IMAGE%:*}:build-stage ;;
*)   BUILD_STAGE_IMAGE=$PCE_IMAGE:build-stage ;;
esac
T0=$(date +%s)
CT_NAME=${CT_NAME:-container}

# ---------------------------------------------------------------- helpers
log()  { printf '[%s %4ds] %s\n' "$CT_NAME" "$(( $(date +%s) - T0 ))" "$*" >&2; }
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

# http_wait NAME URL SECONDS [GREP]: poll URL until it answers 200 (and its
# body has a line matching GREP); the body lands in $WORK/NAME.  Sets CODE.
http_wait() {
	local name=$1 url=$2 secs=$3 pattern=${4:-} end=$((SECONDS + $3))
	CODE=
	while :; do
		CODE=$(curl -sS -m 5 -o "$WORK/$name" -w '%{http_code}' "$url" 2>/dev/null)
		if [ "$CODE" = 200 ] && { [ -z "$pattern" ] || grep -q -- "$pattern" "$WORK/$name"; }; then
			return 0
		fi
		[ $SECONDS -lt $end ] || return 1
		sleep 1
	done
}

# check_scrape BASE [NOTE]: BASE/metrics answers 200 with the shop's
# metrics (waiting up to a minute for the writer's first tick) and
# BASE/health 200.  Sets METRICS_OK to 1 or 0.
check_scrape() {
	local base=$1 note=${2:+, $2}
	if http_wait metrics.txt "$base/metrics" 60 '^shop_http_requests_total'; then
		METRICS_OK=1
		pass "GET $base/metrics 200 with shop_http_requests_total ($(grep -c '^[a-z]' "$WORK/metrics.txt") samples$note)"
	else
		METRICS_OK=0
		fail "GET $base/metrics 200 with shop_http_requests_total$note" "last status '$CODE'"
		head -c 2000 "$WORK/metrics.txt" 2>/dev/null | sed 's/^/    | /' >&2
	fi
	if http_wait health.txt "$base/health" 5 '^ok'; then
		pass "GET $base/health 200 ($(head -c 60 "$WORK/health.txt" | tr -d '\n')$note)"
	else
		fail "GET $base/health 200$note" "status '$CODE': $(head -c 200 "$WORK/health.txt" 2>/dev/null)"
	fi
}

# check_gzip BASE: what Prometheus asks for, a gzip-encoded /metrics.
check_gzip() {
	local hdrs
	hdrs=$(curl -sS -m 5 -H 'Accept-Encoding: gzip' -D - -o "$WORK/metrics.gz" "$1/metrics" 2>&1)
	if grep -qi '^Content-Encoding: *gzip' <<<"$hdrs" && gzip -t "$WORK/metrics.gz" 2>/dev/null; then
		pass "GET $1/metrics gzip-encoded on request"
	else
		fail "GET $1/metrics gzip-encoded on request" "$(tr -d '\r' <<<"$hdrs" | head -n 8 | tr '\n' ' ')"
	fi
}

# Stop a background process we started, and wait for it (orphans are not
# reaped on these machines).
stop_pid() {
	local pid=$1 i=0
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null
	while kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.2; i=$((i + 1)); done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
}

# ---------------------------------------------------------------- preflight
ct_preflight() {
	local tool helper d found
	[ "$(id -u)" -eq 0 ] || skip "needs root (rootful podman, debootstrap); run with sudo"
	for tool in podman runc curl python3 iptables ip ss tar gzip flock unshare "$@"; do
		command -v "$tool" >/dev/null 2>&1 ||
			skip "'$tool' not found (Debian: .ci/debian-packages.txt lists what the container tests use)"
	done
	# netavark with aardvark-dns: only podman's Recommends, but compose
	# service names (Prometheus finds "exporter" by DNS) need both.
	for helper in netavark aardvark-dns; do
		found=
		for d in /usr/local/libexec/podman /usr/local/lib/podman /usr/libexec/podman /usr/lib/podman; do
			[ -x "$d/$helper" ] && found=$d/$helper && break
		done
		[ -n "$found" ] || skip "podman's $helper is not installed (Debian: apt-get install netavark aardvark-dns)"
	done
	unshare --mount --uts --ipc --net --pid --fork true 2>/dev/null ||
		skip "cannot create kernel namespaces (unshare failed): containers cannot run here"
	grep -qE '^[^ ]+ /sys/fs/cgroup' /proc/mounts ||
		skip "no cgroup filesystem mounted at /sys/fs/cgroup"
	iptables -w -n -L >/dev/null 2>&1 ||
		skip "iptables does not work here; podman bridge networks need it"
}

# ---------------------------------------------------------------- setup
WORK=
ROOTFS_DIR=
CT_EXIT_HOOKS=()
BRIDGES=()
NAT_CHAINS_BEFORE=
ct_on_exit() { CT_EXIT_HOOKS+=("$1"); }

ct_setup() {
	mkdir -p "$PCE_CACHE_DIR" "$PCE_STATE_DIR" || exit 1
	# One run at a time: runs share the storage and the default ports.
	exec 9>"$PCE_STATE_DIR/lock"
	if ! flock -w 900 9; then
		log "another container test holds $PCE_STATE_DIR/lock (waited 15 min)"
		exit 1
	fi
	WORK=$(mktemp -d "/tmp/pce-$CT_NAME.XXXXXX") || exit 1
	ct_podman_conf
	trap ct_cleanup EXIT
	trap 'log "interrupted"; exit 130' INT TERM HUP
	podman info >"$WORK/podman-info.log" 2>&1 ||
		{ tail -n 20 "$WORK/podman-info.log" >&2; skip "podman info fails with these settings"; }
	NAT_CHAINS_BEFORE=$(nat_dn_chains | tr '\n' ' ')
}

ct_podman_conf() {
	cat >"$WORK/containers.conf" <<-EOF
	# Written by tests/container/lib.sh: podman settings that work on Debian 12
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
	cat >"$WORK/storage.conf" <<-EOF
	# Written by tests/container/lib.sh: a private image store, kept between runs.
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
}

# ---------------------------------------------------------------- cleanup
nat_dn_chains() {
	iptables -w -t nat -S 2>/dev/null | awk '$1 == "-N" && $2 ~ /^NETAVARK-DN-/ { print $2 }'
}
# netavark 1.4 leaves an empty port-forwarding chain per container and the
# isolation rules of a removed bridge behind: drop the ones this run made.
netavark_leftovers() {
	local c rule br
	for c in $(nat_dn_chains); do
		case " $NAT_CHAINS_BEFORE " in *" $c "*) continue ;; esac
		[ "$(iptables -w -t nat -S "$c" 2>/dev/null | wc -l)" -eq 1 ] || continue
		iptables -w -t nat -S | grep -qE -- "-j $c( |\$)" && continue
		iptables -w -t nat -X "$c"
	done
	for br in "${BRIDGES[@]}"; do
		[ -n "$br" ] && ! ip link show "$br" >/dev/null 2>&1 || continue
		iptables -w -S | grep -E -- "^-A NETAVARK_ISOLATION_[12] .*-[io] $br( |\$)" |
			while read -r rule; do
				# shellcheck disable=SC2086
				iptables -w -D ${rule#-A }
			done
	done
}

ct_cleanup() {
	local rc=$? i
	trap '' INT TERM
	for ((i = ${#CT_EXIT_HOOKS[@]} - 1; i >= 0; i--)); do
		"${CT_EXIT_HOOKS[$i]}" "$rc"
	done
	netavark_leftovers
	[ -n "$ROOTFS_DIR" ] && { rm_rootfs "$ROOTFS_DIR"; rm -f "$PCE_CACHE_DIR"/*.tar.tmp; }
	if [ "${PCE_KEEP_IMAGES:-1}" = 0 ]; then
		podman rmi -f "$PCE_IMAGE" "$BUILD_STAGE_IMAGE" >/dev/null 2>&1
	fi
	# Old project images left untagged by rebuilds (the layers still in
	# use stay: they belong to tagged images).
	podman image prune -f >/dev/null 2>&1

	if [ ${#RESULTS[@]} -gt 0 ]; then
		echo "==== $CT_NAME test summary ($(( $(date +%s) - T0 )) s) ===="
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
		--message "debootstrap --variant=minbase $DEBIAN_SUITE (tests/container/lib.sh)" \
		"$1" "$2" || { fail "base image $2"; exit 1; }
}

ct_base_images() {
	local refresh=${PCE_REFRESH_BASE:-0}
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
}

# ---------------------------------------------------------------- project image
# The build context: in a git checkout, the files git knows or would add
# (tracked + untracked, minus .gitignore'd), so a tree configured or built
# in place (.ci/run does that before us) cannot leak its outputs into the
# image; .dockerignore applies on top, as for `docker build .`.
# ct_tree_copy DIR: that copy (also the source of the Debian packages).
ct_tree_copy() {
	local dest=$1
	if ! git -C "$srcdir" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		cp -a "$srcdir/." "$dest/"
		return
	fi
	(cd "$srcdir" && git ls-files -z --cached --others --exclude-standard |
		while IFS= read -r -d '' f; do
			[ -e "$f" ] || [ -L "$f" ] || continue   # deleted, not committed
			cp -a --parents -- "$f" "$dest/" || exit 1
		done)
}

# Build $PCE_IMAGE from the top-level Dockerfile.  The build stage gets a
# tag of its own: untagged, `podman image prune` at the end would throw its
# layers (the build dependencies) out of the cache.  docker format: the OCI
# image format has no HEALTHCHECK.
ct_build_project_image() {
	local context=$WORK/context t build_args=()
	mkdir -p "$context"
	ct_tree_copy "$context" || { fail "copy the build context from git ls-files"; exit 1; }
	log "building $PCE_IMAGE from $srcdir/Dockerfile (cold: a few minutes)"
	t=$(date +%s)
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
}
