// SPDX-License-Identifier: GPL-2.0
/*
 * mempressured: turns the module's events into action (docs/mempressured.md).
 *
 * This file only reads the command line and the configuration, then runs
 * the daemon; mpd.h is the map of the parts that do the work.
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "mpd.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: mempressured [-c FILE] [-n] [-v]\n"
		   "       mempressured --check-config [FILE]\n");
}

/* --check-config: the configuration as it is understood, every key. */
static int check_config(const char *path, bool explicit)
{
	struct mpd_config c;

	if (mpd_load_config(path, explicit, &c) < 0)
		return MPD_EXIT_CONFIG;
	mpd_config_print(&c, stdout);
	mpd_config_free(&c);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dry-run", no_argument, NULL, 'n' },
		{ "check-config", no_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const char *config_path = MPD_CONFIG_DEFAULT;
	bool explicit = false, dry_run = false, check = false;
	struct mpd_config cfg;
	struct mpd *d;
	int opt, r;

	while ((opt = getopt_long(argc, argv, "c:nvh", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			config_path = optarg;
			explicit = true;
			break;
		case 'n':
			dry_run = true;
			break;
		case 'v':
			mpd_log_set_max(MPD_LOG_DEBUG);
			break;
		case 'C':
			check = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return MPD_EXIT_USAGE;
		}
	}
	if (check) {
		if (optind + 1 < argc) {
			usage(stderr);
			return MPD_EXIT_USAGE;
		}
		if (optind < argc) {
			config_path = argv[optind];
			explicit = true;
		}
		return check_config(config_path, explicit);
	}
	if (optind != argc) {
		usage(stderr);
		return MPD_EXIT_USAGE;
	}
	if (mpd_load_config(config_path, explicit, &cfg) < 0)
		return MPD_EXIT_CONFIG;

	d = calloc(1, sizeof(*d));
	if (!d) {
		log_err("out of memory");
		mpd_config_free(&cfg);
		return MPD_EXIT_RUNTIME;
	}
	mpd_init(d, &cfg);
	d->config_path = config_path;
	d->config_explicit = explicit;
	d->force_dry_run = dry_run;
	r = mpd_start(d);
	if (!r)
		r = mpd_run(d);
	mpd_done(d);
	free(d);
	return r;
}
