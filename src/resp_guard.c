/* SPDX-License-Identifier: MIT */
/*
 * resp_guard.c - the SIGBUS guard around reads of the mapped store (see
 * resp_guard.h).  The handler jumps back to resp_guard_call() when a call
 * is in progress and otherwise restores the default action so the fault
 * repeats and kills the process.
 */
#include "config.h"

#include "resp_guard.h"

#include <setjmp.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>

static sigjmp_buf guard_env;
static volatile sig_atomic_t guard_armed;

static void
guard_handler(int sig)
{
	if (guard_armed) {
		guard_armed = 0;
		siglongjmp(guard_env, 1);
	}
	/* Not ours: returning re-executes the faulting access under the
	 * default action, which terminates the process. */
	(void)signal(sig, SIG_DFL);
}

int
resp_guard_install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = guard_handler;
	/* SA_NODEFER: SIGBUS stays unblocked in the handler, so jumping out
	 * of it leaves the signal mask as it was and sigsetjmp() need not
	 * save it (that would be an rt_sigprocmask() per request). */
	sa.sa_flags = SA_NODEFER;
	if (sigemptyset(&sa.sa_mask) == -1)
		return -1;
	return sigaction(SIGBUS, &sa, NULL);
}

int
resp_guard_call(int (*fn)(void *arg), void *arg, int *rc)
{
	int r;

	/* savemask = 0: see SA_NODEFER in resp_guard_install(). */
	if (sigsetjmp(guard_env, 0) != 0)
		return 1;
	guard_armed = 1;
	r = fn(arg);
	guard_armed = 0;
	*rc = r;
	return 0;
}
