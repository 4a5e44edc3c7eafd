// SPDX-License-Identifier: GPL-2.0
/*
 * Pods and containers from cgroup paths, and the JSON of the runtimes'
 * files, as userspace/common/mp_pod.c reads them: mp_pod_parse() on the
 * input's first line, mp_pod_json_str() on the rest.
 *
 * Invariants of a path:
 *  - it names a pod or a container (0), or nothing (-ENOENT, all cleared);
 *  - a pod's UID is a UUID with dashes or 32 hex digits, and is in the
 *    path as it is or with systemd's '_' for '-'; a container's ID is 64
 *    hex digits and is in the path; a QoS class exactly when a pod;
 *  - the path each driver would give that pod and container (built here
 *    from the result) reads back the same, also below a prefix;
 *  - mp_pod_resolve() without a resolver says what the parser says, and
 *    names nothing.
 * Of the JSON, at annotations.io.x and at the first line's text as a key:
 *  - the result is 0, -ENOENT, -EINVAL or -ENAMETOOLONG, and the output a
 *    string within the buffer ("" unless 0);
 *  - a value that fits is the same in a buffer of exactly its size; one
 *    that did not fit fits in one as large as the document (decoding
 *    never lengthens).
 */
#include <errno.h>
#include <string.h>

#include "fuzz.h"
#include "mp_pod.h"

/* The ID a rebuilt crio-conmon cgroup has: the parser keeps none of it. */
#define MONITOR_ID	"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static bool hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!s[i] || !strchr("0123456789abcdef", s[i]))
			return false;
	return true;
}

static bool uid_ok(const char *u)
{
	size_t n = strlen(u);

	if (n == 32)
		return hex(u, 32);
	return n == 36 && u[8] == '-' && u[13] == '-' && u[18] == '-' && u[23] == '-' &&
	       hex(u, 8) && hex(u + 9, 4) && hex(u + 14, 4) && hex(u + 19, 4) && hex(u + 24, 12);
}

static bool same(const struct mp_pod_path *a, const struct mp_pod_path *b)
{
	return a->qos == b->qos && a->runtime == b->runtime && a->systemd == b->systemd &&
	       a->sandbox_monitor == b->sandbox_monitor && !strcmp(a->uid, b->uid) &&
	       !strcmp(a->container_id, b->container_id);
}

/* The path the kubelet's driver and the runtime would give what @p names. */
static void rebuild(const struct mp_pod_path *p, const char *prefix, char *out, size_t size)
{
	static const char *const qos[] = { "", "", "burstable", "besteffort" };
	static const char *const scope[] = { "", "cri-containerd-", "crio-", "docker-" };
	char uid[MP_POD_UID_MAX + 1], slice[64];
	const char *q = qos[p->qos];
	size_t n;

	if (!p->uid[0]) {
		if (p->systemd)
			snprintf(out, size, "%s/system.slice/docker-%s.scope", prefix,
				 p->container_id);
		else
			snprintf(out, size, "%s/docker/%s", prefix, p->container_id);
		return;
	}
	if (!p->systemd) {
		n = (size_t)snprintf(out, size, "%s/kubepods%s%s/pod%s", prefix, *q ? "/" : "", q,
				     p->uid);
		if (p->sandbox_monitor)
			snprintf(out + n, size - n, "/crio-conmon-" MONITOR_ID);
		else if (p->container_id[0])
			snprintf(out + n, size - n, "/%s%s",
				 p->runtime == MP_POD_RT_CRIO ? "crio-" : "", p->container_id);
		return;
	}
	snprintf(uid, sizeof(uid), "%s", p->uid);
	for (char *c = uid; *c; c++)
		*c = *c == '-' ? '_' : *c;
	snprintf(slice, sizeof(slice), "kubepods%s%s", *q ? "-" : "", q);
	n = (size_t)snprintf(out, size, "%s/kubepods.slice%s%s%s/%s-pod%s.slice", prefix,
			     *q ? "/" : "", *q ? slice : "", *q ? ".slice" : "", slice, uid);
	if (p->sandbox_monitor)
		snprintf(out + n, size - n, "/crio-conmon-" MONITOR_ID ".scope");
	else if (p->container_id[0])
		snprintf(out + n, size - n, "/%s%s.scope", scope[p->runtime], p->container_id);
}

