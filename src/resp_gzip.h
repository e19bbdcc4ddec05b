/* SPDX-License-Identifier: MIT */
/*
 * resp_gzip.h - the responder's gzip compressor: one gzip stream per
 * response body, fed in pieces as the renderer fills its buffer and
 * written into a caller's buffer, with every piece flushed (a deflate
 * sync flush), so what went out so far always decompresses to the body
 * rendered so far.  The state is allocated once per process
 * (resp_gzip_new) and reused: compressing allocates nothing.
 *
 * Why ISA-L (Intel's igzip, Debian's libisal2), level 1: measured on the
 * standard workload's N = 10,000 OpenMetrics body (2,385,993 bytes) on the
 * project's 2-CPU VM, in 256 KiB pieces as the responder renders them,
 * median thread CPU time of 41-101 runs (doc/performance.md):
 *     zlib 1.2.13 level 6 (mod_deflate's default)  20.0 ms  132,676 bytes
 *     zlib level 1                                  5.9 ms  163,696 bytes
 *     libdeflate 1.14 level 1 (one gzip member
 *       per piece: it has no streaming API)          2.8-3.9 ms  152,640 bytes
 *     ISA-L 2.30 level 1, streaming                  1.05-1.2 ms  158,255 bytes
 *     ISA-L level 0                                  1.0 ms  234,396 bytes
 * ISA-L level 1 is 5 times zlib's fastest level, 3 times libdeflate's,
 * and its body is 19 % larger than zlib level 6's (the target allows
 * 40 %; level 0 is 77 % larger, no faster).  At N = 100,000 (24 MB):
 * 11-12 ms, 1,533,574 bytes against 1,292,876 at zlib level 6.  Its level
 * buffer size ISAL_DEF_LVL1_SMALL (84 KiB) compresses as fast as the
 * default 276 KiB one.
 */
#ifndef RESP_GZIP_H
#define RESP_GZIP_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The value of Content-Encoding for what this compressor writes. */
#define RESP_GZIP_CODING "gzip"

struct resp_gzip;

/* Allocate the compressor (165 KiB, once per process).  Exits the
 * process (log_fatal) when memory runs out, like the responder's other
 * allocations. */
struct resp_gzip *resp_gzip_new(void);

/* Free it.  Accepts NULL. */
void resp_gzip_free(struct resp_gzip *z);

/* Start a new gzip stream (the next resp_gzip_put() writes its header). */
void resp_gzip_begin(struct resp_gzip *z);

/* What one resp_gzip_put() call did. */
enum resp_gzip_result {
	RESP_GZIP_ERROR = -1, /* the library refused (a bug: logged) */
	RESP_GZIP_FULL = 0,   /* out filled up first: call again with the
	                         rest of the input (maybe none) and room */
	RESP_GZIP_DONE = 1,   /* everything fed so far is in the output;
	                         after last, the stream is complete */
};

/*
 * Compress in[0..n) into out[0..cap), after the bytes fed before; with
 * last, end the stream (the gzip trailer).  *used gets the input bytes
 * taken, *wrote the output bytes written.  Everything fed is flushed to
 * byte boundaries (a sync flush): the output so far decompresses to all
 * the input so far.  Neither buffer needs to outlive the call.
 */
enum resp_gzip_result resp_gzip_put(struct resp_gzip *z, const char *in, size_t n, int last,
                                    char *out, size_t cap, size_t *used, size_t *wrote);

#ifdef __cplusplus
}
#endif
#endif /* RESP_GZIP_H */
