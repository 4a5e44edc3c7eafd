// SPDX-License-Identifier: GPL-2.0
/*
 * soft and set: commands for /proc/mempressure/control (docs/control.md);
 * thresholds: the tunables it has now, read back from it.
 * Everything the CLI can check is checked before writing (names, ranges,
 * paths, sizes), with a usage error, and with the module's own grammar
 * (pure/control_parse.c); what only the kernel knows (does the cgroup or
 * pid exist, may we write) comes back as its errno, said plainly.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <linux/mempressure.h>

#include "cli.h"
#include "cli_source.h"
#include "control_parse.h"

#define CGROUP_PREFIX	"/sys/fs/cgroup"

enum { C_COMMAND, C_NR };

static const struct cli_col control_cols[C_NR] = {
	[C_COMMAND] = { "command", "command", CLI_T_STR },
};

/* A whole decimal number (mp_parse_u64() without its "max"). */
static int parse_number(const char *s, uint64_t *v)
{
	return strcmp(s, MEMPRESSURE_UNLIMITED) ? mp_parse_u64(s, v) : -EINVAL;
}

/* The kernel's refusal, in words. */
static const char *control_error(int err)
{
	switch (err) {
	case -EPERM:
	case -EACCES:
		return "permission denied: writing the control file needs CAP_SYS_ADMIN (run as root)";
	case -ENOENT:
		return "no such cgroup, or it has no memory controller";
	case -ESRCH:
		return "no such process";
	case -ERANGE:
		return "value out of range";
	case -ENOSPC:
		return "too many per-process soft limits (4096) are set already";
	case -EINVAL:
		return "the module refused the command as malformed";
	default:
		return strerror(-err);
	}
}

static int control_write(struct cli_opts *o, const char *cmd)
{
	struct cli_table t;
	int err;

	if (!cli_module_loaded())
		return cli_no_module();
	/* -o is checked like everywhere, before anything is written. */
	cli_table_init(&t, "control", control_cols, C_NR);
	if (cli_select(&t, o->columns))
		return CLI_EXIT_USAGE;
	err = cli_control_write(cmd);
	if (err) {
		cli_err("'%s': %s", cmd, control_error(err));
		cli_table_free(&t);
		return err == -EIO && !cli_module_loaded() ? CLI_EXIT_NO_MODULE : CLI_EXIT_FAIL;
	}
	t.record = true;
	t.title = "Written to " MEMPRESSURE_PROC_PATH "/" MEMPRESSURE_FILE_CONTROL ":";
	cli_table_add_row(&t);
	cli_set_str(&t, C_COMMAND, cmd);
	cli_out_begin(&o->out);
	cli_print(&o->out, &t);
	cli_out_end(&o->out);
	cli_table_free(&t);
	return CLI_EXIT_OK;
}

/*
 * A cgroup path as the control file takes it (mp_ctl_check_path()):
 * absolute from the cgroup root (a /sys/fs/cgroup/... path is accepted
 * too), no empty, "." or ".." component, no trailing '/'; escaped as in
 * the tables.
 */
static int cgroup_arg(const char *arg, char *out, size_t size)
{
	const char *p = arg;

	if (!strncmp(p, CGROUP_PREFIX "/", sizeof(CGROUP_PREFIX)))
		p += sizeof(CGROUP_PREFIX) - 1;
	if (mp_ctl_check_path(p, strlen(p)))
		return -EINVAL;
	return cli_escape(out, size, p);
}

/* "pid:N": the pid, 0 if @arg is not of that form, -1 if N is not a pid. */
static long pid_arg(const char *arg)
{
	uint64_t pid;

	if (strncmp(arg, "pid:", 4))
		return 0;
	if (parse_number(arg + 4, &pid) || !pid || pid > MP_CTL_PID_MAX)
		return -1;
	return (long)pid;
}

