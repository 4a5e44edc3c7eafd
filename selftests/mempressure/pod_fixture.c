// SPDX-License-Identifier: GPL-2.0
/*
 * Fixture pods (pod_fixture.h): the runtimes' files, cut down to what
 * mp_pod.c reads plus a little of what surrounds it in the real ones (an
 * OCI spec's process and linux sections, other annotations), so that the
 * reader has to find its keys among others.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pod_fixture.h"

static const char *const qos_dir[] = { "", "burstable", "besteffort" };

static int mkdirs(char *path)
{
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0755) < 0 && errno != EEXIST) {
			*p = '/';
			return -errno;
		}
		*p = '/';
	}
	return 0;
}

int fx_write(const char *root, const char *rel, const char *text)
{
	char path[4096];
	size_t len = strlen(text);
	int fd, r;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	r = mkdirs(path);
	if (r)
		return r;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	r = write(fd, text, len) == (ssize_t)len ? 0 : -EIO;
	close(fd);
	return r;
}

int fx_pod_dir(const char *root, const struct fx_pod *pod)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/var/log/pods/%s_%s_%s/", root, pod->namespace, pod->name,
		 pod->uid);
	return mkdirs(path);
}

/* An OCI spec with @annotations (JSON members, comma-separated). */
static int write_spec(const char *root, const char *rel, const char *annotations)
{
	char doc[4096];

	snprintf(doc, sizeof(doc),
		 "{\n  \"ociVersion\": \"1.1.0\",\n"
		 "  \"process\": {\"args\": [\"/pause\"], \"env\": [\"PATH=/bin\", \"A=\\\"q\\\"\"],"
		 " \"cwd\": \"/\", \"user\": {\"uid\": 0, \"gid\": 0}},\n"
		 "  \"root\": {\"path\": \"rootfs\", \"readonly\": true},\n"
		 "  \"annotations\": {%s},\n"
		 "  \"linux\": {\"resources\": {\"memory\": {\"limit\": 134217728}, \"cpu\":"
		 " {\"shares\": 2, \"quota\": -1.5e3}}, \"seccomp\": {\"syscalls\": [{\"names\":"
		 " [\"read\", \"write\"], \"action\": \"SCMP_ACT_ALLOW\", \"args\": null}]}}\n}\n",
		 annotations);
	return fx_write(root, rel, doc);
}

int fx_container(const char *root, enum fx_runtime rt, bool graph_root,
		 const struct fx_pod *pod, const char *id, const char *container)
{
	char rel[512], ann[2048];

	switch (rt) {
	case FX_CONTAINERD:
		snprintf(ann, sizeof(ann),
			 "\"io.kubernetes.cri.container-type\": \"%s\","
			 " \"io.kubernetes.cri.sandbox-id\": \"%s\","
			 " \"io.kubernetes.cri.sandbox-namespace\": \"%s\","
			 " \"io.kubernetes.cri.sandbox-name\": \"%s\","
			 " \"io.kubernetes.cri.sandbox-uid\": \"%s\"%s%s%s",
			 container ? "container" : "sandbox", id, pod->namespace, pod->name,
			 pod->uid, container ? ", \"io.kubernetes.cri.container-name\": \"" : "",
			 container ? container : "", container ? "\"" : "");
		snprintf(rel, sizeof(rel),
			 "run/containerd/io.containerd.runtime.v2.task/k8s.io/%s/config.json", id);
		return write_spec(root, rel, ann);
	case FX_CRIO:
		snprintf(ann, sizeof(ann),
			 "\"io.kubernetes.cri-o.ContainerType\": \"%s\","
			 " \"io.kubernetes.cri-o.Labels\": \"{\\\"io.kubernetes.pod.name\\\":"
			 "\\\"%s\\\"}\", \"io.kubernetes.pod.namespace\": \"%s\","
			 " \"io.kubernetes.pod.name\": \"%s\", \"io.kubernetes.pod.uid\": \"%s\""
			 "%s%s%s",
			 container ? "container" : "sandbox", pod->name, pod->namespace, pod->name,
			 pod->uid, container ? ", \"io.kubernetes.container.name\": \"" : "",
			 container ? container : "", container ? "\"" : "");
		snprintf(rel, sizeof(rel), "%s/containers/storage/overlay-containers/%s/userdata/config.json",
			 graph_root ? "var/lib" : "run", id);
		return write_spec(root, rel, ann);
	case FX_DOCKER:
		snprintf(ann, sizeof(ann),
			 "{\"ID\": \"%s\", \"Name\": \"/k8s_%s_%s_%s_%s_0\", \"Config\": {\"Hostname\":"
			 " \"%s\", \"Env\": [\"A=1\"], \"Labels\": {\"annotation.kubernetes.io/x\":"
			 " \"{}\", \"io.kubernetes.container.name\": \"%s\","
			 " \"io.kubernetes.docker.type\": \"%s\", \"io.kubernetes.pod.name\": \"%s\","
			 " \"io.kubernetes.pod.namespace\": \"%s\", \"io.kubernetes.pod.uid\": \"%s\"}},"
			 " \"State\": {\"Running\": true, \"Pid\": 4242}}\n",
			 id, container ? container : "POD", pod->name, pod->namespace, pod->uid,
			 pod->name, container ? container : "POD",
			 container ? "container" : "podsandbox", pod->name, pod->namespace, pod->uid);
		snprintf(rel, sizeof(rel), "var/lib/docker/containers/%s/config.v2.json", id);
		return fx_write(root, rel, ann);
	}
	return -EINVAL;
}

