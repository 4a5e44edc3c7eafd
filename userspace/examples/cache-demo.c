// SPDX-License-Identifier: BSD-2-Clause
/*
 * cache-demo: an application with a cache that gives memory back when
 * mempressured asks (libmempressure(3)).
 *
 * The cache is a list of chunks of memory it has written to, oldest first.
 * It grows at RATE bytes per second up to MAX bytes.  A trim frees the
 * oldest chunks until want_bytes are gone (at level critical, everything
 * but KEEP bytes) and answers with what it freed; one line per trim goes
 * to standard output.  As a real cache would, it then holds its new size
 * until its cgroup's level falls back to none, and only then grows again.  Without a daemon the cache just grows, and the
 * connection is tried again every second.
 *
 *	cache-demo [-n NAME] [-r RATE] [-m MAX] [-k KEEP] [-s SOCKET]
 *
 * Sizes take a k, M or G suffix (powers of 1024).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <mempressure/mempressure.h>

/*
 * Chunks are allocated with mmap (the threshold is set below their size,
 * which also stops glibc from raising it), so free() hands them straight
 * back to the kernel and a trim shows in RSS at once.
 */
#define CHUNK_BYTES	(256 * 1024)
#define TICK_MS		100		/* growth granularity */
#define RETRY_MS	1000		/* reconnect interval */

struct chunk {
	struct chunk *next;
};

struct cache {
	struct chunk *oldest, *newest;
	uint64_t bytes;
	uint64_t max_bytes;		/* grows up to this (MAX, or a trim's size) */
	uint64_t limit_bytes;		/* MAX */
	uint64_t keep_bytes;
	uint64_t rate;			/* bytes per second */
	double owed;			/* growth not yet allocated */
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Add one chunk, every page of it written. */
static bool cache_grow(struct cache *cache)
{
	struct chunk *ch = malloc(CHUNK_BYTES);

	if (!ch)
		return false;
	memset(ch, 0xa5, CHUNK_BYTES);
	ch->next = NULL;
	if (cache->newest)
		cache->newest->next = ch;
	else
		cache->oldest = ch;
	cache->newest = ch;
	cache->bytes += CHUNK_BYTES;
	return true;
}

/* Free the oldest chunks until @bytes are gone or only @keep remain. */
static uint64_t cache_shrink(struct cache *cache, uint64_t bytes,
			     uint64_t keep)
{
	uint64_t freed = 0;
	struct chunk *ch;

	while (freed < bytes && cache->bytes >= keep + CHUNK_BYTES &&
	       (ch = cache->oldest)) {
		cache->oldest = ch->next;
		if (!cache->oldest)
			cache->newest = NULL;
		free(ch);
		cache->bytes -= CHUNK_BYTES;
		freed += CHUNK_BYTES;
	}
	return freed;
}

/* Grow by what @elapsed_ms at the configured rate allows. */
static void cache_tick(struct cache *cache, uint64_t elapsed_ms)
{
	cache->owed += (double)cache->rate * (double)elapsed_ms / 1000.0;
	while (cache->owed >= CHUNK_BYTES &&
	       cache->bytes + CHUNK_BYTES <= cache->max_bytes) {
		if (!cache_grow(cache))
			break;
		cache->owed -= CHUNK_BYTES;
	}
	if (cache->bytes + CHUNK_BYTES > cache->max_bytes)
		cache->owed = 0;
}

static uint64_t on_trim(struct mp_client *c, const struct mp_trim *req,
			void *userdata)
{
	struct cache *cache = userdata;
	uint64_t freed;
	const char *level = mp_level_name(req->level);
	const char *reason = mp_trim_reason_name(req->reason);

	(void)c;
	if (req->level == MP_LEVEL_CRITICAL)
		freed = cache_shrink(cache, UINT64_MAX, cache->keep_bytes);
	else
		freed = cache_shrink(cache, req->want_bytes, 0);
	cache->max_bytes = cache->bytes;	/* hold here until the pressure ends */
	printf("trim id=%" PRIu64 " want=%" PRIu64 " freed=%" PRIu64
	       " cache=%" PRIu64 " level=%s reason=%s\n",
	       req->id, req->want_bytes, freed, cache->bytes,
	       level ? level : "-", reason ? reason : "-");
	return freed;
}

static void on_level(struct mp_client *c, const struct mp_level_change *ev,
		     void *userdata)
{
	const char *level = mp_level_name(ev->level);
	const char *old = mp_level_name(ev->old_level);
	struct cache *cache = userdata;

	(void)c;
	if (ev->level == MP_LEVEL_NONE)
		cache->max_bytes = cache->limit_bytes;
	printf("level %s -> %s cgroup=%s cache=%" PRIu64 "\n",
	       old ? old : "-", level ? level : "-",
	       ev->cgroup ? ev->cgroup : "-", cache->bytes);
}

static int parse_size(const char *s, uint64_t *v)
{
	unsigned long long x;
	char *end;
	int shift = 0;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	x = strtoull(s, &end, 10);
	if (errno)
		return -errno;
	if (*end == 'k' || *end == 'K')
		shift = 10;
	else if (*end == 'M')
		shift = 20;
	else if (*end == 'G')
		shift = 30;
	else if (*end)
		return -EINVAL;
	if (shift && end[1])
		return -EINVAL;
	if (x > UINT64_MAX >> shift)
		return -ERANGE;
	*v = (uint64_t)x << shift;
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: cache-demo [-n NAME] [-r RATE] [-m MAX] [-k KEEP] [-s SOCKET]\n"
		"  -n NAME    the name given to mempressured (cache-demo)\n"
		"  -r RATE    growth, bytes per second (1M)\n"
		"  -m MAX     the cache's size limit, bytes (64M)\n"
		"  -k KEEP    what a critical trim leaves, bytes (4M)\n"
		"  -s SOCKET  mempressured's socket ($MEMPRESSURED_SOCKET or the default)\n"
		"Sizes take a k, M or G suffix.\n");
}

