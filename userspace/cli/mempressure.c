// SPDX-License-Identifier: GPL-2.0
/*
 * mempressure: the operator's CLI for mempressure.ko and mempressured
 * (docs/cli.md, mempressure(8)).  This file holds the verb table and the
 * options every verb shares; the verbs are in cli_show.c (status, cgroups,
 * apps), cli_top.c, cli_events.c and cli_control.c (soft, set).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/mempressure.h>

#include "cli.h"

const char *cli_prog = "mempressure";

struct verb {
	const char *name;
	int (*fn)(struct cli_opts *o);
	int min_args, max_args;
	const char *usage;
};

static const struct verb verbs[] = {
	{ "status",  cli_status,  0, 0, "status" },
	{ "top",     cli_top,     0, 0, "top [--once] [-d SECONDS]" },
	{ "cgroups", cli_cgroups, 0, 0, "cgroups" },
	{ "events",  cli_events,  0, 0, "events [-f] [-t SECONDS]" },
	{ "apps",    cli_apps,    0, 0, "apps" },
	{ "soft",    cli_soft,    2, 3, "soft set CGROUP|pid:PID VALUE | soft clear CGROUP|pid:PID" },
	{ "set",     cli_set,     2, 2, "set TUNABLE VALUE" },
	{ "thresholds", cli_thresholds, 0, 0, "thresholds" },
};

static void usage(FILE *f)
{
	fprintf(f, "Usage: %s [OPTIONS] [VERB [ARGS]]\n\n"
		"Memory pressure on this host, as mempressure.ko and mempressured see it.\n\n"
		"Verbs (no verb: status):\n", cli_prog);
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		fprintf(f, "  %s\n", verbs[i].usage);
	fputs("\nOptions:\n"
	      "  -j, --json           JSON, base units (bytes, seconds)\n"
	      "  -r, --raw            tab-separated, base units, for scripts\n"
	      "  -o, --output COLS    the columns to show, comma-separated (or \"all\")\n"
	      "  -n, --noheadings     no headings and no legend\n"
	      "  -f, --follow         events: keep printing until interrupted\n"
	      "  -t, --timeout SECS   events: stop waiting after SECS\n"
	      "      --once           top: print one frame and exit\n"
	      "  -d, --delay SECS     top: refresh every SECS (default: the module's interval)\n"
	      "  -S, --socket PATH    mempressured's socket (default " MEMPRESSURED_SOCKET ")\n"
	      "  -h, --help           this help\n"
	      "  -V, --version        the version\n\n"
	      "Exit status: 0 ok, 1 failed, 2 usage error, 3 module not loaded,\n"
	      "4 daemon not running (apps), 5 no event within -t.\n"
	      "See mempressure(8).\n", f);
}

void cli_err(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "%s: ", cli_prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int cli_no_module(void)
{
	cli_err("the mempressure module is not loaded (%s is missing); load it with 'modprobe mempressure'",
		MEMPRESSURE_PROC_PATH);
	return CLI_EXIT_NO_MODULE;
}

int cli_select(struct cli_table *t, const char *list)
{
	char bad[64], names[1024];

	if (!cli_table_select(t, list, bad, sizeof(bad)))
		return 0;
	cli_table_names(t, names, sizeof(names));
	cli_err("unknown column '%s'; the columns are: %s", bad, names);
	return -EINVAL;
}

/* Seconds with up to three decimals, as milliseconds; -1 if malformed. */
static int parse_seconds_ms(const char *s)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || v < 0 || v > INT_MAX / 1000)
		return -1;
	return (int)(v * 1000 + 0.5);
}

static bool color_wanted(void)
{
	/* https://no-color.org: NO_COLOR set and not empty turns colour off. */
	const char *no_color = getenv("NO_COLOR");

	return isatty(STDOUT_FILENO) && !(no_color && *no_color);
}

/*
 * The width text must fit, as ps and top see it: the terminal's, else
 * $COLUMNS, else none (a pipe or a file gets whole lines).
 */
