/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The pod columns of the CLI's tables (cli_pod.c): a cgroup's pod and
 * container by name (userspace/common/mp_pod.h), as the tables of top,
 * cgroups, events and apps' subscribers show them.  A table keeps them
 * together, CLI_POD_NR columns from its own index @first:
 *
 *   pod (NAMESPACE/NAME), container: shown by default;
 *   namespace, pod_name, pod_uid, container_id, qos, runtime: with -o.
 */
#ifndef CLI_POD_H
#define CLI_POD_H

#include <stddef.h>

#include "cli_format.h"

enum {
	CLI_POD_POD, CLI_POD_CONTAINER, CLI_POD_NAMESPACE, CLI_POD_NAME, CLI_POD_UID,
	CLI_POD_CONTAINER_ID, CLI_POD_QOS, CLI_POD_RUNTIME, CLI_POD_NR
};

/* The columns' descriptions, for a table's array: CLI_POD_COLS(X_POD), */
#define CLI_POD_COLS(first)								\
	[(first) + CLI_POD_POD] = { "pod", "pod", CLI_T_STR, 0, NULL, 0 },		\
	[(first) + CLI_POD_CONTAINER] = { "container", "container", CLI_T_STR, 0, NULL, 0 }, \
	[(first) + CLI_POD_NAMESPACE] = { "namespace", "namespace", CLI_T_STR,		\
					  CLI_COL_HIDDEN, NULL, 0 },			\
	[(first) + CLI_POD_NAME] = { "pod_name", "pod_name", CLI_T_STR, CLI_COL_HIDDEN,	\
				     NULL, 0 },						\
	[(first) + CLI_POD_UID] = { "pod_uid", "pod_uid", CLI_T_STR, CLI_COL_HIDDEN,	\
				    NULL, 0 },						\
	[(first) + CLI_POD_CONTAINER_ID] = { "container_id", "container_id", CLI_T_STR,	\
					     CLI_COL_HIDDEN, NULL, 0 },			\
	[(first) + CLI_POD_QOS] = { "qos", "qos", CLI_T_STR, CLI_COL_HIDDEN, NULL, 0 },	\
	[(first) + CLI_POD_RUNTIME] = { "runtime", "runtime", CLI_T_STR, CLI_COL_HIDDEN,	\
					NULL, 0 }

/*
 * Fill the pod columns of @t's last row, from @first, for the cgroup at
 * path @cgroup (decoded; NULL: none).  Columns of what is not known stay
 * "-".  The host's files are read under $MEMPRESSURE_HOST_ROOT, else /.
 */
void cli_set_pod(struct cli_table *t, size_t first, const char *cgroup);

#endif /* CLI_POD_H */
