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
#   1. preflight, podman settings, base images (tests/container/lib.sh);
#   2. builds the Prometheus stand-in (tests/container/Dockerfile.prometheus)
#      tagged docker.io/prom/prometheus:v2.42.0, and the project image from
#      the top-level Dockerfile (docker format, so HEALTHCHECK is kept);
#   3. starts `podman system service` on a private socket and runs
#      `docker-compose up -d` on the real docker-compose.yml with
#      DOCKER_HOST pointing at it;
#   4. checks /metrics, /health, the image HEALTHCHECK, the exporter's user,
#      the store (tmpfs, mode 0640, readable by the exporter only, mounted
#      read-only) and Prometheus (target up, query has data);
#   5. `docker-compose down` (volumes kept, as a user would), then `up -d`
#      again with PCE_PROMETHEUS_IMAGE naming the stand-in under another
#      name, and checks the stack and that setting once more;
#   6. `docker-compose down -v`, removes anything left with the project's
#      label, stops the podman service (also on failure or interrupt).
#
# Environment (all optional; more in tests/container/lib.sh)
#   PCE_HTTP_PORT, PCE_PROM_PORT   host ports (default 8080/9090; a free
#                       port is picked when the default is taken)
#
# Exit status: 0 all checks passed, 1 a check failed, 77 skipped.

CT_NAME=container
# shellcheck source=tests/container/lib.sh
. "$(dirname "$0")/lib.sh"

PROM_IMAGE=docker.io/prom/prometheus:v2.42.0
# The same stand-in under a name of our own, for the second `up`: proves
# that PCE_PROMETHEUS_IMAGE picks the image.
PROM_IMAGE_SETTING=localhost/prometheus-standin:v2.42.0
PROJECT=pcetest$$

ct_preflight docker-compose
[ -f "$srcdir/Dockerfile" ] || { log "no Dockerfile in $srcdir"; exit 1; }
[ -f "$srcdir/docker-compose.yml" ] || { log "no docker-compose.yml in $srcdir"; exit 1; }
ct_setup

SOCK=$WORK/podman.sock
SERVICE_PID=
PROM_BUILD_PID=
COMPOSE_STARTED=0
PROM_SETTING=

compose() {
	env DOCKER_HOST="unix://$SOCK" COMPOSE_HTTP_TIMEOUT=180 \
	PCE_IMAGE="$PCE_IMAGE" PCE_PUBLISH_ADDR=127.0.0.1 \
	PCE_HTTP_PORT="$HTTP_PORT" PCE_PROM_PORT="$PROM_PORT" \
	${PROM_SETTING:+"PCE_PROMETHEUS_IMAGE=$PROM_SETTING"} \
		docker-compose --ansi never -p "$PROJECT" \
		-f "$srcdir/docker-compose.yml" --project-directory "$srcdir" "$@"
}

compose_cleanup() {
	local rc=$1
	if [ "$COMPOSE_STARTED" = 1 ]; then
		if [ "$FAILED" = 1 ] || [ "$rc" -ne 0 ]; then
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
	podman rmi "$PROM_IMAGE_SETTING" >/dev/null 2>&1
	stop_pid "$PROM_BUILD_PID"
	if [ -n "$SERVICE_PID" ]; then
		log "stopping podman system service (pid $SERVICE_PID)"
		stop_pid "$SERVICE_PID"
	fi
}
ct_on_exit compose_cleanup

ct_base_images

# ---------------------------------------------------------------- images
# The stand-in builds in the background while the project image builds.
log "building the Prometheus stand-in $PROM_IMAGE (in the background)"
mkdir -p "$WORK/empty"
(exec podman build --format docker \
	--build-arg "BASE_IMAGE=$SLIM_IMAGE" -t "$PROM_IMAGE" \
	-f "$here/Dockerfile.prometheus" "$WORK/empty" >"$WORK/build-prometheus.log" 2>&1 9>&-) &
PROM_BUILD_PID=$!

ct_build_project_image

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

BASE=http://127.0.0.1:$HTTP_PORT
PROM=http://127.0.0.1:$PROM_PORT
cid() { compose ps -q "$1" 2>/dev/null | head -n 1; }

# compose_up ROUND: `up -d` and find the containers.
compose_up() {
	log "docker-compose -p $PROJECT up -d, $1 (ports: http $HTTP_PORT, prometheus $PROM_PORT)"
	COMPOSE_STARTED=1
	if run_logged "$WORK/compose-up-$1.log" compose up -d --no-build; then
		pass "docker-compose up ($1)"
	else
		fail "docker-compose up ($1)" "see $WORK/compose-up-$1.log"
		exit 1
	fi
	compose ps >&2
	BRIDGES+=("$(podman network inspect "${PROJECT}_default" --format '{{.NetworkInterface}}' 2>/dev/null)")
	EXPORTER=$(cid exporter)
	SIMULATOR=$(cid simulator)
	PROMETHEUS=$(cid prometheus)
	[ -n "$EXPORTER" ] && [ -n "$SIMULATOR" ] && [ -n "$PROMETHEUS" ] ||
		{ fail "all three services have a container ($1)"; exit 1; }
}

