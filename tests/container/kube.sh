#!/bin/bash
# SPDX-License-Identifier: MIT
#
# tests/container/kube.sh: run contrib/kubernetes/deployment.yaml with
# `podman kube play` and scrape the pod as Prometheus would: at the pod's
# address, port 8080 (on the pod's bridge network, which the host reaches
# directly; nothing is published).
#
#   sudo tests/container/kube.sh
#
# It uses the project image the compose test (run.sh) builds and keeps,
# and builds it when it is missing.  The manifest runs unchanged but for
# the image name (registry.example.com/... there, the local build here).
#
# Checks: the two manifests agree (the PodMonitor's port and path, the
# prometheus.io annotations, the exporter's port); the pod runs; /metrics
# has the shop's metrics and /health is 200 through the pod; the exporter
# runs as uid 10001 with a read-only root and a read-only store mount; the
# liveness probe became a healthcheck on /health.  Not checkable with
# podman 4.3: the emptyDir's medium (it backs every emptyDir with a volume
# on disk; Kubernetes mounts a tmpfs for medium: Memory), fsGroup, and
# running the liveness probe (podman would run it with curl, which the
# image does not carry; the kubelet does the HTTP itself).
#
# Environment: see tests/container/lib.sh.
# Exit status: 0 all checks passed, 1 a check failed, 77 skipped.

CT_NAME=kube
# shellcheck source=tests/container/lib.sh
. "$(dirname "$0")/lib.sh"

MANIFEST=$srcdir/contrib/kubernetes/deployment.yaml
PODMONITOR=$srcdir/contrib/kubernetes/podmonitor.yaml
MANIFEST_IMAGE=registry.example.com/prometheus-custom-exporter:0.1.0
KUBE_NET=podman-default-kube-network

ct_preflight
[ -f "$MANIFEST" ] && [ -f "$PODMONITOR" ] || { log "no $MANIFEST or $PODMONITOR"; exit 1; }

# ---------------------------------------------------------------- manifests
# The pieces that must agree across the two files (static; python3-yaml
# comes with docker-compose).
if python3 -c 'import yaml' 2>/dev/null; then
	if out=$(python3 - "$MANIFEST" "$PODMONITOR" 2>&1 <<-'EOF'
	import sys, yaml
	dep = yaml.safe_load(open(sys.argv[1]))
	mon = yaml.safe_load(open(sys.argv[2]))
	tpl = dep["spec"]["template"]
	ann = tpl["metadata"]["annotations"]
	spec = tpl["spec"]
	exp = next(c for c in spec["containers"] if c["name"] == "exporter")
	ports = {p["name"]: p["containerPort"] for p in exp["ports"]}
	ep = mon["spec"]["podMetricsEndpoints"][0]
	vols = {v["name"]: v for v in spec["volumes"]}
	problems = []
	def need(ok, what):
	    if not ok:
	        problems.append(what)
	need(ann.get("prometheus.io/scrape") == "true", "annotation prometheus.io/scrape")
	need(str(ports.get(ep["port"])) == ann.get("prometheus.io/port"), "PodMonitor port = annotated port")
	need(ep["path"] == ann.get("prometheus.io/path") == "/metrics", "PodMonitor path = annotated path")
	need(mon["spec"]["selector"]["matchLabels"].items() <= tpl["metadata"]["labels"].items(),
	     "PodMonitor selects the pod's labels")
	need(vols["metrics-store"]["emptyDir"].get("medium") == "Memory", "store emptyDir medium: Memory")
	need(spec["securityContext"].get("runAsNonRoot") is True and "fsGroup" in spec["securityContext"],
	     "runAsNonRoot and fsGroup")
	need(exp["securityContext"].get("readOnlyRootFilesystem") is True, "exporter readOnlyRootFilesystem")
	need(any(m["name"] == "metrics-store" and m.get("readOnly") for m in exp["volumeMounts"]),
	     "exporter mounts the store read-only")
	need(exp["livenessProbe"]["httpGet"]["path"] == "/health", "exporter liveness on /health")
	print("; ".join(problems))
	sys.exit(1 if problems else 0)
	EOF
	); then
		pass "deployment.yaml and podmonitor.yaml agree (port, path, labels, store, security)"
	else
		fail "deployment.yaml and podmonitor.yaml agree" "$out"
	fi
