// SPDX-License-Identifier: GPL-2.0
/*
 * leakrun: make leakbench's program in the guest.  Runs the leak corpus
 * (run.c) and prints its trace (trace.h) on stdout, for the host to score
 * (leakscore.c).
 *
 *   leakrun -w WINDOW [-s] [-n NAME:...] [-t SECONDS] [-T NAME=VALUE:...]
 *
 * -s runs the short form only, -n the named workloads, -t for that long,
 * -T with more tunables set.  Progress goes to stderr.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mp_util.h"
#include "run.h"

int main(int argc, char **argv)
{
	struct lk_run_opts o = { .window_s = 60, .log = stderr };
	struct lk_trace tr;
	int opt, err;

	while ((opt = getopt(argc, argv, "w:sn:t:T:B:")) != -1) {
		switch (opt) {
		case 'w': o.window_s = atoi(optarg); break;
		case 's': o.short_form = true; break;
		case 'n': o.only = optarg; break;
		case 't': o.seconds = atoi(optarg); break;
		case 'T': o.tunables = optarg; break;
		case 'B': o.bin_dir = optarg; break;
		default:
			fprintf(stderr, "usage: leakrun -w WINDOW [-s] [-n NAME:...] [-t SECONDS] [-T NAME=VALUE:...]\n");
			return 2;
		}
	}
	lk_trace_init(&tr);
	err = lk_run(&o, &tr);
	mp_unload();
	if (err) {
		fprintf(stderr, "leakrun: %s\n", strerror(-err));
		return 1;
	}
	lk_trace_print(&tr, stdout);
	fflush(stdout);
	lk_trace_free(&tr);
	return 0;
}
