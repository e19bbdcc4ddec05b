#!/bin/sh
# SPDX-License-Identifier: MIT
# docs-check.sh - keeps README.md (and README.ja.md) true.  Checks:
#  (a) Quick start and setup: the scripts the README runs exist, are
#      executable and accept the documented flags (run-stack.sh --help);
#      the test command blocks equal the one .ci/run runs; docker-compose.yml
#      is valid (docker-compose config, offline) and has the services, ports
#      and settings the README names; configure has the documented options
#      and the Makefile the documented targets; the option tables list
#      exactly the flags of `metrics-simulator --help` and `metrics.fcgi
#      --help` and the variables lighttpd.conf reads;
#  (b) every ```promql line of the README is parsed by promtool and run
#      against a real Prometheus scraping the real stack (simulator,
#      lighttpd with the shipped lighttpd.conf, metrics.fcgi) on free
#      loopback ports, and must return data; the Grafana dashboard's
#      expressions too, and its exemplar queries (the latency panel's)
#      must return exemplars;
#  (c) the metrics table (names, types, labels) of both READMEs matches the
#      # TYPE lines and sample labels of a real /metrics, both directions;
#  (d) examples/example.c equals the README's ```c block, compiles against
#      the freshly built library, runs, and its store rendered by
#      metrics.fcgi in CGI mode holds exactly the lines the README shows;
#  and the man pages render without warnings, the systemd units verify.
# Exits 77 when a tool the stack needs is missing (after the static parts).
set -eu
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/../integration/lib.sh"

SIM="$top_builddir/src/metrics-simulator"
# Debian's python3 when there is one: a version manager's shim may take
# seconds per start.
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
TOOL="$PY $top_srcdir/tests/docs/readme_tool.py"
README="$top_srcdir/README.md"
READMES="$README $top_srcdir/README.ja.md"

need_cmd python3 curl
need_built
[ -x "$SIM" ] || fail "not built: $SIM"
setup_tmp

# ------------------------------------------------ (d) start the example early
# It ticks once a second; let it run while the rest is checked.
for r in $READMES; do
	$TOOL code "$r" c >"$T/readme.c" || fail "$r: no c block"
	cmp -s "$T/readme.c" "$top_srcdir/examples/example.c" ||
		fail "$r: the c block differs from examples/example.c"
done
ok "README c blocks equal examples/example.c"
mk() { sed -n "s/^$1 = //p" "$top_builddir/Makefile"; }
CC_=$(mk CC)
# Sanitizer/coverage builds instrument libmstore.a: link the same way.
XFLAGS="$(mk SAN_FLAGS) $(mk COV_FLAGS)"
# shellcheck disable=SC2086 # word splitting of the flag lists is wanted
${CC_:-cc} -Wall -Wextra -Werror $XFLAGS -I"$top_srcdir/src" \
	-o "$T/example" "$top_srcdir/examples/example.c" \
	"$top_builddir/src/.libs/libmstore.a" -lpthread -lm >"$T/cc.log" 2>&1 ||
	fail "examples/example.c does not compile"
PKG_CONFIG_PATH="$top_builddir/src" pkg-config --exists mstore ||
	fail "pkg-config does not find mstore.pc (the README's build line)"
start_bg example "$T/example" "$T/example.store" 3
EXAMPLE_PID=$BG_PID
ok "example compiles, running"

# ------------------------------------------------ (a) Quick start, setup
# README.ja.md keeps in step: same sections, same commands and code.
$TOOL skeleton "$README" >"$T/skel.en"
$TOOL skeleton "$top_srcdir/README.ja.md" >"$T/skel.ja"
cmp -s "$T/skel.en" "$T/skel.ja" ||
	fail "README.ja.md is out of step with README.md: $(diff "$T/skel.en" "$T/skel.ja" | head -n 6 | tr '\n' ' ')"
