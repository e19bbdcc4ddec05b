#!/bin/sh
# SPDX-License-Identifier: MIT
# privilege.sh - least privilege, proven rather than promised.
#
#   1. privprobe (the library's reader from inside): the store descriptor is
#      O_RDONLY, the mapping r--s, a write through it dies of SIGSEGV and
#      changes nothing, mprotect(PROT_WRITE) is refused (run as nobody when
#      root).
#   2. strace on metrics.fcgi (CGI mode, /metrics): every open of the store
#      is O_RDONLY without O_CREAT/O_TRUNC/O_RDWR/O_WRONLY, and every mmap
#      of its descriptor is PROT_READ without PROT_WRITE, MAP_SHARED.
#      (Skipped when strace is missing or cannot trace here.)
#   3. A responder spawned by lighttpd (started as root when the test is
#      root): runs as www-data, not root; /proc/PID/maps shows the store
#      mapped r--s.
#   4. The simulator's store file is mode 0640 (owner writes, group reads,
#      no world access) whatever the umask (022 and 000 tried).
#   5. The writers' lock file (STORE.lock) takes the store's write bits as
#      read and write bits (a 0644 store: 0600), so a reader-side user
#      cannot open it (as nobody when root); and a reader holding read
#      locks on the whole store file (OFD and POSIX, as nobody when root)
#      does not stall a writer that attaches and registers.
#   6. The shipped configs run unprivileged: lighttpd.conf sets
#      server.username/groupname (default www-data); the Dockerfile ends
#      with a non-root USER; docker-compose services set a non-root user;
#      the systemd units set User= (not root) and NoNewPrivileges=yes.
# Prints: "privilege: checks=N".
set -eu
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/reliability/common.sh"

need_built
PROBE="$top_builddir/tests/reliability/privprobe"
[ -x "$PROBE" ] || fail "not built: $PROBE"
[ -x "$SIM" ] || fail "not built: $SIM"
setup_tmp
rel_dirs
checks=0
pass() { checks=$((checks + 1)); ok "$*"; }

start_writer "$STORE" --static
stop_pid "$WRITER_PID"

# -- 1. from inside the reader
as_user=""
[ "$(id -u)" != 0 ] || as_user="setpriv --reuid=nobody --regid=nogroup --clear-groups --"
# In a sanitizer build ASan would catch the probe's deliberate SIGSEGV and
# exit 1; let the signal kill the child as it would in production.
# shellcheck disable=SC2086 # as_user is a command prefix
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}handle_segv=0" \
$as_user "$PROBE" "$STORE" >"$T/probe.out" 2>&1 || { cat "$T/probe.out" >&2; fail "privprobe"; }
cat "$T/probe.out"
pass "reader: O_RDONLY descriptor, r--s mapping, writes fault"