int cli_soft(struct cli_opts *o)
{
	const char *op = o->argv[0], *target = o->argv[1], *value = o->argc > 2 ? o->argv[2] : NULL;
	char cmd[MEMPRESSURE_CTL_WRITE_MAX], cg[MEMPRESSURE_CTL_WRITE_MAX - 64];
	long pid = pid_arg(target);
	uint64_t bytes = 0;
	unsigned long pct = 0;

	if (strcmp(op, "set") && strcmp(op, "clear")) {
		cli_err("usage: %s soft set CGROUP|pid:PID VALUE | soft clear CGROUP|pid:PID",
			cli_prog);
		return CLI_EXIT_USAGE;
	}
	if (!strcmp(op, "set") != !!value) {
		cli_err("'soft %s' takes %s", op, value ? "no value" : "a value: BYTES (512M, 1.5G) or PERCENT% of the cgroup's limit");
		return CLI_EXIT_USAGE;
	}
	if (pid < 0) {
		cli_err("invalid process '%s': expected pid:PID with PID from 1 to %d", target,
			MP_CTL_PID_MAX);
		return CLI_EXIT_USAGE;
	}
	if (!pid && cgroup_arg(target, cg, sizeof(cg))) {
		cli_err("invalid cgroup '%s': expected an absolute path such as /system.slice/web.service, with no empty, '.' or '..' component and no trailing '/'",
			target);
		return CLI_EXIT_USAGE;
	}
	if (value && value[0] && value[strlen(value) - 1] == '%') {
		char *end;

		pct = strtoul(value, &end, 10);
		if (pid || *value < '0' || *value > '9' || strcmp(end, "%") || pct < 1 || pct > 100) {
			cli_err(pid ? "invalid soft limit '%s': a process's soft limit is in bytes, not a percentage" :
				"invalid soft limit '%s': a percentage is 1%% to 100%% of the cgroup's limit",
				value);
			return CLI_EXIT_USAGE;
		}
	} else if (value && (cli_parse_bytes(value, &bytes) || !bytes)) {
		cli_err("invalid soft limit '%s': expected a size of at least 1 byte (4096, 512K, 100M, 1.5G; K, M, G, T are powers of 1024) or a percentage such as 80%%",
			value);
		return CLI_EXIT_USAGE;
	}
	if (pid && value)
		snprintf(cmd, sizeof(cmd), MEMPRESSURE_CTL_SOFT_PID " %ld %llu", pid,
			 (unsigned long long)bytes);
	else if (pid)
		snprintf(cmd, sizeof(cmd), MEMPRESSURE_CTL_SOFT_PID " %ld " MEMPRESSURE_CTL_NONE, pid);
	else if (pct)
		snprintf(cmd, sizeof(cmd), MEMPRESSURE_CTL_SOFT " %s %lu%%", cg, pct);
	else if (value)
		snprintf(cmd, sizeof(cmd), MEMPRESSURE_CTL_SOFT " %s %llu", cg,
			 (unsigned long long)bytes);
	else
		snprintf(cmd, sizeof(cmd), MEMPRESSURE_CTL_SOFT " %s " MEMPRESSURE_CTL_DEFAULT, cg);
	return control_write(o, cmd);
}

/*
 * The values @t takes, "10, 60 or 300", for a tunable whose range has
 * holes: each value of its range that mp_ctl_check() accepts.
 */
static void value_list(enum mempressure_tunable t, char *out, size_t size)
{
	size_t n = 0, nr = 0;

	out[0] = '\0';
	for (u64 v = mp_ctl_min(t); v <= mp_ctl_max(t); v++)
		nr += !mp_ctl_check(t, v);
	for (u64 v = mp_ctl_min(t), i = 0; v <= mp_ctl_max(t) && n < size; v++) {
		if (mp_ctl_check(t, v))
			continue;
		i++;
		n += (size_t)snprintf(out + n, size - n, "%s%llu",
				      i == 1 ? "" : i == nr ? " or " : ", ", (unsigned long long)v);
	}
}

