#!/bin/bash
# SPDX-License-Identifier: MIT
#
# tests/container/build-debs.sh OUTDIR: build the Debian packages (debian/)
# with `dpkg-buildpackage -us -uc -b` in a scratch copy of the tree (the
# tree itself may be configured in place: .ci/run does that first), check
# them with lintian, and put the .deb files into OUTDIR for packages.sh.
#
# Checks: configure.ac's version is the upstream part of debian/changelog's;
# the build passes, with the upstream test suite run by dh_auto_test (the
# log keeps automake's summary, which .ci/run counts); lintian reports no
# error and no warning (the warnings kept are overridden with a reason in
# debian/*.lintian-overrides; infos are shown, not counted); the nginx
# snippet passes nginx -t (where nginx is installed).
#
# Environment: DEB_BUILD_OPTIONS passes through (nocheck skips the test
# suite, parallel=N runs it with N jobs).
# Exit status: 0 passed, 1 failed, 77 the Debian tools are missing.

CT_NAME=debs
# shellcheck source=tests/container/lib.sh
. "$(dirname "$0")/lib.sh"

out=${1:?usage: build-debs.sh OUTDIR}
for tool in dpkg-buildpackage dpkg-parsechangelog dh lintian git; do
	command -v "$tool" >/dev/null 2>&1 ||
		skip "'$tool' not found (Debian: dpkg-dev debhelper lintian git)"
done
mkdir -p "$out" && out=$(cd "$out" && pwd) || exit 1

version=$(sed -n 's/^AC_INIT(\[[^]]*\], *\[\([^]]*\)\].*/\1/p' "$srcdir/configure.ac")
deb_version=$(dpkg-parsechangelog -l "$srcdir/debian/changelog" -S Version)
if [ -z "$version" ] || [ "${deb_version%-*}" != "$version" ]; then
	log "FAIL: debian/changelog has $deb_version, configure.ac's AC_INIT $version: add a changelog entry (dch -v $version-1)"
	exit 1
fi
log "version $deb_version (configure.ac: $version)"

scratch=$(mktemp -d /tmp/pce-debs.XXXXXX) || exit 1
trap 'rm -rf "$scratch"' EXIT
tree=$scratch/prometheus-custom-exporter-$version
mkdir "$tree" && ct_tree_copy "$tree" || { log "FAIL: copy the tree"; exit 1; }

log "dpkg-buildpackage -us -uc -b (DEB_BUILD_OPTIONS='${DEB_BUILD_OPTIONS:-}')"
(cd "$tree" && dpkg-buildpackage -us -uc -b) || { log "FAIL: dpkg-buildpackage"; exit 1; }

changes=$(ls "$scratch"/*.changes)
log "lintian $(basename "$changes")"
lintian -I --fail-on error,warning "$changes" || { log "FAIL: lintian"; exit 1; }

# The nginx snippet parses in a server block (nginx -t with a scratch
# prefix; the lighttpd snippet runs in packages.sh).
if command -v nginx >/dev/null 2>&1 && [ -r /etc/nginx/fastcgi_params ]; then
	ng=$scratch/nginx
	mkdir -p "$ng/root" && cp /etc/nginx/fastcgi_params "$ng/" &&
		dpkg-deb -x "$scratch"/prometheus-custom-exporter_*.deb "$ng/root" || exit 1
	cat >"$ng/nginx.conf" <<-EOF
	pid $ng/nginx.pid;
	error_log stderr;
	events {}
	http {
	    access_log off;
	    server {
	        listen 127.0.0.1:9101;
	        include $ng/root/etc/nginx/snippets/metrics-fcgi.conf;
	    }
	}
	EOF
	nginx -t -q -p "$ng" -c "$ng/nginx.conf" || { log "FAIL: nginx -t with the nginx snippet"; exit 1; }
	log "nginx -t passes with the nginx snippet"
else
	log "nginx not installed: the nginx snippet is not checked"
fi

cp "$scratch"/*.deb "$out"/ || exit 1
log "PASS: $(cd "$out" && ls -- *.deb | tr '\n' ' ')"
