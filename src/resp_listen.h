/* SPDX-License-Identifier: MIT */
/*
 * resp_listen.h - the listening socket for metrics.fcgi --listen (nginx has
 * no spawner).  Created here rather than by FCGX_OpenSocket(), which exits
 * the process on bind errors, binds ":PORT" to all interfaces and cannot set
 * the socket's permissions.  The fd is handed to FCGX_InitRequest().
 */
#ifndef RESP_LISTEN_H
#define RESP_LISTEN_H

#include <stddef.h>
#include <sys/types.h>

#include "resp_opts.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Listen on a (see resp_addr_parse()).  A unix socket: a stale socket file
 * left by a dead process (connect refused) is removed first, a live one or
 * a non-socket file is an error; the new socket gets mode (chmod, so the
 * umask does not matter).  TCP: SO_REUSEADDR, the first address that
 * binds.  The fd is close-on-exec.  Returns the fd, or -1 with a one-line
 * message in cause ("what failed: on what: why").
 */
int resp_listen_open(const struct resp_addr *a, mode_t mode, int backlog, char *cause,
                     size_t causelen);

/* Remove the socket file of a unix address (at exit); ignores errors. */
void resp_listen_cleanup(const struct resp_addr *a);

#ifdef __cplusplus
}
#endif
#endif /* RESP_LISTEN_H */