# -- 2. system calls of the responder
if command -v strace >/dev/null 2>&1 &&
	strace -f -o /dev/null true >/dev/null 2>&1; then
	# LeakSanitizer cannot run under ptrace; valgrind covers leaks.
	env METRICS_STORE="$STORE" REQUEST_METHOD=GET REQUEST_URI=/metrics \
		ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
		strace -e trace=open,openat,openat2,mmap,close -o "$T/strace.out" "$FCGI" \
		</dev/null >"$T/cgi.out" 2>"$T/cgi.err" || fail "metrics.fcgi under strace failed"
	grep -q '^Status: 200' "$T/cgi.out" ||
		{ head -n 5 "$T/cgi.out" >&2; fail "metrics.fcgi under strace did not answer 200"; }
	# The opens of the store, and the mmaps of each such descriptor made
	# before it is closed (the loader reuses the same numbers before).
	awk -v store="\"$STORE\"" '
		index($0, store) && $0 ~ /open(at2?)?\(/ {
			print "open " $0
			if (match($0, /= [0-9]+$/)) live[substr($0, RSTART + 2)] = 1
			next
		}
		/^close\(/ { fd = $0; sub(/^close\(/, "", fd); sub(/\).*/, "", fd); delete live[fd]; next }
		/^mmap\(/ {
			n = split($0, a, ", ")
			if (n >= 6 && (a[5] in live)) print "mmap " $0
		}' "$T/strace.out" >"$T/store-calls"
	sed 's/^/strace: /' "$T/store-calls"
	grep -q '^open ' "$T/store-calls" || fail "strace shows no open of the store"
	! grep '^open ' "$T/store-calls" | grep -Eq 'O_RDWR|O_WRONLY|O_CREAT|O_TRUNC|O_APPEND' ||
		fail "the responder opens the store for writing"
	! grep '^open ' "$T/store-calls" | grep -vq 'O_RDONLY' || fail "store open without O_RDONLY"
	maps=$(grep -c '^mmap ' "$T/store-calls" || true)
	[ "$maps" -gt 0 ] || fail "strace shows no mmap of the store descriptor"
	! grep '^mmap ' "$T/store-calls" | grep -q 'PROT_WRITE' || fail "store mapped with PROT_WRITE"
	! grep '^mmap ' "$T/store-calls" | grep -q 'PROT_EXEC' || fail "store mapped with PROT_EXEC"
	! grep '^mmap ' "$T/store-calls" | grep -vq 'MAP_SHARED' || fail "store mapping not MAP_SHARED"
	pass "responder: store opened O_RDONLY and mapped PROT_READ ($maps mapping(s))"
else
	echo "note: strace missing or not permitted: system call check skipped"
fi

# -- 3. a responder spawned by lighttpd
need_cmd lighttpd curl
start_lighttpd
[ "$(status_of "$BASE/metrics")" = 200 ] || fail "/metrics not 200"
rpids=$(resp_pids)
[ -n "$rpids" ] || fail "no metrics.fcgi child of lighttpd"
mapped=0
for rpid in $rpids; do
	ruid=$(awk '/^Uid:/ {print $2, $3, $4, $5}' "/proc/$rpid/status")
	if [ "$(id -u)" = 0 ]; then
		wuid=$(id -u www-data)
		assert_eq "$ruid" "$wuid $wuid $wuid $wuid" "responder $rpid uids (real effective saved fs)"
	fi
	# a responder maps the store when it serves its first /metrics:
	# lighttpd gives requests to the first responder unless it is busy
	line=$(grep -F "$STORE" "/proc/$rpid/maps" || true)
	[ -n "$line" ] || continue
	mapped=$((mapped + 1))
	echo "maps ($rpid): $line"
	echo "$line" | awk '{ if ($2 != "r--s") exit 1 }' || fail "store mapping is not r--s: $line"
done
if [ "$(id -u)" = 0 ]; then
	pass "responders run as www-data ($wuid), not root ($rpids)"
fi
[ "$mapped" -ge 1 ] || fail "the store is not mapped in any responder ($rpids)"
pass "the responder that served maps the store r--s"

# -- 4. the simulator's store mode
for mask in 022 000; do
	rm -f "$T/sim.store"
	(umask "$mask" && exec "$SIM" --store "$T/sim.store" --interval 0.05 --seed 1) >"$T/sim.log" 2>&1 &
	spid=$!
	PIDS="$PIDS $spid"
	wait_for "simulator store" test -s "$T/sim.store"
	stop_pid "$spid"
	mode=$(stat -c %a "$T/sim.store")
	assert_eq "$mode" 640 "simulator store mode with umask $mask"
done
pass "simulator store is 0640 (umask 022 and 000)"

# -- 5. the writers' lock file; a reader's locks
lock="$STORE.lock"
[ -f "$lock" ] || fail "no lock file $lock beside the store"
assert_eq "$(stat -c %a "$STORE") $(stat -c %a "$lock")" "644 600" "store and lock file modes"
if [ -n "$as_user" ]; then
	# shellcheck disable=SC2086,SC2016 # as_user is a command prefix; $1 is sh's
	! $as_user sh -c 'exec 3<"$1"' sh "$lock" 2>/dev/null ||
		fail "a reader-side user (nobody) can open the lock file"
	pass "the lock file is 0600: a reader-side user cannot open it"
fi
# shellcheck disable=SC2086 # as_user is a command prefix
$as_user "$PROBE" --hold-locks "$STORE" >"$T/hold.out" 2>&1 &
hpid=$!
PIDS="$PIDS $hpid"
wait_for "the reader's read locks" grep -q "holding read locks" "$T/hold.out"
"$PROBE" --attach "$STORE" >"$T/attach.out" 2>&1 ||
	{ cat "$T/hold.out" "$T/attach.out" >&2; fail "a writer stalled by a reader's read locks"; }
cat "$T/attach.out"
stop_pid "$hpid"
pass "a reader's read locks on the store do not stall a writer"

# -- 6. the shipped configurations
conf="$top_srcdir/lighttpd.conf"
grep -Eq '^server\.username *= *var\.user' "$conf" || fail "lighttpd.conf sets no server.username"
grep -Eq '^server\.groupname *= *var\.group' "$conf" || fail "lighttpd.conf sets no server.groupname"
grep -q 'METRICS_USER:-www-data' "$conf" || fail "lighttpd.conf's default user is not www-data"
pass "lighttpd.conf drops to www-data"
if [ -f "$top_srcdir/Dockerfile" ]; then
	u=$(grep -E '^USER ' "$top_srcdir/Dockerfile" | tail -n 1 | awk '{print $2}')
	[ -n "$u" ] || fail "Dockerfile has no USER"
	case ${u%%:*} in root | 0) fail "Dockerfile runs as root ($u)" ;; esac
	pass "Dockerfile runs as USER $u"
fi
if [ -f "$top_srcdir/docker-compose.yml" ]; then
	! grep -Eq '^ *user: *"?(root|0)(:|"|$)' "$top_srcdir/docker-compose.yml" ||
		fail "docker-compose.yml runs a service as root"
	! grep -Eq '^ *privileged: *true' "$top_srcdir/docker-compose.yml" ||
		fail "docker-compose.yml has a privileged service"
	pass "docker-compose.yml: no root or privileged service"
fi
for unit in "$top_srcdir"/contrib/systemd/*.service; do
	[ -f "$unit" ] || continue
	u=$(sed -n 's/^User=//p' "$unit" | tail -n 1)
	[ -n "$u" ] && [ "$u" != root ] || fail "$(basename "$unit"): no unprivileged User="
	grep -q '^NoNewPrivileges=yes' "$unit" || fail "$(basename "$unit"): no NoNewPrivileges=yes"
	pass "$(basename "$unit"): User=$u, NoNewPrivileges=yes"
done
echo "privilege: checks=$checks"