ok "README.ja.md has the same sections, commands and code as README.md"
# A file a release tarball may leave out (.ci/, the container files): in a
# git checkout it must be there; in a tarball its checks are skipped.
have() {
	[ -f "$top_srcdir/$1" ] && return 0
	[ ! -e "$top_srcdir/.git" ] || fail "$1 missing"
	echo "note: $1 not in this tree (release tarball?): its checks skipped"
	return 1
}
CI_RUN="$top_srcdir/.ci/run"
have .ci/run || CI_RUN=""
for r in $READMES; do
	$TOOL marked "$r" ci-command >"$T/ci-cmd"
	[ -s "$T/ci-cmd" ] || fail "$r: no ci-command block"
	while IFS= read -r line; do
		[ -z "$CI_RUN" ] || grep -qF -- "$line" "$CI_RUN" ||
			fail "$r: test command [$line] is not the one in .ci/run"
	done <"$T/ci-cmd"
	for s in "docker compose up" "sudo ./run-stack.sh" "./run-stack.sh --help" \
	    ".ci/debian-packages.txt" "http://localhost:8080/metrics" \
	    "http://localhost:8080/health" "http://localhost:9090" \
	    "./autogen.sh && ./configure && make && sudo make install"; do
		grep -qF -- "$s" "$r" || fail "$r: Quick start/setup lacks [$s]"
	done
done
ok "test command equals .ci/run's"

for f in run-stack.sh autogen.sh $CI_RUN; do
	[ -x "$top_srcdir/${f#"$top_srcdir/"}" ] || fail "$f missing or not executable"
done
[ -s "$top_srcdir/.ci/debian-packages.txt" ] || fail ".ci/debian-packages.txt missing"
"$top_srcdir/run-stack.sh" --help >"$T/run-stack-help.txt" 2>&1 ||
	fail "run-stack.sh --help fails"
grep -qi 'usage' "$T/run-stack-help.txt" || fail "run-stack.sh --help prints no usage"
ok "run-stack.sh --help, autogen.sh, package list"

"$top_srcdir/configure" --help >"$T/configure-help.txt"
for o in --enable-werror --enable-sanitizers --enable-coverage --enable-fuzzing \
    --disable-warnings; do
	grep -q -- "$o" "$T/configure-help.txt" || fail "configure has no $o"
done
for t in fuzz bench reliability; do
	grep -q "^$t:" "$top_builddir/Makefile" || fail "no 'make $t' target"
done
ok "configure options and make targets"

if command -v docker-compose >/dev/null 2>&1; then
	compose="docker-compose"
elif docker compose version >/dev/null 2>&1; then
	compose="docker compose"
else
	compose=""
fi
if ! have docker-compose.yml; then
	:
elif [ -n "$compose" ]; then
	(cd "$top_srcdir" && $compose -f docker-compose.yml config) >"$T/compose.out" 2>"$T/compose.err" ||
		fail "docker-compose.yml is not valid: $(cat "$T/compose.err")"
	$TOOL compose "$T/compose.out" >"$T/compose.facts"
	for s in simulator exporter prometheus; do
		grep -qx "service $s" "$T/compose.facts" || fail "compose has no service $s"
		grep -q "| \`$s\` |" "$README" || fail "README does not list service $s"
	done
	for p in 8080 9090; do
		grep -qx "port $p" "$T/compose.facts" || fail "compose does not publish port $p"
	done
	for v in $(grep -o 'PCE_[A-Z_]*' "$README" | sort -u); do
		grep -q "$v" "$top_srcdir/docker-compose.yml" || fail "compose has no $v"
	done
	ok "docker-compose.yml valid: services, ports, settings ($compose)"
else
	echo "note: docker-compose missing, compose file not validated"
fi

