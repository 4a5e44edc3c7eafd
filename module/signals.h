/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _MP_SIGNALS_H
#define _MP_SIGNALS_H

#include "window.h"

struct mem_cgroup;
struct mp_sample;

void mp_signals_sample(struct mp_sample *next, struct mp_sample *prev);

int mp_signals_start(void);
void mp_signals_stop(void);
void mp_signals_kick(struct mem_cgroup *memcg);
u64 mp_signals_fast_runs(void);
enum mp_window mp_leak_window(void);

#endif /* _MP_SIGNALS_H */
