/* SPDX-License-Identifier: MIT */
/*
 * resp_gzip.c - gzip for the responder's bodies, with ISA-L's igzip at
 * level 1 (why: resp_gzip.h).  A thin layer: one isal_zstream and its
 * level buffer, allocated once, reset per response.
 */
#include "config.h"

#include "resp_gzip.h"

#include "log.h"

#include <isa-l/igzip_lib.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* igzip's level 1: at level 0 the N = 10,000 body is 77 % larger than
 * zlib's default level makes it, at level 3 seven times slower (and only
 * 1.6 % smaller); levels 1 and 2 are the same code in ISA-L 2.30. */
#define GZIP_LEVEL     1
#define GZIP_LEVEL_BUF ISAL_DEF_LVL1_SMALL

struct resp_gzip {
	struct isal_zstream zs; /* 80 KiB: history, hash table */
	uint8_t level_buf[GZIP_LEVEL_BUF];
};

struct resp_gzip *
resp_gzip_new(void)
{
	struct resp_gzip *z = malloc(sizeof *z);

	if (z == NULL)
		log_fatal(EXIT_FAILURE, "cannot allocate %zu bytes: %s", sizeof *z,
		          strerror(errno));
	isal_deflate_init(&z->zs);
	z->zs.level = GZIP_LEVEL;
	z->zs.level_buf = z->level_buf;
	z->zs.level_buf_size = sizeof z->level_buf;
	z->zs.flush = SYNC_FLUSH;
	resp_gzip_begin(z);
	return z;
}

void
resp_gzip_free(struct resp_gzip *z)
{
	free(z);
}

void
resp_gzip_begin(struct resp_gzip *z)
{
	/* keeps level, buffer and flush (igzip_lib.h); gzip_flag is turned
	 * to IGZIP_GZIP_NO_HDR once a stream's header is written */
	isal_deflate_reset(&z->zs);
	z->zs.gzip_flag = IGZIP_GZIP;
}

enum resp_gzip_result
resp_gzip_put(struct resp_gzip *z, const char *in, size_t n, int last, char *out, size_t cap,
              size_t *used, size_t *wrote)
{
	struct isal_zstream *zs = &z->zs;
	uint32_t in_n = n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
	int rc;

	zs->next_in = (uint8_t *)(uintptr_t)in; /* only read */
	zs->avail_in = in_n;
	zs->next_out = (uint8_t *)out;
	zs->avail_out = cap > UINT32_MAX ? UINT32_MAX : (uint32_t)cap;
	zs->end_of_stream = last && in_n == n;
	rc = isal_deflate(zs);
	*used = in_n - zs->avail_in;
	*wrote = (size_t)((char *)zs->next_out - out);
	if (rc != COMP_OK) {
		log_warn("gzip failed: isal_deflate returned %d", rc);
		return RESP_GZIP_ERROR;
	}
	if (zs->avail_in > 0 || in_n < n)
		return RESP_GZIP_FULL;
	/* After the last piece the stream is complete at ZSTATE_END.  A sync
	 * flush is complete when room was left over, or the state is back at
	 * a new block (igzip_lib.h, isal_deflate()). */
	if (zs->end_of_stream)
		return zs->internal_state.state == ZSTATE_END ? RESP_GZIP_DONE : RESP_GZIP_FULL;
	return zs->avail_out > 0 || zs->internal_state.state == ZSTATE_NEW_HDR ? RESP_GZIP_DONE
	                                                                       : RESP_GZIP_FULL;
}
