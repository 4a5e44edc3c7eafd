// SPDX-License-Identifier: GPL-2.0
/*
 * Host tests of userspace/common/mp_pod.c: cgroup paths of each cgroup
 * driver and runtime read into QoS class, pod UID and container ID, and
 * paths that are not a pod's refused; the JSON the runtimes' files are
 * read with; names resolved from a fixture tree of the kubelet's and the
 * runtimes' files (pod_fixture.c), with what must not be believed left
 * out; the cache: a name read once, an unresolved one again only after
 * retry_ms, and no more entries kept than asked for.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kselftest_harness.h"

#include "mp_pod.h"
#include "pod_fixture.h"

#define UID	"3f2c1a2b-9d4e-4f60-8a1b-2c3d4e5f6a7b"
#define UID_	"3f2c1a2b_9d4e_4f60_8a1b_2c3d4e5f6a7b"
#define STATIC	"6d8b5d1d8b9e0c0c0f1b6c6fa2b2e3e4"
#define ID	"9ab1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1"
#define ID2	"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

struct want {
	const char *path;
	int err;
	enum mp_pod_qos qos;
	enum mp_pod_runtime rt;
	bool systemd, monitor;
	const char *uid, *id;
};

static void check_paths(struct __test_metadata *_metadata, const struct want *w, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct mp_pod_path p;
		int err = mp_pod_parse(w[i].path, &p);

		EXPECT_EQ(w[i].err, err) TH_LOG("%s", w[i].path);
		if (err) {
			EXPECT_STREQ("", p.uid);
			EXPECT_STREQ("", p.container_id);
			continue;
		}
		EXPECT_EQ(w[i].qos, p.qos) TH_LOG("%s", w[i].path);
		EXPECT_EQ(w[i].rt, p.runtime) TH_LOG("%s", w[i].path);
		EXPECT_EQ(w[i].systemd, p.systemd) TH_LOG("%s", w[i].path);
		EXPECT_EQ(w[i].monitor, p.sandbox_monitor) TH_LOG("%s", w[i].path);
		EXPECT_STREQ(w[i].uid ? w[i].uid : "", p.uid) TH_LOG("%s", w[i].path);
		EXPECT_STREQ(w[i].id ? w[i].id : "", p.container_id) TH_LOG("%s", w[i].path);
	}
}

TEST(paths_of_the_systemd_driver)
{
	static const struct want w[] = {
		{ "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_
		  ".slice/cri-containerd-" ID ".scope",
		  0, MP_POD_QOS_BURSTABLE, MP_POD_RT_CONTAINERD, true, false, UID, ID },
		{ "/kubepods.slice/kubepods-pod" UID_ ".slice/crio-" ID ".scope",
		  0, MP_POD_QOS_GUARANTEED, MP_POD_RT_CRIO, true, false, UID, ID },
		{ "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" UID_
		  ".slice/docker-" ID ".scope",
		  0, MP_POD_QOS_BESTEFFORT, MP_POD_RT_DOCKER, true, false, UID, ID },
		/* CRI-O's monitor is the pod's; the pod's own slice; below a container. */
		{ "/kubepods.slice/kubepods-pod" UID_ ".slice/crio-conmon-" ID ".scope",
		  0, MP_POD_QOS_GUARANTEED, MP_POD_RT_CRIO, true, true, UID, NULL },
		{ "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_ ".slice",
		  0, MP_POD_QOS_BURSTABLE, MP_POD_RT_UNKNOWN, true, false, UID, NULL },
		{ "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_
		  ".slice/cri-containerd-" ID ".scope/container/nested",
		  0, MP_POD_QOS_BURSTABLE, MP_POD_RT_CONTAINERD, true, false, UID, ID },
		/* A static pod's UID; the kubelet's --cgroup-root; inside a kind node. */
		{ "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" STATIC
		  ".slice/cri-containerd-" ID ".scope",
		  0, MP_POD_QOS_BESTEFFORT, MP_POD_RT_CONTAINERD, true, false, STATIC, ID },
		{ "/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-burstable.slice/"
		  "kubelet-kubepods-burstable-pod" UID_ ".slice/cri-containerd-" ID ".scope",
		  0, MP_POD_QOS_BURSTABLE, MP_POD_RT_CONTAINERD, true, false, UID, ID },
		{ "/system.slice/docker-" ID2 ".scope/kubelet.slice/kubelet-kubepods.slice/"
		  "kubelet-kubepods-pod" UID_ ".slice/cri-containerd-" ID ".scope",
		  0, MP_POD_QOS_GUARANTEED, MP_POD_RT_CONTAINERD, true, false, UID, ID },
		/* Not a container: the pod alone. */
		{ "/kubepods.slice/kubepods-pod" UID_ ".slice/cri-containerd-" ID "0.scope",
		  0, MP_POD_QOS_GUARANTEED, MP_POD_RT_UNKNOWN, true, false, UID, NULL },
		{ "/kubepods.slice/kubepods-pod" UID_ ".slice/runc-" ID ".scope",
		  0, MP_POD_QOS_GUARANTEED, MP_POD_RT_UNKNOWN, true, false, UID, NULL },
	};

	check_paths(_metadata, w, sizeof(w) / sizeof(w[0]));
}

