// SPDX-License-Identifier: GPL-2.0
/*
 * leakload: the C workloads of the leak corpus (bench/leaks/README.md), one
 * memory pattern each, leaks and not leaks.
 *
 *   leakload PATTERN [options]
 *
 * Every pattern paces itself by the clock (what it should hold at time t),
 * never by sleeping a fixed time per step, so its rates hold on a slow
 * emulated CPU.  Every pattern also serves "requests" while it runs: each
 * tick allocates, touches and frees a small buffer from the malloc heap, so
 * its RSS has the jitter of a real service rather than a flat line.
 *
 * What happens when, the corpus runner learns from lines on stdout:
 *
 *   mark PID WHAT [VALUE]
 *
 * onset (a leak begins), stop (it ends), limit (it stopped at its cgroup's
 * memory.max), plateau (a cache reached its bound), loaded, yield BYTES
 * (gave memory back when asked).  Sizes take K, M and G suffixes; times are
 * seconds.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define TICK_NS		50000000LL	/* 50 ms between steps */
#define REQUEST_BYTES	(96 << 10)	/* a request's buffer: heap, not mmap */
#define LEAK_CHUNK	(16 << 10)	/* what one leaked allocation holds */

static long page_size;

/* The options every pattern may take; each uses what it needs. */
struct opts {
	long long rate;		/* -r: bytes per second */
	long long bytes;	/* -b: a size */
	double period;		/* -p: seconds */
	double delay;		/* -d: steady seconds before the leak starts */
	double duration;	/* -t: seconds of leaking (0: for ever) */
	double limit;		/* -l: leak until memory.max, set to rate x this */
	double hold;		/* -h: seconds */
	double fill;		/* -f: seconds to reach the bound */
	int workers;		/* -w */
	const char *path;	/* -F: a file */
};

static int parse_size(const char *s, long long *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || end == s || v < 0)
		return -EINVAL;
	switch (*end) {
	case 'G': v *= 1024;	/* fall through */
	case 'M': v *= 1024;	/* fall through */
	case 'K': v *= 1024; end++; break;
	case '\0': break;
	default: return -EINVAL;
	}
	if (*end)
		return -EINVAL;
	*out = v;
	return 0;
}

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static double since(long long start_ns)
{
	return (double)(now_ns() - start_ns) / 1e9;
}