int cli_set(struct cli_opts *o)
{
	const char *name = o->argv[0], *value = o->argv[1];
	char cmd[MP_CTL_TUNABLE_LINE_MAX], names[512], lo[32], hi[32];
	int t = mp_ctl_lookup(name, strlen(name)), len;
	size_t n = 0;
	u64 v;

	if (t < 0) {
		for (int i = 0; i < MEMPRESSURE_TUNABLE_NR; i++)
			n += (size_t)snprintf(names + n, sizeof(names) - n, "%s%s", i ? ", " : "",
					      mp_ctl_name(i));
		cli_err("unknown tunable '%s'; the tunables are: %s", name, names);
		return CLI_EXIT_USAGE;
	}
	if (mp_ctl_parse_value(t, value, strlen(value), &v)) {
		mp_ctl_format_value(lo, sizeof(lo), t, mp_ctl_min(t));
		mp_ctl_format_value(hi, sizeof(hi), t, mp_ctl_max(t));
		if (t == MEMPRESSURE_TUNABLE_LEAK_WINDOW) {
			value_list(t, names, sizeof(names));
			cli_err("invalid value '%s' for %s: %s (seconds)", value, name, names);
		} else if (mp_ctl_is_hundredths(t)) {
			cli_err("invalid value '%s' for %s: a percentage from %s to %s, up to two decimals",
				value, name, lo, hi);
		} else {
			cli_err("invalid value '%s' for %s: a whole number from %s to %s", value,
				name, lo, hi);
		}
		return CLI_EXIT_USAGE;
	}
	/* The command without its newline, as it is shown. */
	len = mp_ctl_format_tunable(cmd, sizeof(cmd), t, v);
	if (len > 0)
		cmd[len - 1] = '\0';
	return control_write(o, cmd);
}

/*
 * thresholds: the tunables as the control file's "set" lines have them, as
 * one record whose fields are named as set takes them, so what is shown
 * can be written back.  A tunable the file does not list is "-"; a line
 * this CLI does not know (a newer module) is left out.
 */
int cli_thresholds(struct cli_opts *o)
{
	static struct cli_col cols[MEMPRESSURE_TUNABLE_NR];
	char path[512], *buf, *line, *save = NULL;
	struct cli_table t;
	size_t len;
	int err;

	if (!cli_module_loaded())
		return cli_no_module();
	for (int i = 0; i < MEMPRESSURE_TUNABLE_NR; i++) {
		cols[i].name = cols[i].key = mp_ctl_name(i);
		cols[i].type = mp_ctl_is_hundredths(i) ? CLI_T_PCT :
			i == MEMPRESSURE_TUNABLE_LEAK_MIN_BYTES ? CLI_T_BYTES : CLI_T_U64;
	}
	cli_table_init(&t, "thresholds", cols, MEMPRESSURE_TUNABLE_NR);
	t.record = true;
	t.title = "Thresholds";
	if (cli_select(&t, o->columns))
		return CLI_EXIT_USAGE;
	err = mp_read_file(cli_proc_file(MEMPRESSURE_FILE_CONTROL, path, sizeof(path)), &buf, &len);
	if (err) {
		cli_err("reading %s: %s", path, strerror(-err));
		return err == -ENOENT && !cli_module_loaded() ? cli_no_module() : CLI_EXIT_FAIL;
	}
	cli_table_add_row(&t);
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char cg[MEMPRESSURE_CTL_WRITE_MAX];
		struct mp_ctl_cmd cmd;

		if (!mp_ctl_parse_line(line, strlen(line), &cmd, cg, sizeof(cg)) &&
		    cmd.op == MP_CTL_OP_SET)
			cli_set_u64(&t, cmd.tunable, cmd.value);
	}
	free(buf);
	cli_out_begin(&o->out);
	cli_print(&o->out, &t);
	cli_out_end(&o->out);
	cli_table_free(&t);
	return CLI_EXIT_OK;
}
