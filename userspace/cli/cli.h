/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mempressure, the operator's CLI: what the verbs share.  mempressure.c
 * parses the command line and dispatches; each verb fills cli_format.h
 * tables from the sources of cli_source.h and prints them.
 */
#ifndef CLI_H
#define CLI_H

#include <stdbool.h>

#include "cli_format.h"

/* Exit codes (docs/cli.md). */
enum {
	CLI_EXIT_OK = 0,
	CLI_EXIT_FAIL = 1,	/* the operation failed (a refused write, I/O) */
	CLI_EXIT_USAGE = 2,	/* bad command line or value */
	CLI_EXIT_NO_MODULE = 3,	/* the module is not loaded, or was unloaded */
	CLI_EXIT_NO_DAEMON = 4,	/* apps: mempressured is not running */
	CLI_EXIT_TIMEOUT = 5,	/* events: nothing came within -t */
};

struct cli_opts {
	struct cli_out out;
	const char *columns;	/* -o */
	const char *socket;	/* -S, else $MEMPRESSURED_SOCKET, else the default */
	bool follow;		/* events -f */
	bool once;		/* top --once */
	int timeout_ms;		/* events -t; -1: none */
	int delay_ms;		/* top -d; 0: the module's interval */
	int argc;		/* the verb's operands */
	char **argv;
};

extern const char *cli_prog;

/* "mempressure: " + message on stderr. */
void cli_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Columns of the terminal on stdout, else $COLUMNS; 0: no limit. */
unsigned int cli_term_width(void);
/* The module's absence, said once the same way everywhere; CLI_EXIT_NO_MODULE. */
int cli_no_module(void);
/* -o for @t; a usage error (with the column list) if a name is unknown. */
int cli_select(struct cli_table *t, const char *list);

int cli_status(struct cli_opts *o);
int cli_top(struct cli_opts *o);
int cli_cgroups(struct cli_opts *o);
int cli_events(struct cli_opts *o);
int cli_apps(struct cli_opts *o);
int cli_soft(struct cli_opts *o);
int cli_set(struct cli_opts *o);
int cli_thresholds(struct cli_opts *o);

/* The cgroups table's columns and a row per cgroup (cli_show.c), for status too. */
int cli_cgroup_table(struct cli_table *t, bool tree);

#endif /* CLI_H */