# Option tables: every flag of --help is documented and vice versa.
opts_of() { grep -o -- '--[a-z][a-z-]*' | grep -v -- '--help\|--version' | sort -u; }
"$SIM" --help | opts_of >"$T/sim.help"
"$FCGI" --help | opts_of >"$T/fcgi.help"
for r in $READMES; do
	sed -n '/^### metrics-simulator/,/^### metrics.fcgi/p' "$r" | grep '^|' | opts_of >"$T/sim.doc"
	sed -n '/^### metrics.fcgi/,/^### lighttpd.conf/p' "$r" | grep '^|' | opts_of >"$T/fcgi.doc"
	cmp -s "$T/sim.help" "$T/sim.doc" ||
		fail "$r: simulator options differ from --help: $(diff "$T/sim.help" "$T/sim.doc" | grep '^[<>]' | tr '\n' ' ')"
	cmp -s "$T/fcgi.help" "$T/fcgi.doc" ||
		fail "$r: metrics.fcgi options differ from --help: $(diff "$T/fcgi.help" "$T/fcgi.doc" | grep '^[<>]' | tr '\n' ' ')"
	grep -o 'METRICS_[A-Z_]*' "$top_srcdir/lighttpd.conf" | sort -u >"$T/conf.vars"
	sed -n '/^### lighttpd.conf/,/^### /p' "$r" | grep -o 'METRICS_[A-Z_]*' | sort -u >"$T/doc.vars"
	cmp -s "$T/conf.vars" "$T/doc.vars" ||
		fail "$r: lighttpd.conf variables differ: $(diff "$T/conf.vars" "$T/doc.vars" | grep '^[<>]' | tr '\n' ' ')"
done
ok "option tables match --help; lighttpd.conf variables documented"

# Man pages render cleanly; the systemd units verify where systemd can.
if command -v groff >/dev/null 2>&1; then
	for m in doc/metrics-simulator.1 doc/metrics.fcgi.8 doc/mstore.3; do
		groff -man -ww -z -Tutf8 "$top_srcdir/$m" >"$T/groff.log" 2>&1 ||
			fail "groff fails on $m"
		[ ! -s "$T/groff.log" ] || fail "groff warns on $m: $(cat "$T/groff.log")"
	done
	ok "man pages render without warnings"
fi
UNITS="metrics-simulator.service metrics-fcgi.socket metrics-fcgi.service"
mkdir "$T/units"
for u in $UNITS; do
	[ -s "$top_srcdir/contrib/systemd/$u" ] || fail "contrib/systemd/$u missing"
	sed "s|/usr/local/bin/|$top_builddir/src/|" "$top_srcdir/contrib/systemd/$u" >"$T/units/$u"
done
if command -v systemd-analyze >/dev/null 2>&1; then
	# verify exits 0 on parse warnings: any line about our units fails.
	# shellcheck disable=SC2046,SC2086 # the unit list
	(cd "$T/units" && systemd-analyze verify --man=no $(printf './%s ' $UNITS)) \
		>"$T/verify.log" 2>&1 || true
	! grep -q 'metrics-' "$T/verify.log" || fail "systemd-analyze verify: $(cat "$T/verify.log")"
	grep -q '^StandardInput=socket' "$T/units/metrics-fcgi.service" ||
		fail "metrics-fcgi.service must hand the socket over on fd 0"
	ok "systemd units verify"
fi

# PromQL parses (README and dashboard): promtool checks a rules file.
$TOOL promql "$README" >"$T/queries"
for r in $READMES; do
	$TOOL promql "$r" | cmp -s - "$T/queries" || fail "$r: promql block differs from README.md"
done
$TOOL grafana "$top_srcdir/contrib/grafana/shop-dashboard.json" >"$T/grafana-queries"
if command -v promtool >/dev/null 2>&1; then
	cat "$T/queries" "$T/grafana-queries" >"$T/all-queries"
	$TOOL rules-file "$T/all-queries" >"$T/queries.rules.yml"
	promtool check rules "$T/queries.rules.yml" >"$T/promtool.log" 2>&1 ||
		fail "promtool rejects a query: $(cat "$T/promtool.log")"
	ok "$(wc -l <"$T/all-queries") PromQL expressions parse"
fi

# ------------------------------------------------ (d) the example's output
# It ends by itself after 3 ticks (about 2 s); a SIGTERM would cut it short.
st=0
wait "$EXAMPLE_PID" || st=$?
PIDS=$(echo "$PIDS" | tr ' ' '\n' | grep -vx "$EXAMPLE_PID" | tr '\n' ' ')
assert_eq "$st" 0 "example exit status"
METRICS_STORE="$T/example.store" METRICS_STALE_AFTER=60 REQUEST_METHOD=GET \
	PATH_INFO=/metrics "$FCGI" </dev/null >"$T/example.out" 2>"$T/example-cgi.log" ||
	fail "metrics.fcgi (CGI) fails on the example's store"