static void check_path(const char *path)
{
	struct mp_pod_path p, q;
	struct mp_pod_info info;
	char again[1024], names[512];
	int r = mp_pod_parse(path, &p);

	FUZZ_CHECK(r == 0 || r == -ENOENT, "%d", r);
	FUZZ_CHECK(mp_pod_resolve(NULL, path, &info) == r && same(&p, &info.path), "resolve");
	FUZZ_CHECK(!mp_pod_format(&info, names, sizeof(names))[0], "named by the path alone");
	if (r) {
		FUZZ_CHECK(!p.uid[0] && !p.container_id[0] && !p.qos && !p.runtime && !p.systemd &&
			   !p.sandbox_monitor, "cleared");
		return;
	}
	FUZZ_CHECK(p.uid[0] || p.container_id[0], "names nothing");
	FUZZ_CHECK(!p.uid[0] == !p.qos, "QoS %d, UID \"%s\"", p.qos, p.uid);
	FUZZ_CHECK((unsigned int)p.runtime < MP_POD_RT_NR, "runtime %d", p.runtime);
	FUZZ_CHECK(!p.container_id[0] ||
		   (strlen(p.container_id) == 64 && hex(p.container_id, 64) &&
		    strstr(path, p.container_id)), "ID \"%s\"", p.container_id);
	FUZZ_CHECK(!p.sandbox_monitor || (!p.container_id[0] && p.runtime == MP_POD_RT_CRIO),
		   "monitor");
	if (p.uid[0]) {
		char esc[MP_POD_UID_MAX + 1];

		snprintf(esc, sizeof(esc), "%s", p.uid);
		for (char *c = esc; *c; c++)
			*c = *c == '-' ? '_' : *c;
		FUZZ_CHECK(uid_ok(p.uid) && strstr(path, p.systemd ? esc : p.uid), "UID \"%s\"",
			   p.uid);
		FUZZ_CHECK(strstr(path, "kubepods"), "a pod outside kubepods");
	} else {
		FUZZ_CHECK(p.runtime == MP_POD_RT_DOCKER, "a container of no pod: %d", p.runtime);
	}
	rebuild(&p, "", again, sizeof(again));
	FUZZ_CHECK(!mp_pod_parse(again, &q) && same(&p, &q), "rebuilt: %s", again);
	rebuild(&p, "/system.slice/containerd.service/x", again, sizeof(again));
	FUZZ_CHECK(!mp_pod_parse(again, &q) && same(&p, &q), "below a prefix: %s", again);
}

static void check_json(const char *doc, size_t len, const char *const *keys, size_t depth)
{
	char out[256], *exact, *big;
	int r = mp_pod_json_str(doc, len, keys, depth, out, sizeof(out));

	FUZZ_CHECK(r == 0 || r == -ENOENT || r == -EINVAL || r == -ENAMETOOLONG, "%d", r);
	FUZZ_CHECK(strlen(out) < sizeof(out), "unterminated");
	FUZZ_CHECK(r == 0 || !out[0], "%d with \"%s\"", r, out);
	if (r == 0) {
		size_t n = strlen(out);

		exact = malloc(n + 1);
		FUZZ_CHECK(exact, "out of memory");
		r = mp_pod_json_str(doc, len, keys, depth, exact, n + 1);
		/* A value with a NUL (\u0000) in it is longer than its strlen. */
		FUZZ_CHECK((r == 0 && !strcmp(exact, out)) || r == -ENAMETOOLONG,
			   "exact: %d", r);
		free(exact);
	} else if (r == -ENAMETOOLONG) {
		big = malloc(len + 1);
		FUZZ_CHECK(big, "out of memory");
		r = mp_pod_json_str(doc, len, keys, depth, big, len + 1);
		FUZZ_CHECK(r == 0, "as large as the document: %d", r);
		free(big);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const io_x[] = { "annotations", "io.x" };
	const char *text = (const char *)data, *line;
	size_t pos = 0, n = 0;
	char path[1024];
	const char *keys[2];

	if (fuzz_next_line(text, size, &pos, &line, &n) && n < sizeof(path) &&
	    !memchr(line, '\0', n)) {
		memcpy(path, line, n);
		path[n] = '\0';
		check_path(path);
		keys[0] = "annotations";
		keys[1] = path;
		check_json(text + (pos < size ? pos : size), size - (pos < size ? pos : size), keys,
			   2);
	}
	check_json(text + (pos < size ? pos : size), size - (pos < size ? pos : size), io_x, 2);
	check_json(text, size, io_x, 2);
	return 0;
}