unsigned int cli_term_width(void)
{
	struct winsize ws;
	const char *env = getenv("COLUMNS");
	char *end;
	unsigned long v;

	if (isatty(STDOUT_FILENO) && !ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) && ws.ws_col)
		return ws.ws_col;
	if (!env || !*env)
		return 0;
	errno = 0;
	v = strtoul(env, &end, 10);
	return errno || *end || v > 10000 ? 0 : (unsigned int)v;
}

static bool utf8_locale(void)
{
	const char *vars[] = { "LC_ALL", "LC_CTYPE", "LANG" };

	for (size_t i = 0; i < 3; i++) {
		const char *v = getenv(vars[i]);

		if (v && *v)
			return strcasestr(v, "utf-8") || strcasestr(v, "utf8");
	}
	return false;
}

int main(int argc, char **argv)
{
	enum { OPT_ONCE = 256 };
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "raw", no_argument, NULL, 'r' },
		{ "output", required_argument, NULL, 'o' },
		{ "noheadings", no_argument, NULL, 'n' },
		{ "follow", no_argument, NULL, 'f' },
		{ "timeout", required_argument, NULL, 't' },
		{ "once", no_argument, NULL, OPT_ONCE },
		{ "delay", required_argument, NULL, 'd' },
		{ "socket", required_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{}
	};
	struct cli_opts o = {
		.out = { .f = stdout, .mode = CLI_TEXT, .headings = true },
		.timeout_ms = -1,
	};
	const struct verb *v = &verbs[0];
	const char *name;
	int c;

	while ((c = getopt_long(argc, argv, "jro:nft:d:S:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'j':
			o.out.mode = CLI_JSON;
			break;
		case 'r':
			o.out.mode = CLI_RAW;
			break;
		case 'o':
			o.columns = optarg;
			break;
		case 'n':
			o.out.headings = false;
			break;
		case 'f':
			o.follow = true;
			break;
		case 't':
			o.timeout_ms = parse_seconds_ms(optarg);
			if (o.timeout_ms < 0) {
				cli_err("invalid timeout '%s': expected seconds", optarg);
				return CLI_EXIT_USAGE;
			}
			break;
		case OPT_ONCE:
			o.once = true;
			break;
		case 'd':
			o.delay_ms = parse_seconds_ms(optarg);
			if (o.delay_ms < 100) {
				cli_err("invalid delay '%s': expected seconds, at least 0.1", optarg);
				return CLI_EXIT_USAGE;
			}
			break;
		case 'S':
			o.socket = optarg;
			break;
		case 'h':
			usage(stdout);
			return CLI_EXIT_OK;
		case 'V':
			printf("%s %s\n", cli_prog, MP_VERSION);
			return CLI_EXIT_OK;
		default:
			fprintf(stderr, "Try '%s --help'.\n", cli_prog);
			return CLI_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		name = argv[optind++];
		if (!strcmp(name, "help")) {
			usage(stdout);
			return CLI_EXIT_OK;
		}
		v = NULL;
		for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
			if (!strcmp(name, verbs[i].name))
				v = &verbs[i];
		if (!v) {
			cli_err("unknown verb '%s'; try '%s --help'", name, cli_prog);
			return CLI_EXIT_USAGE;
		}
	}
	o.argc = argc - optind;
	o.argv = argv + optind;
	if (o.argc < v->min_args || o.argc > v->max_args) {
		cli_err("usage: %s %s", cli_prog, v->usage);
		return CLI_EXIT_USAGE;
	}
	if ((o.follow || o.timeout_ms >= 0) && v->fn != cli_events) {
		cli_err("-f and -t apply to 'events' only");
		return CLI_EXIT_USAGE;
	}
	if ((o.once || o.delay_ms) && v->fn != cli_top) {
		cli_err("--once and -d apply to 'top' only");
		return CLI_EXIT_USAGE;
	}
	o.out.color = o.out.mode == CLI_TEXT && color_wanted();
	o.out.utf8 = utf8_locale();
	if (o.out.mode == CLI_TEXT)
		o.out.width = cli_term_width();
	return v->fn(&o);
}
