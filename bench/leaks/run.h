/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The leak corpus (bench/leaks/README.md) and its runner, in the guest:
 * every workload in a cgroup of its own under /leak, all at once, with the
 * module sampling them, recorded into a trace (trace.h).
 */
#ifndef LK_RUN_H
#define LK_RUN_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "trace.h"

struct lk_entry {
	const char *name;	/* its cgroup: /leak/NAME */
	enum lk_label label;
	/*
	 * The command, from /mp/bin, with $W (the leak window), $L (how long
	 * a leak lasts), $F (a fill within the window), $S (a slow fill over
	 * several windows) replaced by seconds.
	 */
	const char *cmd;
	uint64_t rate;		/* bytes/s it leaks or grows at */
	uint64_t cg_max;	/* memory.max of its cgroup; 0: none */
	bool ttl;		/* sets its own memory.max and leaks up to it */
	bool trims;		/* asked to trim when its cgroup crosses its soft limit */
	bool in_short;		/* in make check's short form */
};

extern const struct lk_entry lk_corpus[];
extern const unsigned int lk_corpus_len;

struct lk_run_opts {
	unsigned int window_s;
	bool short_form;	/* only the in_short entries */
	const char *only;	/* names, ":" between; NULL: all (or short) */
	unsigned int seconds;	/* 0: as long as the workloads need */
	const char *tunables;	/* "name=value:...": more control file settings */
	const char *bin_dir;	/* where leakload and goleak are; NULL: /mp/bin */
	FILE *log;		/* progress; NULL: none */
};

/*
 * Load the module, run the corpus and fill @tr (lk_trace_init() first).
 * The module is left loaded; the workloads and their cgroups are gone.
 */
int lk_run(const struct lk_run_opts *o, struct lk_trace *tr);

#endif /* LK_RUN_H */