/* Connect, or say why not once per kind of failure. */
static struct mp_client *try_connect(const char *name, const char *sock_path,
				     struct cache *cache, int *last_err)
{
	struct mp_client *c;
	int r;

	r = mp_client_new(&c, name, sock_path);
	if (r < 0) {
		if (r != *last_err)
			fprintf(stderr, "cache-demo: mempressured: %s, retrying every second\n",
				strerror(-r));
		*last_err = r;
		return NULL;
	}
	*last_err = 0;
	mp_client_set_trim_handler(c, on_trim, cache);
	mp_client_set_level_handler(c, on_level, cache);
	return c;
}

int main(int argc, char **argv)
{
	struct cache cache = {
		.rate = 1 << 20,
		.max_bytes = 64 << 20,
		.keep_bytes = 4 << 20,
	};
	const char *name = "cache-demo", *sock_path = NULL;
	struct mp_client *c = NULL;
	uint64_t last_tick, next_retry = 0, t;
	bool welcomed = false;
	int opt, r, last_err = 0;
	struct sigaction sa = { .sa_handler = on_signal };

	while ((opt = getopt(argc, argv, "n:r:m:k:s:h")) != -1) {
		switch (opt) {
		case 'n':
			name = optarg;
			break;
		case 'r':
		case 'm':
		case 'k':
			r = parse_size(optarg, opt == 'r' ? &cache.rate :
					       opt == 'm' ? &cache.max_bytes :
							    &cache.keep_bytes);
			if (r) {
				fprintf(stderr, "cache-demo: -%c %s: %s\n", opt,
					optarg, strerror(-r));
				return 2;
			}
			break;
		case 's':
			sock_path = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		usage(stderr);
		return 2;
	}

	cache.limit_bytes = cache.max_bytes;
	setvbuf(stdout, NULL, _IOLBF, 0);
	mallopt(M_MMAP_THRESHOLD, CHUNK_BYTES / 2);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	printf("cache-demo pid=%d rate=%" PRIu64 " max=%" PRIu64 " keep=%" PRIu64 "\n",
	       (int)getpid(), cache.rate, cache.max_bytes, cache.keep_bytes);

	last_tick = now_ms();
	while (!stop) {
		struct pollfd pfd = { .fd = -1 };

		t = now_ms();
		if (!c && t >= next_retry) {
			c = try_connect(name, sock_path, &cache, &last_err);
			next_retry = t + RETRY_MS;
			welcomed = false;
		}
		if (c) {
			pfd.fd = mp_client_fd(c);
			pfd.events = (short)mp_client_events(c);
		}
		r = poll(&pfd, 1, TICK_MS);
		if (r < 0 && errno != EINTR) {
			perror("cache-demo: poll");
			break;
		}

		if (c && pfd.revents) {
			r = mp_client_process(c);
			if (r < 0) {
				const char *reason = NULL;

				mp_client_get_error(c, &reason);
				fprintf(stderr, "cache-demo: mempressured: %s%s%s, reconnecting\n",
					strerror(-r), reason ? ": " : "",
					reason ? reason : "");
				mp_client_free(c);
				c = NULL;
				next_retry = now_ms() + RETRY_MS;
			}
		}
		if (c && !welcomed) {
			const char *cgroup = NULL;
			int level = MP_LEVEL_UNKNOWN;
			const char *lname;
			pid_t pid;

			if (!mp_client_get_pid(c, &pid)) {
				mp_client_get_cgroup(c, &cgroup);
				mp_client_get_level(c, &level);
				lname = mp_level_name(level);
				printf("connected pid=%d cgroup=%s level=%s\n",
				       (int)pid, cgroup ? cgroup : "-",
				       lname ? lname : "-");
				welcomed = true;
			}
		}

		t = now_ms();
		if (t - last_tick >= TICK_MS) {
			cache_tick(&cache, t - last_tick);
			last_tick = t;
		}
	}

	mp_client_free(c);
	cache_shrink(&cache, UINT64_MAX, 0);
	return 0;
}
