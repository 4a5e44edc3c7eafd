// SPDX-License-Identifier: GPL-2.0
/*
 * Pods and containers by name (mp_pod.h).
 *
 * The paths.  The kubelet puts each pod in a cgroup below "kubepods", by
 * QoS class, and the runtime puts each container in a cgroup below its
 * pod's.  With the systemd driver every level is a slice whose name
 * repeats its parent's, the pod's UID with '_' for '-' (systemd's escape),
 * and a container is a scope named by its runtime:
 *
 *   /kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod<UID>.slice/cri-containerd-<ID>.scope
 *   /kubepods.slice/kubepods-pod<UID>.slice/crio-<ID>.scope          (Guaranteed)
 *   .../kubepods-besteffort-pod<UID>.slice/docker-<ID>.scope         (cri-dockerd)
 *   .../crio-conmon-<ID>.scope                                       (CRI-O's monitor: the pod's)
 *
 * With the cgroupfs driver the names are plain: /kubepods/burstable/pod<UID>/<ID>
 * (containerd, Docker), .../pod<UID>/crio-<ID> (CRI-O).  Docker on its own
 * runs a container in /system.slice/docker-<ID>.scope or /docker/<ID>.
 * The kubelet's --cgroup-root only adds a prefix ("kubelet-kubepods.slice"),
 * and a cgroup namespace cuts one off: the kubepods component is looked for
 * anywhere, the last one winning (a kubelet inside a container).  A UID is
 * a UUID, or 32 hex digits for a static pod; an ID is 64 hex digits.
 *
 * The names.  Read from files the kubelet and the runtimes write for their
 * own use and keep for the pod's or the container's life:
 *
 *  - the kubelet's /var/log/pods/<NAMESPACE>_<NAME>_<UID>/: made for each
 *    pod before its sandbox starts (kuberuntime's BuildPodLogsDirectory;
 *    "kubectl logs" and every log shipper read it), from the API object's
 *    namespace, name and UID, none of which may hold a '_' (DNS labels and
 *    subdomains, UUIDs), so the name splits one way only.  The pod's own
 *    directory, /var/lib/kubelet/pods/<UID>/, names neither: it holds
 *    volumes/, plugins/, containers/<container>/<random> (termination
 *    messages, not by ID) and etc-hosts, whose hostname is the pod's name
 *    only without spec.hostname and cut at 63 characters;
 *  - containerd's CRI plugin: the OCI bundle's spec,
 *    /run/containerd/io.containerd.runtime.v2.task/k8s.io/<ID>/config.json,
 *    written before the container's process starts, whose annotations
 *    io.kubernetes.cri.{container-type,container-name,sandbox-namespace,
 *    sandbox-name,sandbox-uid} the plugin sets for runtimes to read (Kata
 *    Containers and gVisor do);
 *  - CRI-O: the same spec, saved in the run root's bundle,
 *    /run/containers/storage/overlay-containers/<ID>/userdata/config.json,
 *    and in the graph root's (/var/lib/containers/storage/...), with the
 *    kubelet's labels copied into the annotations (io.kubernetes.pod.
 *    {namespace,name,uid}, io.kubernetes.container.name) and
 *    io.kubernetes.cri-o.ContainerType;
 *  - Docker: /var/lib/docker/containers/<ID>/config.v2.json, whose
 *    Config.Labels carry the same kubelet labels through cri-dockerd
 *    ("POD" for the sandbox), and Name ("/web") for a container of no pod.
 *
 * A bare ID (cgroupfs) is looked up in containerd's, then Docker's.  A
 * spec whose pod UID is not the path's is not believed.  A name must be
 * what Kubernetes allows ([a-z0-9.-], Docker's [A-Za-z0-9_.-]): nothing
 * else reaches a label, a log line or a terminal.
 *
 * The cache.  Names are found once per container ID and pod UID (a
 * container's never change; IDs are not reused) in a set-associative
 * table of bounded size: 8 ways, the least recently used replaced.  What
 * could not be resolved is tried again only after retry_ms, so a cgroup
 * of a pod whose files are unreadable costs a lookup, not a read, per
 * rendering.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mp_pod.h"

const char *const mp_pod_qos_names[MP_POD_QOS_NR] = {
	[MP_POD_QOS_GUARANTEED] = "Guaranteed",
	[MP_POD_QOS_BURSTABLE] = "Burstable",
	[MP_POD_QOS_BESTEFFORT] = "BestEffort",
};

const char *const mp_pod_runtime_names[MP_POD_RT_NR] = {
	[MP_POD_RT_CONTAINERD] = "containerd",
	[MP_POD_RT_CRIO] = "cri-o",
	[MP_POD_RT_DOCKER] = "docker",
};

/* The name a pod's sandbox (pause) container goes by, as cri-dockerd labels it. */
#define SANDBOX_NAME	"POD"