fi

ct_setup
ct_base_images
if ! podman image exists "$PCE_IMAGE"; then
	log "$PCE_IMAGE missing (tests/container/run.sh builds it): building it"
	ct_build_project_image
fi

# ---------------------------------------------------------------- play
KUBE_FILE=$WORK/deployment.yaml
sed "s|image: $MANIFEST_IMAGE\$|image: $PCE_IMAGE|" "$MANIFEST" >"$KUBE_FILE"
grep -q "image: $PCE_IMAGE" "$KUBE_FILE" || { fail "manifest names $MANIFEST_IMAGE"; exit 1; }
NET_EXISTED=0
podman network exists "$KUBE_NET" && NET_EXISTED=1
PLAYED=0

kube_cleanup() {
	if [ "$PLAYED" = 1 ]; then
		if [ "$1" -ne 0 ] || [ "$FAILED" = 1 ]; then
			for c in shop exporter; do
				log "logs of $c:"
				podman logs --tail 20 "$POD-$c" 2>&1 | sed 's/^/    | /' >&2
			done
		fi
		podman kube down "$KUBE_FILE" >"$WORK/kube-down.log" 2>&1 ||
			{ log "podman kube down failed:"; tail -n 5 "$WORK/kube-down.log" >&2; }
	fi
	[ "$NET_EXISTED" = 1 ] || podman network rm -f "$KUBE_NET" >/dev/null 2>&1
}
ct_on_exit kube_cleanup

# Names podman 4.3 gives: the Deployment's pod "shop-pod-0", its
# containers "<pod>-<container>", the emptyDirs volumes of their names.
POD=shop-pod-0
for v in metrics-store exporter-tmp; do
	podman volume exists "$v" && { fail "no volume $v yet" "one exists: not ours to replace"; exit 1; }
done
PLAYED=1
if run_logged "$WORK/kube-play.log" podman kube play "$KUBE_FILE"; then
	pass "podman kube play contrib/kubernetes/deployment.yaml"
else
	fail "podman kube play contrib/kubernetes/deployment.yaml"; exit 1
fi
BRIDGES+=("$(podman network inspect "$KUBE_NET" --format '{{.NetworkInterface}}' 2>/dev/null)")
infra=$(podman pod inspect "$POD" --format '{{.InfraContainerID}}' 2>/dev/null)
IP=$(podman inspect "$infra" --format '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' 2>/dev/null)
[ -n "$IP" ] || { fail "the pod has an address"; exit 1; }

# ---------------------------------------------------------------- checks
BASE=http://$IP:8080
check_scrape "$BASE"

EXPORTER=$POD-exporter
uid=$(podman exec "$EXPORTER" id -u 2>&1)
ro=$(podman inspect "$EXPORTER" --format '{{.HostConfig.ReadonlyRootfs}}' 2>&1)
if [ "$uid" = 10001 ] && [ "$ro" = true ]; then
	pass "exporter runs as uid $uid with a read-only root file system"
else
	fail "exporter runs as uid 10001 with a read-only root file system" "uid $uid, read-only $ro"
fi
if podman exec "$EXPORTER" sh -c 'touch /run/metrics/.probe' >/dev/null 2>&1; then
	fail "exporter cannot write the store volume"
else
	pass "exporter mounts the store read-only"
fi
hc=$(podman inspect "$EXPORTER" --format '{{join .Config.Healthcheck.Test " "}}' 2>&1)
case $hc in
*"localhost:8080/health"*) pass "liveness probe became a healthcheck on :8080/health" ;;
*) fail "liveness probe became a healthcheck on :8080/health" "$hc" ;;
esac

exit $FAILED