/* Sleep until the next tick of a clock started at @start_ns. */
static void tick(long long start_ns)
{
	long long next = start_ns + ((now_ns() - start_ns) / TICK_NS + 1) * TICK_NS;
	struct timespec ts = { next / 1000000000LL, next % 1000000000LL };

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

static void mark(const char *what, long long value)
{
	if (value >= 0)
		printf("mark %d %s %lld\n", getpid(), what, value);
	else
		printf("mark %d %s\n", getpid(), what);
	fflush(stdout);
}

static void die(const char *what)
{
	fprintf(stderr, "leakload: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void touch(char *p, size_t len)
{
	for (size_t off = 0; off < len; off += page_size)
		p[off] = (char)(off / page_size + 1);
}

static void *map_anon(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		die("mmap");
	return p;
}

/* One request: a heap buffer, filled and freed. */
static void serve(void)
{
	char *b = malloc(REQUEST_BYTES);

	if (!b)
		die("malloc");
	touch(b, REQUEST_BYTES);
	/* Keep the compiler from dropping the touches. */
	__asm__ volatile("" : : "r"(b) : "memory");
	free(b);
}

/* --- the cgroup this process runs in ------------------------------------ */

static char cg_dir[4200];

static int cg_file(const char *file, char *path, size_t size)
{
	FILE *f;
	char line[4096];

	if (!cg_dir[0]) {
		f = fopen("/proc/self/cgroup", "r");
		if (!f)
			return -errno;
		while (fgets(line, sizeof(line), f)) {
			if (!strncmp(line, "0::", 3)) {
				line[strcspn(line, "\n")] = '\0';
				snprintf(cg_dir, sizeof(cg_dir), "/sys/fs/cgroup%s",
					 line + 3);
			}
		}
		fclose(f);
		if (!cg_dir[0])
			return -ENOENT;
	}
	snprintf(path, size, "%s/%s", cg_dir, file);
	return 0;
}

static long long cg_read(const char *file)
{
	char path[4400];
	long long v = -1;
	FILE *f;

	if (cg_file(file, path, sizeof(path)))
		return -1;
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fscanf(f, "%lld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

static int cg_write(const char *file, long long v)
{
	char path[4400];
	FILE *f;
	int err = 0;

	if (cg_file(file, path, sizeof(path)))
		return -ENOENT;
	f = fopen(path, "w");
	if (!f)
		return -errno;
	if (fprintf(f, "%lld\n", v) < 0)
		err = -EIO;
	if (fclose(f))
		err = -errno;
	return err;
}

/* --- leaking ------------------------------------------------------------ */

/*
 * A leak: allocations that are never freed, at a rate, in LEAK_CHUNK
 * pieces from the heap, as a service's forgotten objects are.
 */
struct leak {
	long long rate;			/* bytes per second */
	long long start_ns;		/* when it began */
	long long held;			/* bytes leaked so far */
	long long max;			/* memory.max when it leaks to it, else 0 */
	long long budget;		/* what it leaks until memory.max */
	long long stop_at;		/* bytes: where it stops, 0 never */
	bool done;
};

/*
 * Set memory.max so that leaking at the rate for @seconds reaches it, with
 * @headroom bytes for what else the process will hold at its peak.
 */
static void leak_limit(struct leak *lk, double seconds, long long headroom)
{
	long long cur = cg_read("memory.current");

	if (cur < 0)
		die("memory.current");
	lk->budget = (long long)(lk->rate * seconds);
	lk->max = (cur + headroom + lk->budget) / page_size * page_size;
	if (cg_write("memory.max", lk->max))
		die("memory.max");
}

static void leak_start(struct leak *lk, const struct opts *o, long long headroom)
{
	lk->rate = o->rate;
	lk->start_ns = now_ns();
	if (o->limit > 0)
		leak_limit(lk, o->limit, headroom);
	if (o->duration > 0)
		lk->stop_at = (long long)(o->rate * o->duration);
	mark("onset", -1);
}

/*
 * Whether @bytes more fit under memory.max, with half a second of the leak
 * to spare, the headroom left for the rest (leak_limit()); at memory.max
 * the kernel would OOM-kill, so there the leak stops and says so.
 */
static bool leak_fits(struct leak *lk, long long bytes)
{
	long long spare = bytes + lk->rate / 2;

	if (!lk->max || (lk->held + spare < lk->budget &&
			 cg_read("memory.current") + spare < lk->max))
		return true;
	lk->done = true;
	mark("limit", lk->held);
	return false;
}

/* Whether the leak is over its -t duration, saying so the first time. */
static bool leak_over(struct leak *lk, long long next)
{
	if (!lk->stop_at || next <= lk->stop_at)
		return false;
	lk->done = true;
	mark("stop", lk->held);
	return true;
}

/* Bytes the clock says are due. */
static long long leak_due(const struct leak *lk)
{
	return (long long)(since(lk->start_ns) * lk->rate);
}

/* Leak what is due, in @chunk allocations from the heap. */
static void leak_step(struct leak *lk, long long chunk)
{
	long long due = leak_due(lk);

	while (!lk->done && lk->held + chunk <= due &&
	       !leak_over(lk, lk->held + chunk) && leak_fits(lk, chunk)) {
		char *p = malloc(chunk);

		if (!p)
			die("malloc");
		touch(p, chunk);
		lk->held += chunk;
	}
}

/* Serve requests for @seconds: a service running steadily. */
static void steady(double seconds)
{
	long long start = now_ns();

	while (seconds <= 0 || since(start) < seconds) {
		serve();
		tick(start);
	}
}

/* linear: -r RATE [-d DELAY] [-t SECONDS | -l SECONDS] */
static void __attribute__((noreturn)) pattern_linear(const struct opts *o)
{
	struct leak lk = { 0 };
	long long start = now_ns();

	if (o->delay > 0)
		steady(o->delay);
	leak_start(&lk, o, 0);
	for (;;) {
		serve();
		leak_step(&lk, LEAK_CHUNK);
		tick(start);
	}
}

/* step: -b BYTES -p PERIOD [-t | -l]: BYTES at once, every PERIOD */
static void __attribute__((noreturn)) pattern_step(const struct opts *o)
{
	struct opts r = *o;
	struct leak lk = { 0 };
	long long start = now_ns();

	/* The mean rate: for -t, -l and the limit's margin. */
	r.rate = (long long)(o->bytes / o->period);
	leak_start(&lk, &r, 0);
	for (;;) {
		long long due = ((long long)(since(lk.start_ns) / o->period) + 1) *
				o->bytes;

		serve();
		if (!lk.done && lk.held < due && !leak_over(&lk, lk.held + o->bytes) &&
		    leak_fits(&lk, o->bytes)) {
			touch(map_anon(o->bytes), o->bytes);
			lk.held += o->bytes;
		}
		tick(start);
	}
}

/*
 * sawtooth: -b AMPLITUDE -p PERIOD [-r FLOOR_RATE [-t | -l]]: garbage
 * grows to AMPLITUDE over 3/4 of each period and is all given back at
 * once, as a collector does; with a floor rate, what survives each cycle
 * grows at that rate (a leak under the sawtooth).
 */
static void __attribute__((noreturn)) pattern_sawtooth(const struct opts *o)
{
	struct leak lk = { 0 };
	long long start = now_ns();
	size_t amp = o->bytes / page_size * page_size;
	char *garbage = map_anon(amp);
	size_t touched = 0;

	if (o->rate)
		leak_start(&lk, o, amp);
	for (;;) {
		double phase = since(start) / o->period;
		double f = (phase - (long long)phase) / 0.75;
		size_t want = f >= 1 ? amp :
			      (size_t)(f * amp) / page_size * page_size;

		if (want < touched) {
			/* The collection: all of it back to the kernel. */
			madvise(garbage, amp, MADV_DONTNEED);
			touched = 0;
		}
		if (want > touched) {
			touch(garbage + touched, want - touched);
			touched = want;
		}
		serve();
		if (o->rate)
			leak_step(&lk, LEAK_CHUNK);
		tick(start);
	}
}

/* pool: -w WORKERS -r RATE [-t | -l]: worker 0 of a pre-forked pool leaks */
static void __attribute__((noreturn)) pattern_pool(const struct opts *o)
{
	int i;

	for (i = 0; i < o->workers; i++) {
		pid_t pid = fork();

		if (pid < 0)
			die("fork");
		if (pid == 0) {
			struct leak lk = { 0 };
			long long start = now_ns();

			prctl(PR_SET_PDEATHSIG, SIGKILL);
			if (i == 0)
				leak_start(&lk, o, 0);
			for (;;) {
				serve();
				if (i == 0)
					leak_step(&lk, LEAK_CHUNK);
				tick(start);
			}
		}
	}
	for (;;)
		pause();
}

/* memfd: -r RATE [-t | -l]: shared memory, mapped and written, never freed */
static void __attribute__((noreturn)) pattern_memfd(const struct opts *o)
{
	const long long size = 1LL << 30;
	struct leak lk = { 0 };
	long long start = now_ns();
	char *p;
	int fd;

	fd = memfd_create("leakload", MFD_CLOEXEC);
	if (fd < 0)
		die("memfd_create");
	if (ftruncate(fd, size))
		die("ftruncate");
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		die("mmap memfd");
	leak_start(&lk, o, 0);
	for (;;) {
		long long due = leak_due(&lk) / page_size * page_size;

		if (due > size)
			due = size;
		serve();
		if (!lk.done && due > lk.held && !leak_over(&lk, due) &&
		    leak_fits(&lk, due - lk.held)) {
			touch(p + lk.held, due - lk.held);
			lk.held = due;
		}
		tick(start);
	}
}

/*
 * A cache of 64 KiB entries, each its own mapping so that dropping one
 * gives its memory back at once; the oldest goes first.
 */
#define ENTRY_BYTES	(64 << 10)

struct cache {
	char **entry;
	size_t head, len, cap;		/* a ring, oldest at head */
};

static void cache_init(struct cache *c, size_t cap)
{
	c->head = 0;
	c->len = 0;
	c->cap = cap ? cap : 1;
	c->entry = calloc(c->cap, sizeof(*c->entry));
	if (!c->entry)
		die("calloc");
}

static void cache_drop_oldest(struct cache *c)
{
	munmap(c->entry[c->head], ENTRY_BYTES);
	c->head = (c->head + 1) % c->cap;
	c->len--;
}

static void cache_put(struct cache *c)
{
	char *e = map_anon(ENTRY_BYTES);

	touch(e, ENTRY_BYTES);
	if (c->len == c->cap)
		cache_drop_oldest(c);
	c->entry[(c->head + c->len) % c->cap] = e;
	c->len++;
}

/*
 * cache: -b CAP -f FILL [-r CHURN]: an LRU filled to CAP in FILL seconds,
 * then kept full, CHURN bytes a second of new entries replacing the oldest.
 */
static void __attribute__((noreturn)) pattern_cache(const struct opts *o)
{
	size_t cap = o->bytes / ENTRY_BYTES;
	long long start = now_ns();
	long long churn = o->rate ? o->rate : 256 << 10;
	long long puts = 0;
	struct cache c;
	bool full = false;

	cache_init(&c, cap);
	for (;;) {
		double t = since(start);
		long long due = t < o->fill ? (long long)(t / o->fill * cap) :
			(long long)cap + (long long)((t - o->fill) * churn / ENTRY_BYTES);

		while (puts < due) {
			cache_put(&c);
			puts++;
		}
		if (!full && (size_t)puts >= cap) {
			full = true;
			mark("plateau", (long long)cap * ENTRY_BYTES);
		}
		serve();
		tick(start);
	}
}

/* loader: -b BYTES: loads its data at start, then serves steadily */
static void __attribute__((noreturn)) pattern_loader(const struct opts *o)
{
	char *data = map_anon(o->bytes);

	touch(data, o->bytes);
	mark("loaded", o->bytes);
	steady(0);
	exit(0);
}

/* batch: -b BYTES -p PERIOD -h HOLD: every PERIOD, BYTES for HOLD seconds */
static void __attribute__((noreturn)) pattern_batch(const struct opts *o)
{
	long long start = now_ns();
	long long n = 0;

	for (;;) {
		if (since(start) >= n * o->period) {
			char *p = malloc(o->bytes);	/* glibc: a mapping */
			long long t0 = now_ns();

			if (!p)
				die("malloc");
			touch(p, o->bytes);
			while (since(t0) < o->hold) {
				serve();
				tick(start);
			}
			free(p);
			n++;
		}
		serve();
		tick(start);
	}
}

/*
 * mmapfile: -F PATH -b BYTES -r RATE: writes a file of BYTES, then reads it
 * through a mapping at RATE: its file RSS grows, its anonymous memory not.
 */
static void __attribute__((noreturn)) pattern_mmapfile(const struct opts *o)
{
	size_t size = o->bytes / page_size * page_size;
	long long start;
	size_t read = 0;
	char buf[65536];
	char *p;
	int fd;

	fd = open(o->path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		die(o->path);
	memset(buf, 'x', sizeof(buf));
	for (size_t off = 0; off < size; off += sizeof(buf))
		if (write(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf))
			die("write");
	p = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		die("mmap file");
	start = now_ns();
	mark("reading", -1);
	for (;;) {
		size_t due = (size_t)(since(start) * o->rate);
		volatile char sum = 0;

		if (due > size)
			due = size;
		for (; read < due; read += page_size)
			sum += p[read];
		serve();
		tick(start);
	}
}

/*
 * yield: -b BYTES -f FILL: a cache with no bound of its own that grows by
 * BYTES every FILL seconds and, asked (SIGUSR1, as mempressured's signal
 * targets are), drops its older half and says how much it gave back.
 */
static volatile sig_atomic_t asked;

static void on_usr1(int sig)
{
	(void)sig;
	asked = 1;
}

static void __attribute__((noreturn)) pattern_yield(const struct opts *o)
{
	long long start = now_ns(), puts = 0;
	struct cache c;

	cache_init(&c, 1 << 20);
	signal(SIGUSR1, on_usr1);
	for (;;) {
		long long due = (long long)(since(start) / o->fill * o->bytes /
					    ENTRY_BYTES);

		if (asked) {
			size_t drop = c.len / 2;

			asked = 0;
			for (size_t i = 0; i < drop; i++)
				cache_drop_oldest(&c);
			mark("yield", (long long)drop * ENTRY_BYTES);
		}
		for (; puts < due && c.len < c.cap; puts++)
			cache_put(&c);
		serve();
		tick(start);
	}
}

/*
 * forkpool: -p INTERVAL -b BYTES -h LIFE: a child every INTERVAL seconds,
 * each growing to BYTES over its LIFE and exiting.
 */
static void __attribute__((noreturn)) pattern_forkpool(const struct opts *o)
{
	long long start = now_ns();
	long long n = 0;

	for (;;) {
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		if (since(start) >= n * o->period) {
			pid_t pid = fork();

			if (pid < 0)
				die("fork");
			if (pid == 0) {
				long long t0 = now_ns();
				char *p = map_anon(o->bytes);
				size_t done = 0;

				while (since(t0) < o->hold) {
					size_t want = (size_t)(since(t0) / o->hold * o->bytes);

					want = want / page_size * page_size;
					if (want > done) {
						touch(p + done, want - done);
						done = want;
					}
					serve();
					tick(t0);
				}
				_exit(0);
			}
			n++;
		}
		serve();
		tick(start);
	}
}

static const struct {
	const char *name;
	void (*run)(const struct opts *o);
} patterns[] = {
	{ "linear", pattern_linear },
	{ "step", pattern_step },
	{ "sawtooth", pattern_sawtooth },
	{ "pool", pattern_pool },
	{ "memfd", pattern_memfd },
	{ "cache", pattern_cache },
	{ "loader", pattern_loader },
	{ "batch", pattern_batch },
	{ "mmapfile", pattern_mmapfile },
	{ "yield", pattern_yield },
	{ "forkpool", pattern_forkpool },
};

static void usage(void)
{
	fprintf(stderr, "usage: leakload PATTERN [-r RATE] [-b BYTES] [-p PERIOD] [-d DELAY]\n"
		"                [-t SECONDS] [-l SECONDS] [-h HOLD] [-f FILL] [-w WORKERS] [-F FILE]\n"
		"patterns:");
	for (size_t i = 0; i < sizeof(patterns) / sizeof(patterns[0]); i++)
		fprintf(stderr, " %s", patterns[i].name);
	fprintf(stderr, "\n");
	exit(2);
}

static double parse_seconds(const char *s)
{
	char *end;
	double v = strtod(s, &end);

	if (end == s || *end || v < 0)
		usage();
	return v;
}

int main(int argc, char **argv)
{
	struct opts o = { .period = 1, .workers = 4, .path = "/tmp/leakload.data" };
	int opt;

	page_size = sysconf(_SC_PAGESIZE);
	if (argc < 2)
		usage();
	optind = 2;
	while ((opt = getopt(argc, argv, "r:b:p:d:t:l:h:f:w:F:")) != -1) {
		switch (opt) {
		case 'r':
			if (parse_size(optarg, &o.rate))
				usage();
			break;
		case 'b':
			if (parse_size(optarg, &o.bytes))
				usage();
			break;
		case 'p': o.period = parse_seconds(optarg); break;
		case 'd': o.delay = parse_seconds(optarg); break;
		case 't': o.duration = parse_seconds(optarg); break;
		case 'l': o.limit = parse_seconds(optarg); break;
		case 'h': o.hold = parse_seconds(optarg); break;
		case 'f': o.fill = parse_seconds(optarg); break;
		case 'w': o.workers = atoi(optarg); break;
		case 'F': o.path = optarg; break;
		default: usage();
		}
	}
	if (o.period <= 0)
		usage();
	/* Freed request buffers stay in the heap, as in a long-lived service. */
	mallopt(M_TRIM_THRESHOLD, 1 << 20);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	for (size_t i = 0; i < sizeof(patterns) / sizeof(patterns[0]); i++)
		if (!strcmp(argv[1], patterns[i].name))
			patterns[i].run(&o);
	usage();
	return 2;
}
