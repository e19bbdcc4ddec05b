/* SPDX-License-Identifier: MIT */
/*
 * resp_listen.c - create metrics.fcgi's own listening socket (unix or TCP)
 * for --listen; see resp_listen.h.
 */
#include "config.h"

#include "resp_listen.h"

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static void
fill_un(struct sockaddr_un *sun, const char *path)
{
	memset(sun, 0, sizeof *sun);
	sun->sun_family = AF_UNIX;
	(void)snprintf(sun->sun_path, sizeof sun->sun_path, "%s", path);
}

/* Remove path if it is a socket nobody listens on.  0 ok, -1 with errno. */
static int
remove_stale(const char *path)
{
	struct sockaddr_un sun;
	struct stat st;
	int fd, rc, saved;

	if (lstat(path, &st) == -1)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISSOCK(st.st_mode)) {
		errno = EEXIST;
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return -1;
	fill_un(&sun, path);
	rc = connect(fd, (struct sockaddr *)&sun, sizeof sun);
	saved = errno;
	(void)close(fd); /* a probe socket: nothing to flush */
	if (rc == 0) {
		errno = EADDRINUSE;
		return -1;
	}
	if (saved != ECONNREFUSED) {
		errno = saved;
		return -1;
	}
	return unlink(path);
}

static int
listen_unix(const struct resp_addr *a, mode_t mode, int backlog, char *cause, size_t causelen)
{
	struct sockaddr_un sun;
	const char *what = "cannot remove stale socket";
	int fd = -1, saved;

	if (remove_stale(a->path) == -1)
		goto fail;
	what = "cannot create socket";
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd == -1)
		goto fail;
	fill_un(&sun, a->path);
	what = "cannot bind";
	if (bind(fd, (struct sockaddr *)&sun, sizeof sun) == -1)
		goto fail;
	what = "cannot chmod";
	if (chmod(a->path, mode) == -1)
		goto fail_unlink;
	what = "cannot listen";
	if (listen(fd, backlog) == -1)
		goto fail_unlink;
	return fd;
fail_unlink:
	saved = errno;
	(void)unlink(a->path);
	errno = saved;
fail:
	saved = errno;
	if (fd != -1)
		(void)close(fd);
	(void)snprintf(cause, causelen, "%s: %s: %s", what, a->path, strerror(saved));
	return -1;
}

/* Try to bind and listen on one resolved address; fd or -1. */
static int
listen_one(const struct addrinfo *ai, int backlog)
{
	int fd, one = 1, saved;

	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
	if (fd == -1)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == 0 &&
	    bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, backlog) == 0)
		return fd;
	saved = errno;
	(void)close(fd);
	errno = saved;
	return -1;
}

static int
listen_tcp(const struct resp_addr *a, int backlog, char *cause, size_t causelen)
{
	struct addrinfo hints, *res, *ai;
	int fd = -1, rc, saved = 0;

	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	rc = getaddrinfo(a->host, a->port, &hints, &res);
	if (rc != 0) {
		(void)snprintf(cause, causelen, "cannot resolve: %s: %s", a->host,
		               gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai != NULL && fd == -1; ai = ai->ai_next) {
		fd = listen_one(ai, backlog);
		if (fd == -1)
			saved = errno;
	}
	freeaddrinfo(res);
	if (fd == -1)
		(void)snprintf(cause, causelen, "cannot listen: %s port %s: %s", a->host, a->port,
		               strerror(saved));
	return fd;
}

int
resp_listen_open(const struct resp_addr *a, mode_t mode, int backlog, char *cause, size_t causelen)
{
	if (a->is_unix)
		return listen_unix(a, mode, backlog, cause, causelen);
	return listen_tcp(a, backlog, cause, causelen);
}

void
resp_listen_cleanup(const struct resp_addr *a)
{
	if (a->is_unix)
		(void)unlink(a->path); /* at exit: nothing left to report to */
}
