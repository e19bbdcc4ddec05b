/* SPDX-License-Identifier: MIT */
/*
 * resp_guard.h - survive SIGBUS while reading a mapped store.
 *
 * Touching a mapped page beyond the end of a file that was truncated under
 * the reader raises SIGBUS.  mstore_reader_refresh() notices most shrinks
 * (it compares the size with fstat), but a file can shrink between that
 * check and the last byte rendered.  The responder (not the library) runs
 * the refresh + snapshot + render of one request inside resp_guard_call():
 * a SIGBUS during the call jumps back out of it (siglongjmp) and the
 * request fails with 503; the caller then closes the reader so the next
 * request reopens the file.  A SIGBUS outside a guarded call keeps its
 * default action (the process dies with a core, as it should for a bug).
 */
#ifndef RESP_GUARD_H
#define RESP_GUARD_H

#ifdef __cplusplus
extern "C" {
#endif

/* Install the SIGBUS handler.  Returns 0, or -1 with errno from
 * sigaction().  Call once, before the first resp_guard_call(). */
int resp_guard_install(void);

/*
 * Call fn(arg) with SIGBUS guarded and store its return value in *rc.
 * Returns 0 if fn returned, or 1 if it was cut short by SIGBUS (*rc is then
 * untouched; anything fn was building must be treated as garbage, and any
 * lock or allocation it held is lost, so fn must hold none).  Not
 * reentrant: one guarded call at a time per process (the responder is
 * single-threaded).
 */
int resp_guard_call(int (*fn)(void *arg), void *arg, int *rc);

#ifdef __cplusplus
}
#endif
#endif /* RESP_GUARD_H */