# ---------------------------------------------------------------- checks
# The store: on a tmpfs, 0640 owned by the simulator's uid, which the
# exporter shares; any other uid cannot read it; the exporter cannot write.
check_store() {
	local st fs
	st=$(podman exec "$EXPORTER" stat -c '%a %u:%g' /run/metrics/metrics.store 2>&1)
	fs=$(podman exec "$EXPORTER" stat -f -c '%T' /run/metrics 2>&1)
	if [ "$st" = "640 10001:10001" ] && [ "$fs" = tmpfs ]; then
		pass "store on $fs, mode and owner $st ($1)"
	else
		fail "store on a tmpfs, mode 640, owner 10001:10001 ($1)" "$fs, $st"
	fi
	if podman exec --user 65534:65534 "$EXPORTER" cat /run/metrics/metrics.store >/dev/null 2>&1; then
		fail "store unreadable for another uid ($1)"
	else
		pass "store unreadable for another uid ($1)"
	fi
	if podman exec "$EXPORTER" sh -c 'touch /run/metrics/.probe' >/dev/null 2>&1; then
		fail "exporter cannot write the store volume ($1)"
	else
		pass "exporter mounts the store read-only ($1)"
	fi
}

# Prometheus: the exporter found by DNS SD and scraped successfully, and
# the shop's series queryable.  Prometheus needs a DNS refresh and a
# scrape or two; no need to wait that long when the exporter is already
# known to be broken.
check_prometheus() {
	local wait_s=90 ok=0 summary='' end n
	[ "$METRICS_OK" = 1 ] || wait_s=30
	end=$((SECONDS + wait_s))
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
		pass "Prometheus target up: $summary ($1)"
	else
		fail "Prometheus target for the exporter up ($1)"
		sort -u "$WORK/targets.txt" | sed 's/^/    | /' >&2
	fi

	# the native histogram arrives as one (the compose file turns native
	# histograms on): histogram_count() of it has data
	prom_has_data shop_http_requests_total "$1"
	prom_has_data 'histogram_count(sum(shop_http_request_latency_seconds))' "$1"
}

# prom_has_data QUERY WHEN: the query returns at least one series within 30 s.
prom_has_data() {
	local ok=0 end=$((SECONDS + 30)) n
	while [ $SECONDS -lt $end ]; do
		if curl -fsS -m 5 -o "$WORK/query.json" -G --data-urlencode "query=$1" "$PROM/api/v1/query" 2>/dev/null &&
			n=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["status"]=="success"; print(len(d["data"]["result"]))' "$WORK/query.json" 2>/dev/null) &&
			[ "${n:-0}" -gt 0 ]; then
			ok=1; break
		fi
		sleep 1
	done
	if [ $ok = 1 ]; then
		pass "Prometheus query $1: $n series ($2)"
	else
		fail "Prometheus query $1 returns data ($2)" "$(head -c 300 "$WORK/query.json" 2>/dev/null)"
	fi
}

# ---------------------------------------------------------------- first up
compose_up first
check_scrape "$BASE" first

# What Prometheus asks for: gzip (metrics.fcgi compresses) and OpenMetrics.
check_gzip "$BASE"
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
check_store first
check_prometheus first

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

# ---------------------------------------------------------------- down, up
# As a user would: `down` keeps the named volumes, and the next `up` must
# accept them as they come back from podman (docker-compose.yml, volumes).
log "docker-compose down (volumes kept)"
if run_logged "$WORK/compose-down-first.log" compose down --timeout 10; then
	pass "docker-compose down (volumes kept)"
else
	fail "docker-compose down (volumes kept)"
fi
podman tag "$PROM_IMAGE" "$PROM_IMAGE_SETTING" || { fail "tag $PROM_IMAGE_SETTING"; exit 1; }
PROM_SETTING=$PROM_IMAGE_SETTING
compose_up second
image=$(podman inspect "$PROMETHEUS" --format '{{.ImageName}}' 2>&1)
if [ "$image" = "$PROM_IMAGE_SETTING" ]; then
	pass "PCE_PROMETHEUS_IMAGE=$PROM_IMAGE_SETTING runs that image"
else
	fail "PCE_PROMETHEUS_IMAGE=$PROM_IMAGE_SETTING runs that image" "runs '$image'"
fi
check_scrape "$BASE" second
check_store second
check_prometheus second

exit $FAILED