TEST(paths_of_the_cgroupfs_driver_and_docker)
{
	static const struct want w[] = {
		{ "/kubepods/burstable/pod" UID "/" ID,
		  0, MP_POD_QOS_BURSTABLE, MP_POD_RT_UNKNOWN, false, false, UID, ID },
		{ "/kubepods/pod" UID "/crio-" ID,
		  0, MP_POD_QOS_GUARANTEED, MP_POD_RT_CRIO, false, false, UID, ID },
		{ "/kubepods/besteffort/pod" UID "/crio-conmon-" ID,
		  0, MP_POD_QOS_BESTEFFORT, MP_POD_RT_CRIO, false, true, UID, NULL },
		{ "/kubepods/besteffort/pod" UID,
		  0, MP_POD_QOS_BESTEFFORT, MP_POD_RT_UNKNOWN, false, false, UID, NULL },
		{ "kubepods/burstable/pod" UID "/" ID "/",
		  0, MP_POD_QOS_BURSTABLE, MP_POD_RT_UNKNOWN, false, false, UID, ID },
		/* Docker on its own, by either driver; Docker in Docker: the inner one. */
		{ "/system.slice/docker-" ID ".scope",
		  0, MP_POD_QOS_NONE, MP_POD_RT_DOCKER, true, false, NULL, ID },
		{ "/docker/" ID, 0, MP_POD_QOS_NONE, MP_POD_RT_DOCKER, false, false, NULL, ID },
		{ "/system.slice/docker-" ID2 ".scope/docker/" ID,
		  0, MP_POD_QOS_NONE, MP_POD_RT_DOCKER, false, false, NULL, ID },
		{ "/docker/" ID "/sub", 0, MP_POD_QOS_NONE, MP_POD_RT_DOCKER, false, false, NULL, ID },
	};

	check_paths(_metadata, w, sizeof(w) / sizeof(w[0]));
}

