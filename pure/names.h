/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * The names of <linux/mempressure.h>'s lists as string tables, indexed by
 * their enums: expanded once, here, for every file that prints them.
 */
#ifndef _MP_NAMES_H
#define _MP_NAMES_H

#include <linux/mempressure.h>

extern const char *const mp_process_columns[MEMPRESSURE_PROC_NR];
extern const char *const mp_cgroup_columns[MEMPRESSURE_CG_NR];
extern const char *const mp_status_keys[MEMPRESSURE_STATUS_NR];
extern const char *const mp_level_names[MEMPRESSURE_LEVEL_NR];
extern const char *const mp_event_kinds[MEMPRESSURE_EVENT_NR];
extern const char *const mp_event_keys[MEMPRESSURE_EKEY_NR];
extern const char *const mp_reasons[MEMPRESSURE_REASON_NR];

#endif /* _MP_NAMES_H */
