/* SPDX-License-Identifier: MIT */
/*
 * log.c - stderr logging for the daemons: a program-name prefix, a verbosity
 * level set by -v, and one write(2) per line.  Module state is two statics.
 */
#include "config.h"

#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Longest line written; longer messages are cut (and end in "..."). */
#define LOG_LINE_MAX 2048

static const char *log_name = "log";
static int log_verbosity = LOG_LEVEL_WARN;

void
log_init(const char *progname, int level)
{
	const char *slash;

	if (progname != NULL && *progname != '\0') {
		slash = strrchr(progname, '/');
		log_name = slash != NULL && slash[1] != '\0' ? slash + 1 : progname;
	}
	log_verbosity = level;
}

/* Write all of buf to stderr; errors are ignored (nowhere left to report). */
static void
log_write(const char *buf, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = write(STDERR_FILENO, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		buf += n;
		len -= (size_t)n;
	}
}

/* Format "name: message\n" into one buffer and write it; keeps errno. */
static void
log_vline(const char *fmt, va_list ap)
{
	static const char ellipsis[] = "...";
	char line[LOG_LINE_MAX];
	size_t len;
	int n, saved = errno;

	n = snprintf(line, sizeof line, "%s: ", log_name);
	if (n < 0 || (size_t)n >= sizeof line)
		n = 0;
	len = (size_t)n;
	n = vsnprintf(line + len, sizeof line - len, fmt, ap);
	if (n < 0)
		n = 0;
	if ((size_t)n >= sizeof line - len) {
		/* cut: keep room for the ellipsis and the newline */
		len = sizeof line - sizeof ellipsis - 1;
		memcpy(line + len, ellipsis, sizeof ellipsis - 1);
		len += sizeof ellipsis - 1;
	} else {
		len += (size_t)n;
	}
	while (len > 0 && line[len - 1] == '\n')
		len--;
	line[len++] = '\n';
	log_write(line, len);
	errno = saved;
}

void
log_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vline(fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	if (log_verbosity < LOG_LEVEL_INFO)
		return;
	va_start(ap, fmt);
	log_vline(fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	if (log_verbosity < LOG_LEVEL_DEBUG)
		return;
	va_start(ap, fmt);
	log_vline(fmt, ap);
	va_end(ap);
}

void
log_fatal(int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vline(fmt, ap);
	va_end(ap);
	exit(status);
}
