// SPDX-License-Identifier: GPL-2.0
/*
 * Replays a fuzz target's corpus without libFuzzer: make check links this
 * with each target under gcc's ASan and UBSan and runs it as a host test
 * (fuzz/fuzz.mk).  Every file of each directory named (by default the
 * target's corpus, FUZZ_CORPUS) goes to LLVMFuzzerTestOneInput() once, in
 * name order, in a buffer of exactly its size so that a read past the
 * input is caught as libFuzzer would catch it.
 *
 * Exits 0 after saying how many inputs ran, 1 if none did or one could not
 * be read; an input that crashes, trips a sanitizer or breaks one of the
 * target's invariants kills the process, after the name of the input.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifdef __SANITIZE_ADDRESS__
#include <sanitizer/common_interface_defs.h>
#endif

#include "fuzz.h"

#ifndef FUZZ_CORPUS
#error "FUZZ_CORPUS names the corpus replayed by default"
#endif

/* The input being run, for the last words of a crash. */
static const char *current;

static void say_which(void)
{
	static const char msg[] = "replay: the input that failed: ";

	if (!current)
		return;
	/* Async-signal-safe: this runs from a signal handler. */
	if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0 ||
	    write(STDERR_FILENO, current, strlen(current)) < 0 ||
	    write(STDERR_FILENO, "\n", 1) < 0)
		return;
}

/*
 * An invariant broken: FUZZ_CHECK() aborts.  Sanitizer reports, a SEGV's
 * included, end in the death callback instead: their handlers stay.
 */
static void on_abort(int sig)
{
	say_which();
	signal(sig, SIG_DFL);
	raise(sig);
}

/*
 * UBSan's reports end in its own exit, past the death callback: make them
 * abort, as FUZZ_CHECK() does, and print where they came from.
 */
const char *__ubsan_default_options(void);
const char *__ubsan_default_options(void)
{
	return "abort_on_error=1:print_stacktrace=1";
}

static int run_file(const char *path)
{
	struct stat st;
	uint8_t *data;
	size_t n = 0;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	data = malloc((size_t)st.st_size);
	if (!data && st.st_size) {
		fprintf(stderr, "replay: %s: out of memory\n", path);
		close(fd);
		return -1;
	}
	while (n < (size_t)st.st_size) {
		ssize_t r = read(fd, data + n, (size_t)st.st_size - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			fprintf(stderr, "replay: %s: %s\n", path,
				r ? strerror(errno) : "shorter than its size");
			free(data);
			close(fd);
			return -1;
		}
		n += (size_t)r;
	}
	close(fd);
	current = path;
	LLVMFuzzerTestOneInput(data, n);
	current = NULL;
	free(data);
	return 0;
}

static int skip_dots(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

/* Every regular file of @dir: how many ran, or -1. */
static int run_dir(const char *dir)
{
	struct dirent **names;
	int n, i, ran = 0, err = 0;

	n = scandir(dir, &names, skip_dots, alphasort);
	if (n < 0) {
		fprintf(stderr, "replay: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	for (i = 0; i < n; i++) {
		char path[4096];
		struct stat st;

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
		free(names[i]);
		if (err || stat(path, &st) < 0 || !S_ISREG(st.st_mode))
			continue;
		if (run_file(path) < 0)
			err = 1;
		else
			ran++;
	}
	free(names);
	return err ? -1 : ran;
}

int main(int argc, char **argv)
{
	static const char *const fallback[] = { FUZZ_CORPUS };
	const char *const *dirs = argc > 1 ? (const char *const *)argv + 1 : fallback;
	int nr = argc > 1 ? argc - 1 : 1;
	int i, total = 0;

#ifdef __SANITIZE_ADDRESS__
	__sanitizer_set_death_callback(say_which);
#endif
	signal(SIGABRT, on_abort);

	for (i = 0; i < nr; i++) {
		int ran = run_dir(dirs[i]);

		if (ran < 0)
			return 1;
		printf("# %s: %d inputs replayed, no crash, no broken invariant\n",
		       dirs[i], ran);
		total += ran;
	}
	if (!total) {
		fprintf(stderr, "replay: no input to replay\n");
		return 1;
	}
	return 0;
}
