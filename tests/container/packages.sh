#!/bin/bash
# SPDX-License-Identifier: MIT
#
# tests/container/packages.sh [DEBDIR]: install the project's Debian
# packages into a fresh Debian 12 container, as an admin would, serve
# real metrics through the packaged lighttpd snippet, then purge them and
# check that nothing is left behind.
#
#   sudo tests/container/packages.sh            builds the packages first
#   sudo tests/container/packages.sh DEBDIR     takes the .deb files there
#                                               (tests/container/build-debs.sh)
#
# What it does
#   1. preflight, podman settings, base images (tests/container/lib.sh);
#      the container is docker.io/library/debian:12 (debootstrap minbase)
#      with its port 80 published on 127.0.0.1 and a policy-rc.d that
#      keeps maintainer scripts from starting services: no init system;
#   2. `apt-get install -s` on the bare system: the Recommends bring
#      lighttpd; then lighttpd goes in first (the web server the packages
#      join), the file system is noted,
#      and `apt-get install` of the four packages from files fetches the
#      rest (libfcgi) from Debian's archive;
#   3. checks the account (system user and group "metrics", www-data in
#      the group), `lighty-enable-mod metrics-fcgi`, starts
#      metrics-simulator.service's and lighttpd.service's commands as
#      their units say (tests/container/unit-exec.sh: systemd cannot run
#      here), and scrapes /metrics (real shop metrics, gzip on request)
#      and /health from the host;
#   4. `apt-get remove` disables the lighttpd module (lighttpd's config
#      still passes `lighttpd -tt`), a reinstall enables it again;
#   5. `apt-get purge` of the four and `apt-get autoremove --purge`: no
#      package left in any state, none of their files, no account, no
#      /etc snippet or conf link, no systemd link, no path on the file
#      system that was not there before the install (but the two modules
#      lighty-enable-mod turned on and shadow's backups), and lighttpd's
#      config still passes `lighttpd -tt`.
#
# Environment: see tests/container/lib.sh (PCE_CACHE_DIR, PCE_REQUIRED, ...).
# Exit status: 0 all checks passed, 1 a check failed, 77 skipped.

CT_NAME=packages
# shellcheck source=tests/container/lib.sh
. "$(dirname "$0")/lib.sh"

PACKAGES="libmstore0 libmstore-dev prometheus-custom-exporter metrics-simulator"
CTR=pce-packages-$$
UNITS=/lib/systemd/system

ct_preflight
ct_setup

container_cleanup() {
	if [ "$1" -ne 0 ] || [ "$FAILED" = 1 ]; then
		log "logs in the container:"
		podman exec "$CTR" sh -c 'tail -n 20 /tmp/*.log /var/log/lighttpd/error.log' 2>&1 |
			sed 's/^/    | /' >&2
	fi
	podman rm -f -t 5 "$CTR" >/dev/null 2>&1
}

debs=${1:-}
if [ -z "$debs" ]; then
	debs=$WORK/debs
	log "building the packages (tests/container/build-debs.sh; log: $WORK/build-debs.log)"
	run_logged "$WORK/build-debs.log" bash "$here/build-debs.sh" "$debs" ||
		{ fail "packages built"; exit 1; }
fi
debs=$(cd "$debs" && pwd) || exit 1
files=()
for p in $PACKAGES; do
	f=$(ls "$debs/${p}_"*.deb 2>/dev/null | tail -n 1)
	[ -n "$f" ] || { fail "package $p in $debs"; exit 1; }
	files+=("/debs/${f##*/}")
done

ct_base_images

# cx CMD...: run CMD in the container; sh_in SCRIPT: a bash script there.
cx() { podman exec "$CTR" "$@"; }
sh_in() { podman exec "$CTR" bash -c "$1"; }

# The file system as paths, without what changes anyway (apt's lists and
# caches, dpkg's database, logs, /run, /tmp) and the test's own mounts.
SNAPSHOT='find / -xdev \( -path /proc -o -path /sys -o -path /dev -o -path /run \
	-o -path /tmp -o -path /var/tmp -o -path /var/cache -o -path /var/log \
	-o -path /var/lib/apt -o -path /var/lib/dpkg -o -path /debs -o -path /pce-tests \) \
	-prune -o -print | sort'

PORT=$(free_port)
log "starting $CTR from $BASE_IMAGE (port 80 on 127.0.0.1:$PORT)"
ct_on_exit container_cleanup
if ! run_logged "$WORK/run.log" podman run -d --init --name "$CTR" \
	-p "127.0.0.1:$PORT:80" -v "$debs:/debs:ro" -v "$here:/pce-tests:ro" \
	"$BASE_IMAGE" sleep infinity; then
	fail "container started"; exit 1
fi
BRIDGES+=("$(podman network inspect podman --format '{{.NetworkInterface}}' 2>/dev/null)")
sh_in 'printf "#!/bin/sh\nexit 101\n" >/usr/sbin/policy-rc.d && chmod 0755 /usr/sbin/policy-rc.d'

