#!/bin/sh
# SPDX-License-Identifier: MIT
# unreadable.sh - a store the responder may not or cannot read gives a clear
# error: 503 with the reason in the body and one line on stderr naming the
# path and the cause, never a hang or a crash.
#
# metrics.fcgi runs as a CGI program (no web server needed), as an
# unprivileged user (nobody, through setpriv) when the test runs as root,
# else as the current user.  Cases: a store with mode 000; a store of
# another user with mode 0600 (root only); a directory on the way without
# search permission (root only); a directory, a FIFO (open must not block),
# /dev/zero, a symlink loop, a dangling symlink, and an empty file in place
# of the store.  Each must give 503 on /metrics and /health within
# UNREADABLE_TIMEOUT seconds (5).
# Prints: "unreadable: cases=N ok=N".
set -eu
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$top_srcdir/tests/reliability/common.sh"

need_cmd timeout
need_built
setup_tmp
limit=${UNREADABLE_TIMEOUT:-5}
as_user=""
if [ "$(id -u)" = 0 ]; then
	need_cmd setpriv
	as_user="setpriv --reuid=nobody --regid=nogroup --clear-groups --"
fi
cases=0 good=0

# Make a real store to copy around.
start_writer "$T/real.store" --static
stop_pid "$WRITER_PID"
[ -s "$T/real.store" ] || fail "mkstore made no store"

# try NAME STORE REASON: /metrics and /health must be 503 with REASON
# (a grep pattern) in the body and on stderr.
try() {
	name=$1 store=$2 reason=$3
	cases=$((cases + 1))
	for route in /metrics /health; do
		rc=0
		# shellcheck disable=SC2086 # as_user is a command prefix
		timeout "$limit" env -i PATH="$PATH" METRICS_STORE="$store" REQUEST_METHOD=GET \
			REQUEST_URI="$route" $as_user "$FCGI" </dev/null >"$T/$name.out" 2>"$T/$name.err" || rc=$?
		[ "$rc" != 124 ] || fail "$name: metrics.fcgi hung on $route (killed after $limit s)"
		[ "$rc" = 0 ] || fail "$name: metrics.fcgi exited with $rc on $route"
		head -n 1 "$T/$name.out" | grep -q '^Status: 503' ||
			{ cat "$T/$name.out" >&2; fail "$name: $route is not 503"; }
		grep -q -- "$reason" "$T/$name.out" ||
			{ cat "$T/$name.out" >&2; fail "$name: $route body lacks [$reason]"; }
	done
	grep -q -- "$store.*$reason" "$T/$name.err" ||
		{ cat "$T/$name.err" >&2; fail "$name: stderr lacks a line with the path and [$reason]"; }
	[ "$(wc -l <"$T/$name.err")" -le 2 ] || fail "$name: more than one log line per request"
	good=$((good + 1))
	echo "ok: $name: $(head -n 1 "$T/$name.err")"
}

mkdir -p "$T/d"
chmod 755 "$T/d"
cp "$T/real.store" "$T/d/mode000.store"
chmod 000 "$T/d/mode000.store"
if [ -n "$as_user" ] || [ "$(id -u)" != 0 ]; then
	try mode000 "$T/d/mode000.store" "Permission denied"
fi
if [ -n "$as_user" ]; then
	cp "$T/real.store" "$T/d/other.store"
	chown root:root "$T/d/other.store"
	chmod 600 "$T/d/other.store"
	try other-user "$T/d/other.store" "Permission denied"
	mkdir -p "$T/closed"
	cp "$T/real.store" "$T/closed/metrics.store"
	chmod 644 "$T/closed/metrics.store"
	chmod 700 "$T/closed"
	try no-search-permission "$T/closed/metrics.store" "Permission denied"
else
	echo "note: not root: other-user cases skipped"
fi
mkdir "$T/d/dir.store"
try directory "$T/d/dir.store" "not a regular file"
mkfifo "$T/d/fifo.store"
chmod 666 "$T/d/fifo.store"
try fifo "$T/d/fifo.store" "not a regular file"
try dev-zero /dev/zero "not a regular file"
ln -s loop2 "$T/d/loop1"
ln -s loop1 "$T/d/loop2"
try symlink-loop "$T/d/loop1" "symbolic links"
ln -s "$T/d/nowhere" "$T/d/dangling.store"
try dangling-symlink "$T/d/dangling.store" "No such file or directory"
: >"$T/d/empty.store"
chmod 644 "$T/d/empty.store"
try empty "$T/d/empty.store" "store"

echo "unreadable: cases=$cases ok=$good"
assert_eq "$good" "$cases" "cases answered with a clear 503"
