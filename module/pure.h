/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Types for the pure-logic files (window.c, levels.c, control_parse.c).
 * Those files do no locking and no I/O, so the same source builds into the
 * module and into the host unit tests.  The types and helpers the two
 * builds get differently are here; control_parse.c and control_parse.h
 * also include the kernel's or libc's errno and string headers, each for
 * itself.
 */
#ifndef _MP_PURE_H
#define _MP_PURE_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/math64.h>
#include <linux/time64.h>
#else
#include <stdbool.h>
#include <stdint.h>

typedef uint8_t u8;
typedef uint32_t u32;
typedef int32_t s32;
typedef uint64_t u64;
typedef int64_t s64;

#define NSEC_PER_MSEC	1000000L
#define NSEC_PER_SEC	1000000000L

static inline s64 div64_s64(s64 dividend, s64 divisor)
{
	return dividend / divisor;
}

static inline u64 div64_u64(u64 dividend, u64 divisor)
{
	return dividend / divisor;
}
#endif

#endif /* _MP_PURE_H */
