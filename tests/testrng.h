/* SPDX-License-Identifier: MIT */
/*
 * testrng.h - for the Check suites' random loops (header only: each suite
 * is one file): REQUIRE, an assertion that calls into Check only when it
 * fails, and rng(), splitmix64 over the file's rng_state.
 */
#ifndef TESTRNG_H
#define TESTRNG_H

#include <check.h>
#include <stdint.h>

/*
 * Check's ck_assert_* report every passing assertion to the parent process
 * (a write per call), far too slow inside loops of millions: hot loops test
 * with REQUIRE, which only calls into Check on failure.
 */
#define REQUIRE(cond, ...)                         \
	do {                                       \
		if (!(cond))                       \
			ck_abort_msg(__VA_ARGS__); \
	} while (0)

/* The generator's state: set it to a seed before a run. */
static uint64_t rng_state;

/* splitmix64: small, good enough to spread bit patterns. */
static inline uint64_t
rng(void)
{
	uint64_t z = (rng_state += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

#endif /* TESTRNG_H */