int fx_docker_plain(const char *root, const char *id, const char *name)
{
	char rel[512], doc[1024];

	snprintf(doc, sizeof(doc),
		 "{\"ID\": \"%s\", \"Created\": \"2026-01-01T00:00:00Z\", \"Name\": \"/%s\","
		 " \"Config\": {\"Hostname\": \"%.12s\", \"Labels\": {\"com.example.tier\": \"web\"}}}\n",
		 id, name, id);
	snprintf(rel, sizeof(rel), "var/lib/docker/containers/%s/config.v2.json", id);
	return fx_write(root, rel, doc);
}

void fx_cgroup(char *out, size_t size, bool systemd, enum fx_runtime rt,
	       const struct fx_pod *pod, const char *id)
{
	static const char *const scope[] = { "cri-containerd-", "crio-", "docker-" };
	char uid[64], slice[128];
	size_t n;

	if (!systemd) {
		n = (size_t)snprintf(out, size, "/kubepods%s%s/pod%s", pod->qos ? "/" : "",
				     qos_dir[pod->qos], pod->uid);
		if (id && n < size)
			snprintf(out + n, size - n, "/%s%s", rt == FX_CRIO ? "crio-" : "", id);
		return;
	}
	/* systemd's escape: the UID's '-' become '_'. */
	snprintf(uid, sizeof(uid), "%s", pod->uid);
	for (char *p = uid; *p; p++)
		if (*p == '-')
			*p = '_';
	snprintf(slice, sizeof(slice), "kubepods%s%s", pod->qos ? "-" : "", qos_dir[pod->qos]);
	n = (size_t)snprintf(out, size, "/kubepods.slice%s%s%s/%s-pod%s.slice",
			     pod->qos ? "/" : "", pod->qos ? slice : "", pod->qos ? ".slice" : "",
			     slice, uid);
	if (id && n < size)
		snprintf(out + n, size - n, "/%s%s.scope", scope[rt], id);
}

void fx_id(char *out, unsigned int a, unsigned int b)
{
	snprintf(out, 65, "%08x%08x%048x", a, b, a * 2654435761u ^ b);
}

void fx_uid(char *out, unsigned int a)
{
	snprintf(out, 37, "%08x-%04x-4%03x-8%03x-%012x", a * 2654435761u, a & 0xffff, a & 0xfff,
		 (a >> 12) & 0xfff, a);
}

int fx_node(const char *root, unsigned int nr_pods,
	    int (*cg)(const char *path, const struct fx_pod *pod, const char *container,
		      void *arg),
	    void *arg)
{
	static const char *const slices[] = { "/kubepods.slice",
		"/kubepods.slice/kubepods-burstable.slice",
		"/kubepods.slice/kubepods-besteffort.slice" };
	static const char *const names[] = { "app", "sidecar" };
	int nr = 0, r;

	for (size_t i = 0; i < sizeof(slices) / sizeof(slices[0]); i++) {
		r = cg(slices[i], NULL, NULL, arg);
		if (r)
			return r;
		nr++;
	}
	for (unsigned int i = 0; i < nr_pods; i++) {
		char ns[32], name[32], uid[40], id[65], path[512];
		struct fx_pod pod = { ns, name, uid, (enum fx_qos)(i % 3) };

		snprintf(ns, sizeof(ns), "team-%u", i % 10);
		snprintf(name, sizeof(name), "web-%u", i);
		fx_uid(uid, i + 1);
		r = fx_pod_dir(root, &pod);
		fx_cgroup(path, sizeof(path), true, FX_CONTAINERD, &pod, NULL);
		if (!r)
			r = cg(path, &pod, NULL, arg);
		for (unsigned int c = 0; !r && c < 2 + i % 2; c++) {
			const char *container = c ? names[c - 1] : NULL;

			fx_id(id, i + 1, c);
			r = fx_container(root, FX_CONTAINERD, false, &pod, id, container);
			fx_cgroup(path, sizeof(path), true, FX_CONTAINERD, &pod, id);
			if (!r)
				r = cg(path, &pod, container ? container : "POD", arg);
			nr++;
		}
		if (r)
			return r;
		nr++;
	}
	return nr;
}