/* --- the path --- */

#define COMPONENTS_MAX	64

struct comp {
	const char *s;
	size_t n;
};

static bool comp_is(const struct comp *c, const char *s)
{
	return c->n == strlen(s) && !memcmp(c->s, s, c->n);
}

/* @c is @pre, then something, then @post: the something in *@rest. */
static bool comp_split(const struct comp *c, const char *pre, const char *post, struct comp *rest)
{
	size_t a = strlen(pre), b = strlen(post);

	if (c->n < a + b || memcmp(c->s, pre, a) || memcmp(c->s + c->n - b, post, b))
		return false;
	rest->s = c->s + a;
	rest->n = c->n - a - b;
	return true;
}

static bool lower_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

/* A container ID: 64 lower-case hex digits. */
static bool take_id(const struct comp *c, struct mp_pod_path *p)
{
	if (c->n != MP_POD_ID_LEN || !lower_hex(c->s, c->n))
		return false;
	memcpy(p->container_id, c->s, c->n);
	p->container_id[c->n] = '\0';
	return true;
}

/*
 * A pod UID: 32 hex digits (a static pod's: a hash of its manifest), or a
 * UUID 8-4-4-4-12 with @sep between the groups ('_' in systemd's names).
 * Into p->uid with dashes.
 */
static bool take_uid(const struct comp *c, char sep, struct mp_pod_path *p)
{
	static const size_t dash[] = { 8, 13, 18, 23 };

	if (c->n == 32 && lower_hex(c->s, c->n)) {
		memcpy(p->uid, c->s, 32);
		p->uid[32] = '\0';
		return true;
	}
	if (c->n != 36)
		return false;
	for (size_t i = 0, d = 0; i < 36; i++) {
		if (d < 4 && i == dash[d]) {
			if (c->s[i] != sep)
				return false;
			p->uid[i] = '-';
			d++;
		} else if (!lower_hex(c->s + i, 1)) {
			return false;
		} else {
			p->uid[i] = c->s[i];
		}
	}
	p->uid[36] = '\0';
	return true;
}

/* A container's component below its pod, systemd's scopes: the runtime by its prefix. */
static void take_scope(const struct comp *c, struct mp_pod_path *p)
{
	static const struct { const char *prefix; enum mp_pod_runtime rt; } scopes[] = {
		{ "cri-containerd-", MP_POD_RT_CONTAINERD },
		{ "crio-", MP_POD_RT_CRIO },
		{ "docker-", MP_POD_RT_DOCKER },
	};
	struct comp id;

	if (comp_split(c, "crio-conmon-", ".scope", &id) && take_id(&id, p)) {
		p->container_id[0] = '\0';
		p->sandbox_monitor = true;
		p->runtime = MP_POD_RT_CRIO;
		return;
	}
	for (size_t i = 0; i < sizeof(scopes) / sizeof(scopes[0]); i++)
		if (comp_split(c, scopes[i].prefix, ".scope", &id) && take_id(&id, p)) {
			p->runtime = scopes[i].rt;
			return;
		}
}

/* The cgroupfs driver's: a bare ID (containerd, Docker), crio-<ID>, crio-conmon-<ID>. */
static void take_dir(const struct comp *c, struct mp_pod_path *p)
{
	struct comp id;

	if (comp_split(c, "crio-conmon-", "", &id) && take_id(&id, p)) {
		p->container_id[0] = '\0';
		p->sandbox_monitor = true;
		p->runtime = MP_POD_RT_CRIO;
	} else if (comp_split(c, "crio-", "", &id) && take_id(&id, p)) {
		p->runtime = MP_POD_RT_CRIO;
	} else {
		take_id(c, p);
	}
}

