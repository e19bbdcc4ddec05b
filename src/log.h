/* SPDX-License-Identifier: MIT */
/*
 * log.h - one-line diagnostics for the daemons (metrics.fcgi, the simulator).
 *
 * Every message goes to stderr as a single line "PROGNAME: MESSAGE\n",
 * written with one write(2) so lines from concurrent processes never
 * interleave.  Under lighttpd a spawned backend's stderr ends up in the
 * server's error log, which is where operators look.  Write messages as
 * "what failed: on what: why", e.g.
 *   metrics.fcgi: cannot open store: /run/metrics/metrics.store: No such file or directory
 * The library (libmstore) never logs; only the daemons link this code
 * (src/liblog.la).
 */
#ifndef LOG_H
#define LOG_H

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) || defined(__clang__)
#define LOG_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define LOG_NORETURN     __attribute__((noreturn))
#else
#define LOG_PRINTF(f, a)
#define LOG_NORETURN
#endif

/* Verbosity levels: warnings are always shown, each -v adds one level. */
enum log_level {
	LOG_LEVEL_WARN = 0,
	LOG_LEVEL_INFO = 1,
	LOG_LEVEL_DEBUG = 2,
};

/*
 * Set the program name prefixed to every line (only its last path
 * component is used; the string must stay valid for the life of the
 * process) and the verbosity.  May be called again (e.g. after parsing -v).
 * Before the first call the prefix is "log" and the level LOG_LEVEL_WARN.
 */
void log_init(const char *progname, int level);

/* Log one line at the given level (dropped if above the current level).
 * A trailing newline in fmt is not needed and is removed if present. */
void log_warn(const char *fmt, ...) LOG_PRINTF(1, 2);
void log_info(const char *fmt, ...) LOG_PRINTF(1, 2);
void log_debug(const char *fmt, ...) LOG_PRINTF(1, 2);

/* Log at warning level and exit(status). */
void log_fatal(int status, const char *fmt, ...) LOG_PRINTF(2, 3) LOG_NORETURN;

#ifdef __cplusplus
}
#endif
#endif /* LOG_H */
