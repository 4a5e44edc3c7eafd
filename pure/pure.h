/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pure/: the code the module and userspace share, compiled by both from
 * this one directory.  control_parse.c is the control file's grammar, and
 * names.c the string tables of the shared header's name lists.  The module
 * builds them through module/Kbuild; the CLI, mempressured, libmempressure,
 * the selftests and the fuzzers link them through the Makefile's PURE_SRC,
 * with pure/ and include/uapi as their only view of the module's sources.
 *
 * What belongs here: code with no locking, no I/O and no allocation, that
 * builds as C11 in userspace and passes checkpatch --strict as kernel code.
 * The module's own pure files (window.c, levels.c) use this header too, so
 * that host tests can build them, but only the module links them.
 *
 * This header gives userspace the kernel's types and helpers.  Beyond it, a
 * file here differs between the two builds only in the headers it includes
 * (<linux/errno.h> or <errno.h>), chosen with __KERNEL__.
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