TEST(paths_that_name_no_pod)
{
	static const char *const paths[] = {
		"", "/", "/system.slice/cron.service", "/kubepods.slice",
		"/kubepods.slice/kubepods-burstable.slice", "/kubepods/burstable",
		/* systemd's escape in the cgroupfs form, and the other way round */
		"/kubepods/pod" UID_ "/" ID,
		"/kubepods.slice/kubepods-pod" UID ".slice",
		/* a pod slice whose name is not its parent's stem and its own */
		"/kubepods.slice/kubepods-burstable.slice/kubepods-pod" UID_ ".slice",
		"/kubepods.slice/kubepods-burstable.slice/kubepods-besteffort-pod" UID_ ".slice",
		/* UIDs: upper case, a group too long, a byte short, not hex */
		"/kubepods/pod3F2C1A2B-9d4e-4f60-8a1b-2c3d4e5f6a7b",
		"/kubepods/pod3f2c1a2b9-d4e-4f60-8a1b-2c3d4e5f6a7b",
		"/kubepods/pod3f2c1a2b-9d4e-4f60-8a1b-2c3d4e5f6a7",
		"/kubepods/pod3f2c1a2b-9d4e-4f60-8a1b-2c3d4e5f6a7g",
		"/kubepods/podpod" UID,
		/* Docker's: an ID of 63 digits, in upper case, with no scope suffix */
		"/docker/" ID "x", "/system.slice/docker-9AB1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1.scope",
		"/system.slice/docker-" ID, "/docker", "docker-.scope",
		"/kubepods.slice.x/kubepods-pod" UID_ ".slice",
	};
	char deep[2048] = "";
	struct mp_pod_path p;

	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		EXPECT_EQ(-ENOENT, mp_pod_parse(paths[i], &p)) TH_LOG("%s", paths[i]);
	}
	/* More components than the parser takes: refused, not cut. */
	for (int i = 0; i < 64; i++)
		strcat(deep, "/a");
	strcat(deep, "/kubepods/pod" UID);
	EXPECT_EQ(-ENOENT, mp_pod_parse(deep, &p));
	EXPECT_EQ(0, mp_pod_parse(deep + 4, &p));
}

TEST(json_strings_as_the_runtimes_write_them)
{
	static const char doc[] =
		"{ \"a\": [1, -2.5e3, true, false, null, {\"x\": [[]]}], \"b\": {},\n"
		"  \"annotations\": {\"k\": 7, \"io.x\": \"caf\\u00e9 \\ud83d\\ude00 \\/\\\"q\\\"\","
		"  \"dup\": \"first\", \"dup\": \"second\", \"obj\": {\"in\": \"deep\"}},"
		"  \"annotations\": {\"dup\": \"other\"} }";
	const char *io_x[] = { "annotations", "io.x" }, *dup[] = { "annotations", "dup" },
		   *in[] = { "annotations", "obj", "in" }, *k[] = { "annotations", "k" },
		   *no[] = { "annotations", "none" }, *top[] = { "b" }, *absent[] = { "zzz" };
	char out[64], small[5];

	ASSERT_EQ(0, mp_pod_json_str(doc, strlen(doc), io_x, 2, out, sizeof(out)));
	EXPECT_STREQ("caf\xc3\xa9 \xf0\x9f\x98\x80 /\"q\"", out);
	ASSERT_EQ(0, mp_pod_json_str(doc, strlen(doc), dup, 2, out, sizeof(out)));
	EXPECT_STREQ("first", out);
	ASSERT_EQ(0, mp_pod_json_str(doc, strlen(doc), in, 3, out, sizeof(out)));
	EXPECT_STREQ("deep", out);
	EXPECT_EQ(-EINVAL, mp_pod_json_str(doc, strlen(doc), k, 2, out, sizeof(out)));
	EXPECT_STREQ("", out);
	EXPECT_EQ(-ENOENT, mp_pod_json_str(doc, strlen(doc), no, 2, out, sizeof(out)));
	EXPECT_EQ(-EINVAL, mp_pod_json_str(doc, strlen(doc), top, 1, out, sizeof(out)));
	EXPECT_EQ(-ENOENT, mp_pod_json_str(doc, strlen(doc), absent, 1, out, sizeof(out)));
	EXPECT_EQ(-ENAMETOOLONG, mp_pod_json_str(doc, strlen(doc), io_x, 2, small, sizeof(small)));
	EXPECT_STREQ("", small);
	/* Cut short anywhere before the value: malformed, never read past the end. */
	for (size_t n = 0; n < (size_t)(strstr(doc, "\"first\"") - doc); n++) {
		int r = mp_pod_json_str(doc, n, dup, 2, out, sizeof(out));

		EXPECT_TRUE(r == -EINVAL || r == -ENOENT) TH_LOG("%zu: %d", n, r);
	}
}