# ---------------------------------------------------------------- install
# What apt would do on a bare Debian: the web server comes through the
# Recommends.  Then a lighttpd is installed first, as on the servers this
# is for, and the file system noted.
apt_in() { podman exec -e DEBIAN_FRONTEND=noninteractive "$CTR" apt-get -q "$@"; }
if run_logged "$WORK/apt-update.log" apt_in update &&
	run_logged "$WORK/apt-plan.log" apt_in install -s "${files[@]}"; then
	plan=$(awk '$1 == "Inst" { print $2 }' "$WORK/apt-plan.log" | sort | tr '\n' ' ')
	if grep -qw lighttpd <<<"$plan"; then
		pass "apt would install lighttpd (Recommends)"
	else
		fail "apt would install lighttpd (Recommends)" "plan: $plan"
	fi
else
	fail "apt-get update, apt-get install -s"; exit 1
fi
run_logged "$WORK/apt-lighttpd.log" apt_in install -y lighttpd ||
	{ fail "apt-get install lighttpd"; exit 1; }
sh_in "$SNAPSHOT" >"$WORK/before.txt" || { fail "file system snapshot"; exit 1; }

log "apt-get install ${files[*]}"
t=$(date +%s)
if run_logged "$WORK/install.log" apt_in install -y "${files[@]}"; then
	deps=$(awk '$1 == "Unpacking" { print $2 }' "$WORK/install.log" | sort | tr '\n' ' ')
	pass "apt-get install of the packages ($(( $(date +%s) - t )) s; unpacked: $deps)"
else
	fail "apt-get install of the packages"; exit 1
fi
case $deps in
*libfcgi0ldbl*) pass "libfcgi0ldbl came from Debian's archive" ;;
*) fail "libfcgi0ldbl came from Debian's archive" "unpacked: $deps" ;;
esac
sh_in "dpkg -L $PACKAGES" | sort -u >"$WORK/files.txt"

acct=$(sh_in 'getent passwd metrics | cut -d: -f3,7; getent group metrics | cut -d: -f3,4' | tr '\n' ' ')
set -- $acct
uid=${1%%:*} gid=${2%%:*}
if [ -n "$uid" ] && [ "$uid" -lt 1000 ] && [ "${1#*:}" = /usr/sbin/nologin ] &&
	[ -n "$gid" ] && [ "$gid" -lt 1000 ] && [ "${2#*:}" = www-data ]; then
	pass "system user and group metrics ($uid/$gid), www-data in the group"
else
	fail "system user and group metrics, www-data in the group" "passwd/group: $acct"
fi
if cx sh -c 'readlink -e /usr/lib/*/libmstore.so && test -s /usr/include/mstore.h &&
	grep -q "^Version: 0" /usr/lib/*/pkgconfig/mstore.pc' >/dev/null 2>&1; then
	pass "libmstore-dev: libmstore.so link resolves, mstore.h, mstore.pc"
else
	fail "libmstore-dev: libmstore.so link resolves, mstore.h, mstore.pc"
fi

# ---------------------------------------------------------------- run
if run_logged "$WORK/enable.log" cx lighty-enable-mod metrics-fcgi; then
	pass "lighty-enable-mod metrics-fcgi ($(grep -c '^Enabling\|^Met' "$WORK/enable.log") links)"
else
	fail "lighty-enable-mod metrics-fcgi"
fi
cx /pce-tests/unit-exec.sh --tmpfiles
podman exec -d "$CTR" sh -c "exec /pce-tests/unit-exec.sh $UNITS/metrics-simulator.service >/tmp/simulator.log 2>&1"
podman exec -d "$CTR" sh -c "exec /pce-tests/unit-exec.sh $UNITS/lighttpd.service >/tmp/lighttpd.log 2>&1"

BASE=http://127.0.0.1:$PORT
check_scrape "$BASE"
check_gzip "$BASE"
# Who runs what: the writer as metrics, the responders as www-data.
# (/proc/PID/exe of another user's process needs CAP_SYS_PTRACE, which a
# container's root lacks: the command line it is.)  "PID NAME USER" lines.
PROCS='for p in /proc/[0-9]*; do
	cmd=$(tr "\0" " " <"$p/cmdline") && cmd=${cmd%% *} && [ -n "$cmd" ] &&
		echo "${p#/proc/} ${cmd##*/} $(stat -c %U "$p")"
	done 2>/dev/null'
users_of() { sh_in "$PROCS" | awk -v n="$1" '$2 == n { print $3 }' | sort -u | tr '\n' ' '; }
sim_users=$(users_of metrics-simulator)
fcgi_users=$(users_of metrics.fcgi)
if [ "$sim_users" = "metrics " ] && [ "$fcgi_users" = "www-data " ]; then
	pass "simulator runs as metrics, responders as www-data"
else
	fail "simulator runs as metrics, responders as www-data" "simulator: $sim_users, metrics.fcgi: $fcgi_users"
