#!/bin/sh
# SPDX-License-Identifier: MIT
#
# tests/container/unit-exec.sh: stand in for systemd in a container that
# has none (tests/container/packages.sh runs it inside the container).
#
#   unit-exec.sh --tmpfiles       create the directories of the "d" lines
#                                 of tmpfiles.d, as systemd-tmpfiles does
#                                 at boot (lighttpd's /run/lighttpd)
#   unit-exec.sh UNIT_FILE        start the unit's service as the unit says
#                                 and become it (exec)
#   unit-exec.sh --stop UNIT_FILE remove what the start made that systemd
#                                 removes when the service stops
#
# From the [Service] section it takes what decides how the command runs:
# User=, Group=, SupplementaryGroups= (plus the user's own groups, as
# systemd's initgroups), RuntimeDirectory= and RuntimeDirectoryMode=,
# UMask=, Environment=, ExecStartPre= (a leading "-": failure ignored) and
# ExecStart=.  The sandboxing settings (ProtectSystem=, NoNewPrivileges=,
# ...) only take rights away and are not emulated.  Values with quotes or
# specifiers (%n) are not understood: the units this tests have none.
set -eu

die() { echo "unit-exec: $*" >&2; exit 1; }

# key UNIT KEY: the values of KEY in [Service], one a line.
key() {
	sed -n '/^\[Service\]/,/^\[/p' "$1" | sed -n "s/^$2=//p"
}

tmpfiles() {
	cat /usr/lib/tmpfiles.d/*.conf /etc/tmpfiles.d/*.conf 2>/dev/null |
		while read -r type path mode user group _; do
			case $type in d | D) ;; *) continue ;; esac
			[ "$mode" = - ] && mode=0755
			[ "$user" = - ] && user=root
			[ "$group" = - ] && group=root
			install -d -m "$mode" -o "$user" -g "$group" "$path"
		done
}

runtime_dirs() {
	key "$1" RuntimeDirectory | tr ' ' '\n' | sed '/^$/d'
}

start() {
	unit=$1
	[ -r "$unit" ] || die "cannot read $unit"
	user=$(key "$unit" User)
	group=$(key "$unit" Group)
	supp=$(key "$unit" SupplementaryGroups | tr ' ' ',')
	mode=$(key "$unit" RuntimeDirectoryMode)
	umask_=$(key "$unit" UMask)
	start=$(key "$unit" ExecStart)
	[ -n "$start" ] || die "$unit has no ExecStart="
	[ -n "$group" ] || group=$(id -gn "${user:-root}")

	for d in $(runtime_dirs "$unit"); do
		install -d -m "${mode:-0755}" -o "${user:-root}" -g "$group" "/run/$d"
	done
	[ -z "$umask_" ] || umask "$umask_"
	for e in $(key "$unit" Environment); do
		export "${e?}"
	done

	run=
	if [ -n "$user" ]; then
		groups=$(id -Gn "$user" | tr ' ' ',')${supp:+,$supp}
		run="setpriv --reuid=$user --regid=$group --groups=$groups --"
	fi
	key "$unit" ExecStartPre | while read -r pre; do
		case $pre in
		-*) $run ${pre#-} || true ;;
		*) $run $pre ;;
		esac
	done
	# shellcheck disable=SC2086 # the command line splits into words
	exec $run $start
}

stop() {
	for d in $(runtime_dirs "$1"); do
		rm -rf "/run/${d:?}"
	done
}

case ${1:-} in
--tmpfiles) tmpfiles ;;
--stop) stop "${2:?unit file}" ;;
-* | '') die "usage: unit-exec.sh --tmpfiles | UNIT_FILE | --stop UNIT_FILE" ;;
*) start "$1" ;;
esac