TEST(malformed_json_is_refused)
{
	static const char *const docs[] = {
		"", "{", "[]", "{\"annotations\"}", "{\"annotations\": {\"io.x\": \"a\nb\"}}",
		"{\"annotations\": {\"io.x\": \"\\x\"}}", "{\"annotations\": {\"io.x\": \"\\ud83d\"}}",
		"{\"annotations\": {\"io.x\": \"\\ude00\"}}", "{\"annotations\": {\"io.x\": \"\\u12\"}}",
		"{\"a\": tru, \"annotations\": {\"io.x\": \"v\"}}",
		"{\"a\": [1 2], \"annotations\": {\"io.x\": \"v\"}}",
		"{\"a\": -, \"annotations\": {\"io.x\": \"v\"}}",
		"{\"a\": 1 \"annotations\": {\"io.x\": \"v\"}}",
		"{'annotations': {'io.x': 'v'}}",
	};
	const char *io_x[] = { "annotations", "io.x" };
	char out[64], deep[4096] = "{\"x\": ";

	for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		EXPECT_EQ(-EINVAL, mp_pod_json_str(docs[i], strlen(docs[i]), io_x, 2, out,
						   sizeof(out))) TH_LOG("%s", docs[i]);
	}
	/* Nesting deeper than the skipper follows. */
	for (int i = 0; i < 100; i++)
		strcat(deep, "[");
	strcat(deep, "1");
	for (int i = 0; i < 100; i++)
		strcat(deep, "]");
	strcat(deep, ", \"annotations\": {\"io.x\": \"v\"}}");
	EXPECT_EQ(-EINVAL, mp_pod_json_str(deep, strlen(deep), io_x, 2, out, sizeof(out)));
	/* A key too long to compare is skipped, not matched. */
	snprintf(deep, sizeof(deep), "{\"annotations\": {\"%0200d\": \"no\", \"io.x\": \"yes\"}}", 0);
	ASSERT_EQ(0, mp_pod_json_str(deep, strlen(deep), io_x, 2, out, sizeof(out)));
	EXPECT_STREQ("yes", out);
}

/* --- names from a fixture tree --- */

static char root[64];