/*
 * Below kubepods (@c[0]), systemd's form: each slice's name is its
 * parent's stem and its own, joined by '-'.
 */
static bool parse_systemd(const struct comp *c, size_t n, struct mp_pod_path *p)
{
	char stem[256], want[300];
	struct comp uid;
	size_t i = 1;

	if (c[0].n - strlen(".slice") >= sizeof(stem) - 32)
		return false;
	snprintf(stem, sizeof(stem), "%.*s", (int)(c[0].n - strlen(".slice")), c[0].s);
	p->qos = MP_POD_QOS_GUARANTEED;
	for (int q = MP_POD_QOS_BURSTABLE; i < n && q <= MP_POD_QOS_BESTEFFORT; q++) {
		snprintf(want, sizeof(want), "%s-%s.slice", stem,
			 q == MP_POD_QOS_BURSTABLE ? "burstable" : "besteffort");
		if (comp_is(&c[i], want)) {
			p->qos = (enum mp_pod_qos)q;
			snprintf(stem, sizeof(stem), "%.*s", (int)(c[i].n - strlen(".slice")), c[i].s);
			i++;
			break;
		}
	}
	snprintf(want, sizeof(want), "%s-pod", stem);
	if (i >= n || !comp_split(&c[i], want, ".slice", &uid) || !take_uid(&uid, '_', p))
		return false;
	p->systemd = true;
	if (++i < n)
		take_scope(&c[i], p);
	return true;
}

/* Below kubepods (@c[0]), the cgroupfs driver's form. */
static bool parse_cgroupfs(const struct comp *c, size_t n, struct mp_pod_path *p)
{
	struct comp uid;
	size_t i = 1;

	p->qos = MP_POD_QOS_GUARANTEED;
	if (i < n && comp_is(&c[i], "burstable")) {
		p->qos = MP_POD_QOS_BURSTABLE;
		i++;
	} else if (i < n && comp_is(&c[i], "besteffort")) {
		p->qos = MP_POD_QOS_BESTEFFORT;
		i++;
	}
	if (i >= n || !comp_split(&c[i], "pod", "", &uid) || !take_uid(&uid, '-', p))
		return false;
	if (++i < n)
		take_dir(&c[i], p);
	return true;
}

/* Docker on its own: the last docker-<ID>.scope, or docker/<ID>. */
static bool parse_docker(const struct comp *c, size_t n, struct mp_pod_path *p)
{
	for (size_t i = n; i-- > 0;) {
		struct comp id;

		if (comp_split(&c[i], "docker-", ".scope", &id) && take_id(&id, p)) {
			p->systemd = true;
			p->runtime = MP_POD_RT_DOCKER;
			return true;
		}
		if (i + 1 < n && comp_is(&c[i], "docker") && take_id(&c[i + 1], p)) {
			p->runtime = MP_POD_RT_DOCKER;
			return true;
		}
	}
	return false;
}

static bool is_kubepods(const struct comp *c)
{
	struct comp pre;

	return comp_is(c, "kubepods") || comp_is(c, "kubepods.slice") ||
	       (comp_split(c, "", "-kubepods.slice", &pre) && pre.n > 0);
}

int mp_pod_parse(const char *cgroup, struct mp_pod_path *p)
{
	struct comp c[COMPONENTS_MAX], rest;
	size_t n = 0, k = COMPONENTS_MAX;
	bool found;

	memset(p, 0, sizeof(*p));
	for (const char *s = cgroup; *s;) {
		size_t len = strcspn(s, "/");

		if (len) {
			if (n == COMPONENTS_MAX)
				return -ENOENT;
			c[n].s = s;
			c[n++].n = len;
		}
		s += len + (s[len] == '/');
	}
	for (size_t i = 0; i < n; i++)
		if (is_kubepods(&c[i]))
			k = i;
	if (k == COMPONENTS_MAX)
		found = parse_docker(c, n, p);
	else if (comp_split(&c[k], "", ".slice", &rest) && rest.n)
		found = parse_systemd(c + k, n - k, p);
	else
		found = parse_cgroupfs(c + k, n - k, p);
	if (!found) {
		memset(p, 0, sizeof(*p));
		return -ENOENT;
	}
	return 0;
}

/* --- JSON, as much as reading one string of a runtime's spec takes --- */

