/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Pods and containers by name.  A cgroup path of the kubelet's layout
 * names a pod by its UID and a container by its runtime's ID; this file
 * reads them from the path (mp_pod_parse(), pure) and, through a
 * resolver, adds the pod's namespace and name and the container's name
 * from the state the kubelet and the runtime leave readable on the host
 * (mp_pod_resolve(); which files and why, in mp_pod.c and docs/cli.md).
 *
 * The CLI shows them in a POD column, the daemon as the metrics' labels
 * namespace, pod and container, and in its log lines (mp_pod_describe()).
 * Functions return 0 or -errno and never log.
 */
#ifndef MP_POD_H
#define MP_POD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The pod's QoS class, as the kubelet names its cgroups (and the API, status.qosClass). */
enum mp_pod_qos {
	MP_POD_QOS_NONE,		/* the path names no pod */
	MP_POD_QOS_GUARANTEED,		/* kubepods/pod<UID> */
	MP_POD_QOS_BURSTABLE,		/* kubepods/burstable/pod<UID> */
	MP_POD_QOS_BESTEFFORT,		/* kubepods/besteffort/pod<UID> */
	MP_POD_QOS_NR
};

/* The runtime the path's form names. */
enum mp_pod_runtime {
	MP_POD_RT_UNKNOWN,		/* no container, or a bare ID (cgroupfs: containerd or Docker) */
	MP_POD_RT_CONTAINERD,		/* cri-containerd-<ID>.scope */
	MP_POD_RT_CRIO,			/* crio-<ID>.scope, crio-<ID> */
	MP_POD_RT_DOCKER,		/* docker-<ID>.scope, /docker/<ID> */
	MP_POD_RT_NR
};

/* "Guaranteed", "Burstable", "BestEffort"; NULL for none. */
extern const char *const mp_pod_qos_names[MP_POD_QOS_NR];
/* "containerd", "cri-o", "docker"; NULL for unknown. */
extern const char *const mp_pod_runtime_names[MP_POD_RT_NR];

#define MP_POD_UID_MAX		36	/* a UUID; a static pod's is 32 hex digits */
#define MP_POD_ID_LEN		64	/* containerd's, CRI-O's and Docker's IDs */
#define MP_POD_NAMESPACE_MAX	63	/* a DNS label */
#define MP_POD_NAME_MAX		253	/* a DNS subdomain */
#define MP_POD_CONTAINER_MAX	127	/* a DNS label in a pod; Docker's names may be longer */

/* What a cgroup path says of itself. */
struct mp_pod_path {
	enum mp_pod_qos qos;
	enum mp_pod_runtime runtime;
	bool systemd;				/* the kubelet's or Docker's systemd driver */
	bool sandbox_monitor;			/* crio-conmon-<ID>: the pod's, not a container's */
	char uid[MP_POD_UID_MAX + 1];		/* the pod's UID, with dashes; "" for none */
	char container_id[MP_POD_ID_LEN + 1];	/* "" for none (a pod's own cgroup) */
};

/*
 * Read @cgroup (a path from the cgroup v2 root, or from a cgroup
 * namespace's: the kubepods component is looked for anywhere) into @p.
 * 0 if it names a pod or a container (at or below its cgroup), -ENOENT
 * if not (@p cleared).
 */
int mp_pod_parse(const char *cgroup, struct mp_pod_path *p);

/* A path's pod and container with their names; a name is "" when unknown. */
struct mp_pod_info {
	struct mp_pod_path path;
	char namespace[MP_POD_NAMESPACE_MAX + 1];
	char pod[MP_POD_NAME_MAX + 1];
	char container[MP_POD_CONTAINER_MAX + 1];	/* "POD" for a pod's sandbox */
};

struct mp_pod_resolver;

/*
 * A resolver reading the host's files under @root ("/" on the host; a
 * fixture tree in tests; the host's root mounted elsewhere in a
 * container), caching up to @entries pods and containers (at least 8)
 * and trying again an unresolved one after @retry_ms (0: every time).
 * NULL if out of memory.
 */
struct mp_pod_resolver *mp_pod_resolver_new(const char *root, size_t entries,
					    unsigned int retry_ms);
void mp_pod_resolver_free(struct mp_pod_resolver *r);

/*
 * The resolver of the host's files the CLI and the daemon use: under
 * $MEMPRESSURE_HOST_ROOT when it is set (the host's root mounted
 * elsewhere, a fixture tree), else /.
 */
struct mp_pod_resolver *mp_pod_resolver_host(size_t entries, unsigned int retry_ms);

/*
 * @cgroup's pod and container, with the names its files give (@r NULL:
 * the path's alone).  0 if @cgroup names a pod or a container, -ENOENT if
 * not.  Names that cannot be read are left "": never an error.
 */
int mp_pod_resolve(struct mp_pod_resolver *r, const char *cgroup, struct mp_pod_info *info);

/* Files and directories the resolver has opened or tried to: what its cache saves. */
uint64_t mp_pod_resolver_reads(const struct mp_pod_resolver *r);

/*
 * "NAMESPACE/POD" (the pod as Kubernetes refers to it), then
 * "/CONTAINER" when there is one; a container's name alone when no pod is
 * known (Docker on its own); "" when nothing is named.  Returns @out.
 */
const char *mp_pod_format(const struct mp_pod_info *info, char *out, size_t size);

/*
 * A cgroup as a log line names it: "PATH (default/web-7d9f/nginx)", or
 * PATH alone when no name is known.  Resolves with @r (may be NULL).
 * Returns @out.
 */
const char *mp_pod_describe(struct mp_pod_resolver *r, const char *cgroup, char *out,
			    size_t size);

/*
 * The JSON string at @path (@depth object keys, outermost first) of the
 * document @doc of @len bytes, decoded into @out (@size bytes, NUL
 * terminated): how the runtimes' metadata is read.  -ENOENT if a key is
 * absent, -EINVAL if the document is malformed on the way or the value is
 * not a string, -ENAMETOOLONG if it does not fit.
 */
int mp_pod_json_str(const char *doc, size_t len, const char *const *path, size_t depth,
		    char *out, size_t size);

#endif /* MP_POD_H */