static void make_root(struct __test_metadata *_metadata)
{
	snprintf(root, sizeof(root), "/tmp/test_pod.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(root));
}

static void remove_root(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	if (system(cmd))
		fprintf(stderr, "# could not remove %s\n", root);
}

static void expect_names(struct __test_metadata *_metadata, struct mp_pod_resolver *r,
			 const char *path, const char *ns, const char *pod, const char *container)
{
	struct mp_pod_info info;

	ASSERT_EQ(0, mp_pod_resolve(r, path, &info)) TH_LOG("%s", path);
	EXPECT_STREQ(ns, info.namespace) TH_LOG("%s", path);
	EXPECT_STREQ(pod, info.pod) TH_LOG("%s", path);
	EXPECT_STREQ(container, info.container) TH_LOG("%s", path);
}

TEST(names_from_each_runtime_and_the_kubelet)
{
	static const struct fx_pod web = { "shop", "web-7d9f8-x2k4q", UID, FX_BURSTABLE };
	struct fx_pod other = { "kube-system", "coredns-5d78c9869d-abcde", STATIC, FX_GUARANTEED };
	struct { enum fx_runtime rt; bool systemd, graph; const char *name; } c[] = {
		{ FX_CONTAINERD, true, false, "nginx" }, { FX_CONTAINERD, false, false, "php" },
		{ FX_CONTAINERD, true, false, NULL }, { FX_CRIO, true, false, "envoy" },
		{ FX_CRIO, false, true, "log-shipper" }, { FX_CRIO, true, false, NULL },
		{ FX_DOCKER, true, false, "redis" }, { FX_DOCKER, false, false, NULL },
	};
	struct mp_pod_resolver *r;
	char path[512], id[65];

	make_root(_metadata);
	r = mp_pod_resolver_new(root, 64, 0);
	ASSERT_NE(NULL, r);
	ASSERT_EQ(0, fx_pod_dir(root, &web));
	ASSERT_EQ(0, fx_pod_dir(root, &other));
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		fx_id(id, 1, (unsigned int)i);
		ASSERT_EQ(0, fx_container(root, c[i].rt, c[i].graph, &web, id, c[i].name));
		fx_cgroup(path, sizeof(path), c[i].systemd, c[i].rt, &web, id);
		expect_names(_metadata, r, path, "shop", "web-7d9f8-x2k4q",
			     c[i].name ? c[i].name : "POD");
	}
	/* The pod's own cgroup: the kubelet's directory. */
	fx_cgroup(path, sizeof(path), true, FX_CONTAINERD, &web, NULL);
	expect_names(_metadata, r, path, "shop", "web-7d9f8-x2k4q", "");
	fx_cgroup(path, sizeof(path), false, FX_CRIO, &other, NULL);
	expect_names(_metadata, r, path, "kube-system", "coredns-5d78c9869d-abcde", "");
	/* A container whose runtime left nothing: the pod's names, no container's. */
	fx_id(id, 2, 0);
	fx_cgroup(path, sizeof(path), true, FX_CRIO, &other, id);
	expect_names(_metadata, r, path, "kube-system", "coredns-5d78c9869d-abcde", "");
	/* Docker on its own: the container's name, no pod. */
	ASSERT_EQ(0, fx_docker_plain(root, ID2, "Web_1.blue"));
	expect_names(_metadata, r, "/system.slice/docker-" ID2 ".scope", "", "", "Web_1.blue");
	expect_names(_metadata, r, "/docker/" ID, "", "", "");
	/* Not a pod, not a container. */
	{
		struct mp_pod_info info;

		EXPECT_EQ(-ENOENT, mp_pod_resolve(r, "/system.slice/cron.service", &info));
		EXPECT_STREQ("", info.pod);
	}
	mp_pod_resolver_free(r);
	remove_root();
}