/* Nesting the skipper follows: a spec is 5 deep (seccomp's rules). */
#define JSON_DEPTH	64

struct json {
	const char *p, *end;
};

static void json_ws(struct json *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

static int hex_digit(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 :
	       c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

static int json_u4(struct json *j, uint32_t *cp)
{
	*cp = 0;
	if (j->end - j->p < 4)
		return -EINVAL;
	for (int i = 0; i < 4; i++) {
		int d = hex_digit(*j->p++);

		if (d < 0)
			return -EINVAL;
		*cp = *cp << 4 | (uint32_t)d;
	}
	return 0;
}

struct sink {
	char *out;
	size_t size, len;
};

static void sink_put(struct sink *s, unsigned char c)
{
	if (s->out && s->len + 1 < s->size)
		s->out[s->len] = (char)c;
	s->len++;
}

static void sink_utf8(struct sink *s, uint32_t cp)
{
	if (cp < 0x80) {
		sink_put(s, (unsigned char)cp);
	} else if (cp < 0x800) {
		sink_put(s, (unsigned char)(0xc0 | cp >> 6));
		sink_put(s, (unsigned char)(0x80 | (cp & 0x3f)));
	} else if (cp < 0x10000) {
		sink_put(s, (unsigned char)(0xe0 | cp >> 12));
		sink_put(s, (unsigned char)(0x80 | ((cp >> 6) & 0x3f)));
		sink_put(s, (unsigned char)(0x80 | (cp & 0x3f)));
	} else {
		sink_put(s, (unsigned char)(0xf0 | cp >> 18));
		sink_put(s, (unsigned char)(0x80 | ((cp >> 12) & 0x3f)));
		sink_put(s, (unsigned char)(0x80 | ((cp >> 6) & 0x3f)));
		sink_put(s, (unsigned char)(0x80 | (cp & 0x3f)));
	}
}

/*
 * The string at j->p, decoded into @s (s->out NULL: only skipped).  0,
 * -EINVAL if malformed (a raw control character, a bad escape, a lone
 * surrogate), -ENAMETOOLONG if decoded it did not fit s->size (consumed
 * all the same).
 */
static int json_string(struct json *j, struct sink *s)
{
	if (j->p >= j->end || *j->p != '"')
		return -EINVAL;
	j->p++;
	while (j->p < j->end) {
		unsigned char c = (unsigned char)*j->p++;
		uint32_t cp, lo;

		if (c == '"') {
			if (s->out && s->size)
				s->out[s->len < s->size ? s->len : s->size - 1] = '\0';
			return s->out && s->len >= s->size ? -ENAMETOOLONG : 0;
		}
		if (c < 0x20)
			return -EINVAL;
		if (c != '\\') {
			sink_put(s, c);
			continue;
		}
		if (j->p >= j->end)
			return -EINVAL;
		switch (c = (unsigned char)*j->p++) {
		case '"': case '\\': case '/':
			sink_put(s, c);
			break;
		case 'b': sink_put(s, '\b'); break;
		case 'f': sink_put(s, '\f'); break;
		case 'n': sink_put(s, '\n'); break;
		case 'r': sink_put(s, '\r'); break;
		case 't': sink_put(s, '\t'); break;
		case 'u':
			if (json_u4(j, &cp))
				return -EINVAL;
			if (cp >= 0xdc00 && cp <= 0xdfff)
				return -EINVAL;
			if (cp >= 0xd800 && cp <= 0xdbff) {
				if (j->end - j->p < 2 || j->p[0] != '\\' || j->p[1] != 'u')
					return -EINVAL;
				j->p += 2;
				if (json_u4(j, &lo) || lo < 0xdc00 || lo > 0xdfff)
					return -EINVAL;
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			}
			sink_utf8(s, cp);
			break;
		default:
			return -EINVAL;
		}
	}
	return -EINVAL;
}

static int json_value(struct json *j, int depth);

/* The members or elements of the object or array at j->p, skipped. */
static int json_container(struct json *j, int depth)
{
	char close = *j->p == '{' ? '}' : ']';

	if (depth >= JSON_DEPTH)
		return -EINVAL;
	j->p++;
	json_ws(j);
	if (j->p < j->end && *j->p == close) {
		j->p++;
		return 0;
	}
	for (;;) {
		if (close == '}') {
			struct sink none = { 0 };

			json_ws(j);
			if (json_string(j, &none))
				return -EINVAL;
			json_ws(j);
			if (j->p >= j->end || *j->p++ != ':')
				return -EINVAL;
		}
		if (json_value(j, depth + 1))
			return -EINVAL;
		json_ws(j);
		if (j->p >= j->end)
			return -EINVAL;
		if (*j->p == close) {
			j->p++;
			return 0;
		}
		if (*j->p++ != ',')
			return -EINVAL;
	}
}

/* A value of any kind at j->p (after blanks), skipped. */
static int json_value(struct json *j, int depth)
{
	static const char *const words[] = { "true", "false", "null" };
	struct sink none = { 0 };
	bool digits = false;

	json_ws(j);
	if (j->p >= j->end)
		return -EINVAL;
	if (*j->p == '"')
		return json_string(j, &none);
	if (*j->p == '{' || *j->p == '[')
		return json_container(j, depth);
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		size_t n = strlen(words[i]);

		if ((size_t)(j->end - j->p) >= n && !memcmp(j->p, words[i], n)) {
			j->p += n;
			return 0;
		}
	}
	/* A number, read loosely: its characters, one digit at least. */
	while (j->p < j->end && *j->p && strchr("-+.eE0123456789", *j->p)) {
		digits |= *j->p >= '0' && *j->p <= '9';
		j->p++;
	}
	return digits ? 0 : -EINVAL;
}

/* At an object: j->p moved to the value of its first member @key. */
static int json_member(struct json *j, const char *key)
{
	json_ws(j);
	if (j->p >= j->end || *j->p != '{')
		return -EINVAL;
	j->p++;
	json_ws(j);
	if (j->p < j->end && *j->p == '}')
		return -ENOENT;
	for (;;) {
		char k[128];
		struct sink s = { .out = k, .size = sizeof(k) };
		int r;

		json_ws(j);
		r = json_string(j, &s);
		if (r == -EINVAL)
			return -EINVAL;
		json_ws(j);
		if (j->p >= j->end || *j->p++ != ':')
			return -EINVAL;
		if (!r && s.len == strlen(key) && !memcmp(k, key, s.len)) {
			json_ws(j);
			return 0;
		}
		if (json_value(j, 1))
			return -EINVAL;
		json_ws(j);
		if (j->p >= j->end)
			return -EINVAL;
		if (*j->p == '}')
			return -ENOENT;
		if (*j->p++ != ',')
			return -EINVAL;
	}
}

int mp_pod_json_str(const char *doc, size_t len, const char *const *path, size_t depth,
		    char *out, size_t size)
{
	struct json j = { .p = doc, .end = doc + len };
	struct sink s = { .out = out, .size = size };
	int r;

	if (size)
		out[0] = '\0';
	for (size_t i = 0; i < depth; i++) {
		r = json_member(&j, path[i]);
		if (r)
			return r;
	}
	r = json_string(&j, &s);
	if (r && size)
		out[0] = '\0';
	return r;
}

/* --- names --- */

/* A Kubernetes name: DNS characters ([a-z0-9.-]); Docker's: [A-Za-z0-9_.-] too. */
static bool name_ok(const char *s, size_t max, bool docker)
{
	size_t n = strlen(s);

	if (!n || n > max)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		      (docker && ((c >= 'A' && c <= 'Z') || c == '_'))))
			return false;
	}
	return true;
}

