// SPDX-License-Identifier: GPL-2.0
/*
 * The pod columns (cli_pod.h): one resolver for the CLI's run, so that
 * top's refreshes read a container's files once (mp_pod.c's cache).
 */
#include <stdio.h>
#include <stdlib.h>

#include "cli_pod.h"
#include "mp_pod.h"

/* Pods and containers kept: a node of 250 pods with three containers each. */
#define CLI_POD_CACHE		1024
/* A cgroup whose files were not there is looked at again after this. */
#define CLI_POD_RETRY_MS	5000

static struct mp_pod_resolver *pods;

static void pods_free(void)
{
	mp_pod_resolver_free(pods);
	pods = NULL;
}

static struct mp_pod_resolver *resolver(void)
{
	if (!pods) {
		pods = mp_pod_resolver_host(CLI_POD_CACHE, CLI_POD_RETRY_MS);
		if (pods)
			atexit(pods_free);
	}
	return pods;
}

static void set(struct cli_table *t, size_t col, const char *s)
{
	if (s && *s)
		cli_set_str(t, col, s);
}

void cli_set_pod(struct cli_table *t, size_t first, const char *cgroup)
{
	struct mp_pod_info info;
	char pod[MP_POD_NAMESPACE_MAX + MP_POD_NAME_MAX + 2];

	if (!cgroup || mp_pod_resolve(resolver(), cgroup, &info))
		return;
	if (info.namespace[0] && info.pod[0]) {
		snprintf(pod, sizeof(pod), "%s/%s", info.namespace, info.pod);
		set(t, first + CLI_POD_POD, pod);
	}
	set(t, first + CLI_POD_CONTAINER, info.container);
	set(t, first + CLI_POD_NAMESPACE, info.namespace);
	set(t, first + CLI_POD_NAME, info.pod);
	set(t, first + CLI_POD_UID, info.path.uid);
	set(t, first + CLI_POD_CONTAINER_ID, info.path.container_id);
	set(t, first + CLI_POD_QOS, mp_pod_qos_names[info.path.qos]);
	set(t, first + CLI_POD_RUNTIME, mp_pod_runtime_names[info.path.runtime]);
}