TEST(what_is_not_believed)
{
	static const struct fx_pod web = { "shop", "web-1", UID, FX_BURSTABLE };
	static const struct fx_pod liar = { "evil", "other", STATIC, FX_BURSTABLE };
	static const char huge[] =
		"{\"annotations\": {\"io.kubernetes.cri.container-name\": \"huge\"}}";
	static const struct fx_pod bad[] = {
		{ "Shop", "web-1", UID, FX_BURSTABLE },		/* upper case */
		{ "shop", "web 1", UID, FX_BURSTABLE },		/* a space */
		{ "shop", "web_1", UID, FX_BURSTABLE },		/* Kubernetes has no '_' */
		{ "shop", "web-1\\u001b[31m", UID, FX_BURSTABLE },	/* an escape */
	};
	struct mp_pod_resolver *r;
	char path[512], id[65], *big;

	make_root(_metadata);
	r = mp_pod_resolver_new(root, 64, 0);
	ASSERT_NE(NULL, r);
	/* A spec naming another pod than its path's: neither name taken. */
	fx_id(id, 9, 0);
	ASSERT_EQ(0, fx_container(root, FX_CONTAINERD, false, &liar, id, "app"));
	fx_cgroup(path, sizeof(path), true, FX_CONTAINERD, &web, id);
	expect_names(_metadata, r, path, "", "", "");
	/* ... and the pod's own directory still names the pod. */
	ASSERT_EQ(0, fx_pod_dir(root, &web));
	expect_names(_metadata, r, path, "shop", "web-1", "");
	/* Names that are not Kubernetes names. */
	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		fx_id(id, 10, i);
		ASSERT_EQ(0, fx_container(root, FX_CRIO, false, &bad[i], id, "Ctr"));
		fx_cgroup(path, sizeof(path), true, FX_CRIO, &bad[i], id);
		/* The spec's names refused, the kubelet's directory names the pod. */
		expect_names(_metadata, r, path, "shop", "web-1", "");
	}
	/* A spec over 1 MiB is not read. */
	big = malloc(2 << 20);
	ASSERT_NE(NULL, big);
	memset(big, ' ', 2 << 20);
	memcpy(big, huge, sizeof(huge) - 1);
	big[(2 << 20) - 1] = '\0';
	fx_id(id, 11, 0);
	snprintf(path, sizeof(path),
		 "run/containerd/io.containerd.runtime.v2.task/k8s.io/%s/config.json", id);
	ASSERT_EQ(0, fx_write(root, path, big));
	free(big);
	fx_cgroup(path, sizeof(path), true, FX_CONTAINERD, &web, id);
	expect_names(_metadata, r, path, "shop", "web-1", "");
	/* A directory of the kubelet's of another form. */
	ASSERT_EQ(0, fx_write(root, "var/log/pods/" STATIC "/x", ""));
	ASSERT_EQ(0, fx_write(root, "var/log/pods/_" STATIC "/x", ""));
	ASSERT_EQ(0, fx_write(root, "var/log/pods/ns__" STATIC "/x", ""));
	expect_names(_metadata, r, "/kubepods/pod" STATIC, "", "", "");
	mp_pod_resolver_free(r);
	remove_root();
}

TEST(names_are_read_once_and_misses_again_after_retry_ms)
{
	static const struct fx_pod web = { "shop", "web-1", UID, FX_BESTEFFORT };
	struct mp_pod_resolver *r, *patient;
	char path[512], id[65];
	uint64_t reads;

	make_root(_metadata);
	r = mp_pod_resolver_new(root, 64, 0);
	patient = mp_pod_resolver_new(root, 64, 3600 * 1000);
	ASSERT_NE(NULL, r);
	ASSERT_NE(NULL, patient);
	fx_id(id, 1, 0);
	fx_cgroup(path, sizeof(path), true, FX_CRIO, &web, id);
	/* Nothing there yet: both miss; the patient one does not look again. */
	expect_names(_metadata, r, path, "", "", "");
	expect_names(_metadata, patient, path, "", "", "");
	reads = mp_pod_resolver_reads(patient);
	EXPECT_LT(0, reads);
	ASSERT_EQ(0, fx_pod_dir(root, &web));
	ASSERT_EQ(0, fx_container(root, FX_CRIO, false, &web, id, "app"));
	expect_names(_metadata, patient, path, "", "", "");
	EXPECT_EQ(reads, mp_pod_resolver_reads(patient));
	/* The other looks again, finds them, and then reads nothing more. */
	expect_names(_metadata, r, path, "shop", "web-1", "app");
	reads = mp_pod_resolver_reads(r);
	for (int i = 0; i < 10; i++)
		expect_names(_metadata, r, path, "shop", "web-1", "app");
	EXPECT_EQ(reads, mp_pod_resolver_reads(r));
	/* Found names stay even when the files go (a container's never change). */
	remove_root();
	expect_names(_metadata, r, path, "shop", "web-1", "app");
	mp_pod_resolver_free(r);
	mp_pod_resolver_free(patient);
}