/* What a container's or a pod's files said; "" for what they did not. */
struct names {
	char namespace[MP_POD_NAMESPACE_MAX + 1];
	char pod[MP_POD_NAME_MAX + 1];
	char container[MP_POD_CONTAINER_MAX + 1];
	char uid[MP_POD_UID_MAX + 1];
};

/* --- the resolver --- */

#define WAYS		8
/* The most a runtime's file may be: a spec is tens of KiB (seccomp's rules). */
#define META_MAX	(1 << 20)

struct entry {
	char key[MP_POD_ID_LEN + 1];	/* a container ID or a pod UID; "" if free */
	bool resolved;			/* its files named it: never read again */
	uint64_t retry_at_ms;		/* unresolved: read again from then */
	uint64_t used;			/* when last used, in lookups */
	struct names n;
};

struct mp_pod_resolver {
	char *root;
	unsigned int retry_ms;
	size_t nr_sets;
	uint64_t clock;			/* lookups so far: the LRU's time */
	uint64_t reads;
	struct entry *e;		/* nr_sets x WAYS */
};

struct mp_pod_resolver *mp_pod_resolver_new(const char *root, size_t entries,
					    unsigned int retry_ms)
{
	struct mp_pod_resolver *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->nr_sets = entries < WAYS ? 1 : entries / WAYS;
	r->retry_ms = retry_ms;
	/* "/" and "" alike: paths are made as root + "/var/...". */
	r->root = strdup(strcmp(root, "/") ? root : "");
	r->e = calloc(r->nr_sets * WAYS, sizeof(*r->e));
	if (!r->root || !r->e) {
		mp_pod_resolver_free(r);
		return NULL;
	}
	return r;
}