fi

# Stop them as systemd would: SIGTERM to the main processes (lighttpd
# stops its responders; Debian's lighttpd.conf gives requests 5 s), then
# the runtime directory goes.
ours() { sh_in "$PROCS" | awk '$2 ~ /^(lighttpd|metrics)/ { print $1, $2 }'; }
main=$(ours | awk '$2 != "metrics.fcgi" { print $1 }' | tr '\n' ' ')
[ -z "$main" ] || sh_in "kill $main"
for _ in $(seq 100); do
	[ -z "$(ours)" ] && break
	sleep 0.1
done
left=$(ours | tr '\n' ' ')
[ -z "$left" ] && pass "lighttpd, its responders and the simulator stop on SIGTERM" ||
	fail "lighttpd, its responders and the simulator stop on SIGTERM" "still running: $left"
cx /pce-tests/unit-exec.sh --stop "$UNITS/metrics-simulator.service"

# ---------------------------------------------------------------- remove
LINK=/etc/lighttpd/conf-enabled/50-metrics-fcgi.conf
if run_logged "$WORK/remove.log" apt_in remove -y metrics-simulator prometheus-custom-exporter &&
	! cx test -e "$LINK" && run_logged "$WORK/lighttpd-tt.log" cx lighttpd -tt -f /etc/lighttpd/lighttpd.conf; then
	pass "apt-get remove: the lighttpd module is off, lighttpd's config passes -tt"
else
	fail "apt-get remove: the lighttpd module is off, lighttpd's config passes -tt"
fi
if run_logged "$WORK/reinstall.log" apt_in install -y "${files[@]}" && cx test -L "$LINK"; then
	pass "reinstall: the lighttpd module is on again"
else
	fail "reinstall: the lighttpd module is on again"
fi

# ---------------------------------------------------------------- purge
log "apt-get purge $PACKAGES; apt-get autoremove --purge"
if run_logged "$WORK/purge.log" apt_in purge -y $PACKAGES &&
	run_logged "$WORK/autoremove.log" apt_in autoremove --purge -y; then
	pass "apt-get purge and autoremove --purge"
else
	fail "apt-get purge and autoremove --purge"
fi
left=$(cx dpkg-query -W -f '${db:Status-Abbrev} ${Package}\n' $PACKAGES libfcgi0ldbl 2>/dev/null | grep -v '^un ')
[ -z "$left" ] && pass "no package left, not even its configuration (nor libfcgi0ldbl)" ||
	fail "no package left, not even its configuration (nor libfcgi0ldbl)" "$left"
acct=$(sh_in 'getent passwd metrics; getent group metrics; id -Gn www-data' | tr '\n' ' ')
[ "$acct" = "www-data " ] && pass "user and group metrics gone" ||
	fail "user and group metrics gone" "$acct"
remaining=$(sh_in 'while read -r f; do [ -d "$f" ] || ! [ -e "$f" -o -L "$f" ] || echo "$f"; done' <"$WORK/files.txt")
[ -z "$remaining" ] && pass "none of the packages' $(wc -l <"$WORK/files.txt") paths left" ||
	fail "none of the packages' files left" "$(echo $remaining)"
# Not ours, and expected: lighty-enable-mod turned on the module the
# snippet depends on, and it stays on like any module the admin enabled;
# useradd and groupadd keep the previous shadow files as backups.
EXPECTED_NEW='/etc/lighttpd/conf-enabled/10-fastcgi.conf
/etc/gshadow-
/etc/shadow-'
sh_in "$SNAPSHOT" >"$WORK/after.txt"
new=$(comm -13 "$WORK/before.txt" "$WORK/after.txt" | grep -vxF "$EXPECTED_NEW")
if [ -z "$new" ]; then
	pass "no path on the file system that was not there before the install"
else
	fail "no path on the file system that was not there before the install" "$(echo $new | head -c 600)"
fi
if run_logged "$WORK/lighttpd-tt-purged.log" cx lighttpd -tt -f /etc/lighttpd/lighttpd.conf; then
	pass "lighttpd's config passes -tt after the purge"
else
	fail "lighttpd's config passes -tt after the purge"
fi
# The ones the package or lighty-enable-mod made, named: clearer when one
# stays (and in the before/after comparison they could hide behind
# another package's directory).
stays=$(sh_in 'ls -d /etc/lighttpd/conf-available/50-metrics-fcgi.conf /etc/lighttpd/conf-enabled/*metrics* \
	/etc/nginx/snippets/metrics-fcgi.conf /etc/systemd/system/*/metrics-* \
	/var/lib/systemd/deb-systemd-helper-enabled/*metrics* /var/lib/prometheus-custom-exporter 2>/dev/null')
[ -z "$stays" ] && pass "no snippet, conf link, systemd link or state left" ||
	fail "no snippet, conf link, systemd link or state left" "$(echo $stays)"

exit $FAILED