grep -q '^Status: 200' "$T/example.out" || fail "CGI status: $(head -n 1 "$T/example.out")"
tr -d '\r' <"$T/example.out" >"$T/example.body"
for f in worker_jobs_total worker_queue_depth worker_job_duration_seconds; do
	grep -q "^# TYPE $f " "$T/example.body" || fail "example family $f not served"
done
for r in $READMES; do
	$TOOL marked "$r" example-output >"$T/example.doc"
	$TOOL lines-in "$T/example.doc" "$T/example.body" || fail "$r: example output differs"
done
ok "example's store renders as the README shows"

# ------------------------------------------------ the real stack
# Started by the Quick start's own script (as tests/integration/prometheus.sh
# does): run-stack.sh without install and build, on free loopback ports,
# with this build's binaries and a 1 s scrape.
for c in lighttpd prometheus promtool; do
	command -v "$c" >/dev/null 2>&1 || skip "static checks passed; $c missing for the stack checks"
done
hport=$(free_port)
pport=$(free_port)
start_bg stack env HTTP_PORT="$hport" PROM_PORT="$pport" STACK_BIND=127.0.0.1 \
	BUILD_DIR="$top_builddir" RUN_DIR="$T/run" SCRAPE_INTERVAL=1s \
	SIM_FLAGS="--seed 42" STACK_TAIL=0 \
	"$top_srcdir/run-stack.sh" --no-install --no-build
STACK_PID=$BG_PID
PROM="http://127.0.0.1:$pport"
i=0
until grep -q 'run-stack: up:' "$T/stack.log"; do
	kill -0 "$STACK_PID" 2>/dev/null || fail "run-stack.sh exited: $(tail -n 5 "$T/stack.log")"
	i=$((i + 1))
	[ $i -lt 300 ] || fail "run-stack.sh did not come up in 30 s"
	sleep 0.1
done
ok "run-stack.sh up (lighttpd :$hport, Prometheus :$pport)"

fetch health "http://127.0.0.1:$hport/health"
assert_eq "$STATUS" 200 "/health"
assert_grep health '^ok: last heartbeat' "/health body as in the README"
fetch metrics "http://127.0.0.1:$hport/metrics"
assert_eq "$STATUS" 200 "/metrics"
for r in $READMES; do
	$TOOL compare-types "$r" "$T/metrics.body" || fail "$r: metrics table is wrong"
done
ok "metrics tables match a real /metrics"

# Every query must succeed with data; an empty answer is retried for a
# while (rate() needs two scrapes).
{ echo 'up{job="shop-exporter"} == 1'; cat "$T/queries"; } >"$T/stack-queries"
$TOOL queries "$PROM" "$T/stack-queries" 30 >"$T/queries.log" 2>&1 ||
	fail "README query: $(tail -n 3 "$T/queries.log")"
ok "$(tail -n 1 "$T/queries.log") (README)"
$TOOL queries "$PROM" "$T/grafana-queries" 10 >"$T/gqueries.log" 2>&1 ||
	fail "dashboard query: $(tail -n 3 "$T/gqueries.log")"
ok "$(tail -n 1 "$T/gqueries.log") (dashboard)"
# The panels that show exemplars have some: the simulator's traced
# requests, in a Prometheus with exemplar storage (run-stack.sh).
$TOOL grafana-exemplars "$top_srcdir/contrib/grafana/shop-dashboard.json" >"$T/grafana-exemplars"
[ -s "$T/grafana-exemplars" ] || fail "the dashboard shows no exemplars"
$TOOL exemplars "$PROM" "$T/grafana-exemplars" 30 >"$T/gexemplars.log" 2>&1 ||
	fail "dashboard exemplars: $(tail -n 3 "$T/gexemplars.log")"
ok "$(tail -n 1 "$T/gexemplars.log") (dashboard)"
if grep -i 'level=error' "$T/run/log/prometheus.log" | grep -i scrape; then
	fail "Prometheus logged scrape errors"
fi
stop_pid "$STACK_PID"
assert_eq "$STOP_STATUS" 0 "run-stack.sh exit status after SIGTERM"
ok "docs check done"
