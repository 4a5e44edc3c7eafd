/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Fixture pods for the tests of userspace/common/mp_pod.c: the files the
 * kubelet and each runtime leave on a host for a pod and its containers,
 * written under a root directory, and the cgroup paths each cgroup driver
 * and runtime gives them.  Used on the host (test_pod, test_cli,
 * test_metrics) and in the VM (pods), so both lay out the same things.
 * Functions return 0 or -errno.
 */
#ifndef POD_FIXTURE_H
#define POD_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>

enum fx_runtime { FX_CONTAINERD, FX_CRIO, FX_DOCKER };
enum fx_qos { FX_GUARANTEED, FX_BURSTABLE, FX_BESTEFFORT };

struct fx_pod {
	const char *namespace, *name;
	const char *uid;		/* a UUID with dashes, or 32 hex digits */
	enum fx_qos qos;
};

/* The kubelet's /var/log/pods/NAMESPACE_NAME_UID under @root. */
int fx_pod_dir(const char *root, const struct fx_pod *pod);

/*
 * Container @id of @pod, named @container (NULL: the pod's sandbox), as
 * @rt keeps it under @root: containerd's bundle spec, CRI-O's (in its run
 * root, or with @graph_root in its graph root only), cri-dockerd's
 * labels in Docker's config.v2.json.
 */
int fx_container(const char *root, enum fx_runtime rt, bool graph_root,
		 const struct fx_pod *pod, const char *id, const char *container);

/* A container of Docker's own, of no pod, named @name. */
int fx_docker_plain(const char *root, const char *id, const char *name);

/* Write @text to @root/@rel, making its directories. */
int fx_write(const char *root, const char *rel, const char *text);

/*
 * The cgroup path of @pod (@id NULL) or of its container @id, as the
 * kubelet's @systemd or cgroupfs driver and runtime @rt name it.
 */
void fx_cgroup(char *out, size_t size, bool systemd, enum fx_runtime rt,
	       const struct fx_pod *pod, const char *id);

/* A 64-hex container ID made from two numbers, and a pod UID from one. */
void fx_id(char *out, unsigned int a, unsigned int b);
void fx_uid(char *out, unsigned int a);

/*
 * A node of @nr_pods pods, the containerd and systemd layout, as a
 * cluster's nodes commonly are: pod i in namespace team-(i % 10), named
 * web-i, QoS class i % 3, with a sandbox and 1 + i % 2 containers ("app",
 * then "sidecar").  Writes their files under @root and calls @cg for
 * every cgroup, parents first (kubepods.slice and its QoS slices too),
 * with its path and, for a container, its name ("POD" for a sandbox).
 * Returns the number of cgroups, or -errno.
 */
int fx_node(const char *root, unsigned int nr_pods,
	    int (*cg)(const char *path, const struct fx_pod *pod, const char *container,
		      void *arg),
	    void *arg);

#endif /* POD_FIXTURE_H */
