// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/* String tables of the shared header's lists (names.h). */
#include "names.h"

/* An X-macro element that keeps the name and drops the enum suffix. */
#define MP_NAME(e, name)	name,

const char *const mp_process_columns[MEMPRESSURE_PROC_NR] = {
	MEMPRESSURE_PROCESS_COLUMNS(MP_NAME)
};

const char *const mp_cgroup_columns[MEMPRESSURE_CG_NR] = {
	MEMPRESSURE_CGROUP_COLUMNS(MP_NAME)
};

const char *const mp_status_keys[MEMPRESSURE_STATUS_NR] = {
	MEMPRESSURE_STATUS_KEYS(MP_NAME)
};

const char *const mp_level_names[MEMPRESSURE_LEVEL_NR] = {
	MEMPRESSURE_LEVELS(MP_NAME)
};

const char *const mp_event_kinds[MEMPRESSURE_EVENT_NR] = {
	MEMPRESSURE_EVENT_KINDS(MP_NAME)
};

const char *const mp_event_keys[MEMPRESSURE_EKEY_NR] = {
	MEMPRESSURE_EVENT_KEYS(MP_NAME)
};

const char *const mp_reasons[MEMPRESSURE_REASON_NR] = {
	MEMPRESSURE_REASONS(MP_NAME)
};
