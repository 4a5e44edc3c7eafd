/* SPDX-License-Identifier: GPL-2.0 */
#ifndef LK_REPLAY_H
#define LK_REPLAY_H

#include <stdint.h>
#include <stdio.h>

#include "trace.h"

/*
 * Set every row's leak flag and time_to_limit_sec as module/leak.c, with
 * @tunables (MEMPRESSURE_TUNABLE_NR values), would have (replay.c).  Each
 * checkpoint of workload @verbose_wl (-1: none) is printed to @verbose.
 */
int lk_replay(struct lk_trace *tr, const uint64_t *tunables, int verbose_wl,
	      FILE *verbose);

#endif /* LK_REPLAY_H */