struct mp_pod_resolver *mp_pod_resolver_host(size_t entries, unsigned int retry_ms)
{
	const char *root = secure_getenv("MEMPRESSURE_HOST_ROOT");

	return mp_pod_resolver_new(root && *root ? root : "/", entries, retry_ms);
}

void mp_pod_resolver_free(struct mp_pod_resolver *r)
{
	if (!r)
		return;
	free(r->root);
	free(r->e);
	free(r);
}

uint64_t mp_pod_resolver_reads(const struct mp_pod_resolver *r)
{
	return r ? r->reads : 0;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* A whole file of at most META_MAX bytes, NUL-terminated; the caller frees. */
static char *read_meta(struct mp_pod_resolver *r, const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	char *buf = NULL;
	size_t cap = 0;

	r->reads++;
	*len = 0;
	if (fd < 0)
		return NULL;
	for (;;) {
		ssize_t n;

		if (*len + 1 >= cap) {
			char *b = cap < META_MAX ? realloc(buf, cap ? cap * 2 : 16384) : NULL;

			if (!b)
				goto fail;
			buf = b;
			cap = cap ? cap * 2 : 16384;
		}
		n = read(fd, buf + *len, cap - *len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto fail;
		if (n == 0)
			break;
		*len += (size_t)n;
	}
	close(fd);
	buf[*len] = '\0';
	return buf;
fail:
	close(fd);
	free(buf);
	return NULL;
}

/* The string at @keys (@depth deep) of @doc, when it is a valid name. */
static void meta_name(const char *doc, size_t len, const char *const *keys, size_t depth,
		      char *out, size_t size, bool docker)
{
	if (mp_pod_json_str(doc, len, keys, depth, out, size) || !name_ok(out, size - 1, docker))
		out[0] = '\0';
}

/* Keys of the pod and the container in one runtime's spec or config. */
struct meta_keys {
	const char *const *obj;		/* the object holding them */
	size_t depth;
	const char *namespace, *pod, *uid, *container;
	const char *type, *sandbox_type;	/* type key, its value for a sandbox */
};

static const char *const oci_annotations[] = { "annotations" };
static const char *const docker_labels[] = { "Config", "Labels" };

static const struct meta_keys containerd_keys = {
	oci_annotations, 1,
	"io.kubernetes.cri.sandbox-namespace", "io.kubernetes.cri.sandbox-name",
	"io.kubernetes.cri.sandbox-uid", "io.kubernetes.cri.container-name",
	"io.kubernetes.cri.container-type", "sandbox",
};

static const struct meta_keys crio_keys = {
	oci_annotations, 1,
	"io.kubernetes.pod.namespace", "io.kubernetes.pod.name",
	"io.kubernetes.pod.uid", "io.kubernetes.container.name",
	"io.kubernetes.cri-o.ContainerType", "sandbox",
};

/* cri-dockerd's labels: the sandbox's container name is "POD" already. */
static const struct meta_keys docker_keys = {
	docker_labels, 2,
	"io.kubernetes.pod.namespace", "io.kubernetes.pod.name",
	"io.kubernetes.pod.uid", "io.kubernetes.container.name",
	NULL, NULL,
};

/* One file's names by @k: 0 if it was read, -ENOENT if not. */
static int meta_read(struct mp_pod_resolver *r, const char *path, const struct meta_keys *k,
		     bool docker, struct names *n)
{
	const char *keys[4];
	char type[32];
	size_t len;
	char *doc = read_meta(r, path, &len);

	if (!doc)
		return -ENOENT;
	memset(n, 0, sizeof(*n));
	memcpy(keys, k->obj, k->depth * sizeof(keys[0]));
	keys[k->depth] = k->namespace;
	meta_name(doc, len, keys, k->depth + 1, n->namespace, sizeof(n->namespace), false);
	keys[k->depth] = k->pod;
	meta_name(doc, len, keys, k->depth + 1, n->pod, sizeof(n->pod), false);
	keys[k->depth] = k->uid;
	if (mp_pod_json_str(doc, len, keys, k->depth + 1, n->uid, sizeof(n->uid)))
		n->uid[0] = '\0';
	keys[k->depth] = k->type;
	if (k->type && !mp_pod_json_str(doc, len, keys, k->depth + 1, type, sizeof(type)) &&
	    !strcmp(type, k->sandbox_type)) {
		strcpy(n->container, SANDBOX_NAME);
	} else {
		keys[k->depth] = k->container;
		if (mp_pod_json_str(doc, len, keys, k->depth + 1, n->container,
				    sizeof(n->container)) ||
		    (strcmp(n->container, SANDBOX_NAME) &&
		     !name_ok(n->container, MP_POD_CONTAINER_MAX, false)))
			n->container[0] = '\0';
	}
	/* Docker on its own: the container's name, "/web". */
	if (docker && !n->container[0] && !n->pod[0]) {
		static const char *const name_key[] = { "Name" };
		char name[MP_POD_CONTAINER_MAX + 2];

		if (!mp_pod_json_str(doc, len, name_key, 1, name, sizeof(name)) &&
		    name[0] == '/' && name_ok(name + 1, MP_POD_CONTAINER_MAX, true))
			strcpy(n->container, name + 1);
	}
	free(doc);
	return 0;
}

/* A container's names from its runtime's files (@p says which runtime, or not). */
static void container_names(struct mp_pod_resolver *r, const struct mp_pod_path *p,
			    struct names *n)
{
	char path[4096];
	const char *id = p->container_id;
	bool any = p->runtime == MP_POD_RT_UNKNOWN;
	int got = -ENOENT;

	if (p->runtime == MP_POD_RT_CONTAINERD || any) {
		snprintf(path, sizeof(path),
			 "%s/run/containerd/io.containerd.runtime.v2.task/k8s.io/%s/config.json",
			 r->root, id);
		got = meta_read(r, path, &containerd_keys, false, n);
	}
	if (got && p->runtime == MP_POD_RT_CRIO) {
		snprintf(path, sizeof(path),
			 "%s/run/containers/storage/overlay-containers/%s/userdata/config.json",
			 r->root, id);
		got = meta_read(r, path, &crio_keys, false, n);
		if (got) {
			snprintf(path, sizeof(path),
				 "%s/var/lib/containers/storage/overlay-containers/%s/userdata/config.json",
				 r->root, id);
			got = meta_read(r, path, &crio_keys, false, n);
		}
	}
	if (got && (p->runtime == MP_POD_RT_DOCKER || any)) {
		snprintf(path, sizeof(path), "%s/var/lib/docker/containers/%s/config.v2.json",
			 r->root, id);
		got = meta_read(r, path, &docker_keys, true, n);
	}
	/* Another pod's container, by the files: believe neither. */
	if (!got && n->uid[0] && p->uid[0] && strcmp(n->uid, p->uid))
		got = -ESTALE;
	if (got)
		memset(n, 0, sizeof(*n));
}

/*
 * A pod's namespace and name from the kubelet's log directory,
 * /var/log/pods/NAMESPACE_NAME_UID: the entry that ends in _UID, split at
 * its first '_' (neither name may hold one).
 */
static void pod_names(struct mp_pod_resolver *r, const char *uid, struct names *n)
{
	char path[4096];
	struct dirent *de;
	size_t ulen = strlen(uid);
	DIR *dir;

	memset(n, 0, sizeof(*n));
	snprintf(path, sizeof(path), "%s/var/log/pods", r->root);
	r->reads++;
	dir = opendir(path);
	if (!dir)
		return;
	while ((de = readdir(dir))) {
		const char *s = de->d_name, *us = strchr(s, '_');
		size_t len = strlen(s), both = len - ulen - 1, nslen = us ? (size_t)(us - s) : 0;

		if (!us || len <= ulen + 1 || s[both] != '_' || strcmp(s + both + 1, uid) ||
		    nslen + 1 >= both || nslen > MP_POD_NAMESPACE_MAX ||
		    both - nslen - 1 > MP_POD_NAME_MAX)
			continue;
		memcpy(n->namespace, s, nslen);
		n->namespace[nslen] = '\0';
		memcpy(n->pod, us + 1, both - nslen - 1);
		n->pod[both - nslen - 1] = '\0';
		if (name_ok(n->namespace, MP_POD_NAMESPACE_MAX, false) &&
		    name_ok(n->pod, MP_POD_NAME_MAX, false))
			break;
		memset(n, 0, sizeof(*n));
	}
	closedir(dir);
}

static size_t set_of(const struct mp_pod_resolver *r, const char *key)
{
	uint64_t h = 0xcbf29ce484222325ULL;	/* FNV-1a */

	for (const unsigned char *s = (const unsigned char *)key; *s; s++)
		h = (h ^ *s) * 0x100000001b3ULL;
	return (size_t)(h % r->nr_sets);
}

/*
 * The names of @key: @p's container ID (@container) or pod UID, from the
 * cache, or read now when absent, or unresolved and retry_ms old.
 */
static const struct names *lookup(struct mp_pod_resolver *r, const char *key, bool container,
				  const struct mp_pod_path *p)
{
	struct entry *set = &r->e[set_of(r, key) * WAYS], *e = NULL;
	uint64_t now;

	r->clock++;
	for (size_t w = 0; w < WAYS && !e; w++)
		if (!strcmp(set[w].key, key))
			e = &set[w];
	now = e && e->resolved ? 0 : now_ms();
	if (e && (e->resolved || now < e->retry_at_ms)) {
		e->used = r->clock;
		return &e->n;
	}
	if (!e) {
		e = &set[0];
		for (size_t w = 1; w < WAYS; w++)
			if (set[w].used < e->used)
				e = &set[w];
		snprintf(e->key, sizeof(e->key), "%s", key);
	}
	e->used = r->clock;
	if (container)
		container_names(r, p, &e->n);
	else
		pod_names(r, key, &e->n);
	/* A container's runtime named it, or the pod's directory was found. */
	e->resolved = container ? e->n.container[0] || e->n.pod[0] : e->n.pod[0];
	e->retry_at_ms = now + r->retry_ms;
	return &e->n;
}

int mp_pod_resolve(struct mp_pod_resolver *r, const char *cgroup, struct mp_pod_info *info)
{
	const struct names *n;

	memset(info, 0, sizeof(*info));
	if (mp_pod_parse(cgroup, &info->path))
		return -ENOENT;
	if (!r)
		return 0;
	if (info->path.container_id[0]) {
		n = lookup(r, info->path.container_id, true, &info->path);
		strcpy(info->namespace, n->namespace);
		strcpy(info->pod, n->pod);
		strcpy(info->container, n->container);
	}
	if (info->path.uid[0] && (!info->namespace[0] || !info->pod[0])) {
		n = lookup(r, info->path.uid, false, &info->path);
		strcpy(info->namespace, n->namespace);
		strcpy(info->pod, n->pod);
	}
	return 0;
}

const char *mp_pod_format(const struct mp_pod_info *info, char *out, size_t size)
{
	if (!size)
		return out;
	out[0] = '\0';
	if (info->namespace[0] && info->pod[0])
		snprintf(out, size, "%s/%s%s%s", info->namespace, info->pod,
			 info->container[0] ? "/" : "", info->container);
	else if (info->container[0] && !info->path.uid[0])
		snprintf(out, size, "%s", info->container);
	return out;
}

const char *mp_pod_describe(struct mp_pod_resolver *r, const char *cgroup, char *out,
			    size_t size)
{
	struct mp_pod_info info;
	char names[MP_POD_NAMESPACE_MAX + MP_POD_NAME_MAX + MP_POD_CONTAINER_MAX + 3];

	if (mp_pod_resolve(r, cgroup, &info) || !mp_pod_format(&info, names, sizeof(names))[0])
		snprintf(out, size, "%s", cgroup);
	else
		snprintf(out, size, "%s (%s)", cgroup, names);
	return out;
}