TEST(the_cache_keeps_no_more_than_asked)
{
	static const struct fx_pod web = { "shop", "web-1", UID, FX_BURSTABLE };
	struct mp_pod_resolver *r;
	char path[40][512], name[40][16], id[65];
	uint64_t reads;

	make_root(_metadata);
	/* Eight entries, one set: each new container pushes out the least recent. */
	r = mp_pod_resolver_new(root, 8, 0);
	ASSERT_NE(NULL, r);
	for (unsigned int i = 0; i < 40; i++) {
		snprintf(name[i], sizeof(name[i]), "c%u", i);
		fx_id(id, 3, i);
		ASSERT_EQ(0, fx_container(root, FX_CONTAINERD, false, &web, id, name[i]));
		fx_cgroup(path[i], sizeof(path[i]), true, FX_CONTAINERD, &web, id);
		reads = mp_pod_resolver_reads(r);
		expect_names(_metadata, r, path[i], "shop", "web-1", name[i]);
		/* containerd's spec, one file: the pod is named in it. */
		EXPECT_EQ(reads + 1, mp_pod_resolver_reads(r));
	}
	/* The last eight are held; the first is read again, and pushes out the 33rd. */
	reads = mp_pod_resolver_reads(r);
	for (unsigned int i = 32; i < 40; i++)
		expect_names(_metadata, r, path[i], "shop", "web-1", name[i]);
	EXPECT_EQ(reads, mp_pod_resolver_reads(r));
	expect_names(_metadata, r, path[0], "shop", "web-1", name[0]);
	EXPECT_EQ(reads + 1, mp_pod_resolver_reads(r));
	for (unsigned int i = 33; i < 40; i++)
		expect_names(_metadata, r, path[i], "shop", "web-1", name[i]);
	EXPECT_EQ(reads + 1, mp_pod_resolver_reads(r));
	expect_names(_metadata, r, path[32], "shop", "web-1", name[32]);
	EXPECT_EQ(reads + 2, mp_pod_resolver_reads(r));
	mp_pod_resolver_free(r);
	remove_root();
}

TEST(format_and_describe)
{
	static const struct fx_pod web = { "shop", "web-1", UID, FX_BURSTABLE };
	struct mp_pod_resolver *r;
	struct mp_pod_info info;
	char path[512], id[65], out[1024], small[12];

	make_root(_metadata);
	r = mp_pod_resolver_new(root, 64, 0);
	ASSERT_NE(NULL, r);
	fx_id(id, 1, 0);
	ASSERT_EQ(0, fx_pod_dir(root, &web));
	ASSERT_EQ(0, fx_container(root, FX_CONTAINERD, false, &web, id, "nginx"));
	fx_cgroup(path, sizeof(path), true, FX_CONTAINERD, &web, id);
	ASSERT_EQ(0, mp_pod_resolve(r, path, &info));
	EXPECT_STREQ("shop/web-1/nginx", mp_pod_format(&info, out, sizeof(out)));
	EXPECT_STREQ("shop/web-1/", mp_pod_format(&info, small, sizeof(small)));
	fx_cgroup(path, sizeof(path), true, FX_CONTAINERD, &web, NULL);
	ASSERT_EQ(0, mp_pod_resolve(r, path, &info));
	EXPECT_STREQ("shop/web-1", mp_pod_format(&info, out, sizeof(out)));
	mp_pod_describe(r, path, out, sizeof(out));
	EXPECT_EQ(0, strncmp(out, path, strlen(path)));
	EXPECT_STREQ(" (shop/web-1)", out + strlen(path));
	/* Names unknown, or not a pod: the path alone. */
	EXPECT_STREQ("/kubepods/pod" STATIC,
		     mp_pod_describe(r, "/kubepods/pod" STATIC, out, sizeof(out)));
	EXPECT_STREQ("/system.slice/cron.service",
		     mp_pod_describe(r, "/system.slice/cron.service", out, sizeof(out)));
	EXPECT_STREQ("/system.slice/cron.service",
		     mp_pod_describe(NULL, "/system.slice/cron.service", out, sizeof(out)));
	mp_pod_resolver_free(r);
	remove_root();
}

TEST_HARNESS_MAIN
