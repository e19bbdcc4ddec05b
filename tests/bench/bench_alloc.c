/* SPDX-License-Identifier: MIT */
/*
 * bench_alloc.c - count heap allocations, to prove that a scrape allocates
 * nothing once its buffer has grown.  The bench binary defines malloc,
 * calloc, realloc and free itself; the dynamic linker then binds every call
 * in the process to them (the library, the renderer, libc's own internal
 * calls such as qsort's or stdio's), and they count and forward to glibc's
 * allocator through its exported __libc_* entry points.  Sanitizer builds
 * bring their own malloc, so there the counter is reported as unavailable.
 */
#include "config.h"

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "bench.h"

#if defined(__SANITIZE_ADDRESS__)
#define BENCH_NO_INTERPOSE 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(memory_sanitizer)
#define BENCH_NO_INTERPOSE 1
#endif
#endif

static atomic_bool counting;
static atomic_uint_fast64_t allocations;

void
bench_alloc_start(void)
{
	atomic_store(&allocations, 0);
	atomic_store(&counting, 1);
}

uint64_t
bench_alloc_stop(void)
{
	atomic_store(&counting, 0);
	return atomic_load(&allocations);
}

#ifdef BENCH_NO_INTERPOSE

int
bench_alloc_available(void)
{
	return 0;
}

#else

/* glibc's allocator, exported for exactly this purpose (a malloc that wraps it). */
extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t nmemb, size_t size);
extern void *__libc_realloc(void *ptr, size_t size);
extern void __libc_free(void *ptr);

int
bench_alloc_available(void)
{
	return 1;
}

static inline void
count_one(void)
{
	if (atomic_load_explicit(&counting, memory_order_relaxed))
		atomic_fetch_add_explicit(&allocations, 1, memory_order_relaxed);
}

void *
malloc(size_t size)
{
	count_one();
	return __libc_malloc(size);
}

void *
calloc(size_t nmemb, size_t size)
{
	count_one();
	return __libc_calloc(nmemb, size);
}

void *
realloc(void *ptr, size_t size)
{
	count_one();
	return __libc_realloc(ptr, size);
}

void
free(void *ptr)
{
	__libc_free(ptr);
}

#endif /* BENCH_NO_INTERPOSE */
