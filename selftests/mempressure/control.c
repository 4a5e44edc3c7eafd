// SPDX-License-Identifier: GPL-2.0
/*
 * /proc/mempressure/control (docs/control.md): the one file that changes
 * what the module does, so it must be exact about what it takes.
 *
 * Reading it gives the configuration as commands that can be written
 * back; a write is applied completely or not at all, so a refused write,
 * whatever line of it is wrong and however, must leave the configuration
 * exactly as it was (the tests compare the whole file before and after);
 * each refusal has its documented errno; and what counts for permission is
 * who opened the file, so a privileged process cannot be made to write
 * through a file an unprivileged one opened.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/capability.h>

#include "kselftest_harness.h"
#include "mp_util.h"

#define CONTROL_MAX	65536
/* The unprivileged child's ids: nobody/nogroup. */
#define NOBODY		65534
/* The second cgroup's memory.max, for a soft limit in percent of it. */
#define CG2_MAX		(100 * MiB)

FIXTURE(control) {
	char cg[64];		/* a cgroup with the memory controller */
	char cg2[64];		/* the same, memory.max CG2_MAX */
	char cg_space[64];	/* a name with a space */
	char nomem[64];		/* a cgroup with no memory controller ... */
	char nomem_child[96];	/* ... for its child */
	pid_t idle;		/* a process for soft-pid */
	pid_t dead;		/* a pid that was reaped */
	char *before, *after;
};

FIXTURE_SETUP(control)
{
	uint64_t limit = CG2_MAX;
	char value[32];
	int status;

	self->idle = 0;
	self->before = malloc(CONTROL_MAX);
	self->after = malloc(CONTROL_MAX);
	ASSERT_NE(NULL, self->before);
	ASSERT_NE(NULL, self->after);
	snprintf(self->cg, sizeof(self->cg), "mptest-%d-ctl", getpid());
	snprintf(self->cg2, sizeof(self->cg2), "mptest-%d-ctl2", getpid());
	snprintf(self->cg_space, sizeof(self->cg_space), "mptest-%d ctl",
		 getpid());
	snprintf(self->nomem, sizeof(self->nomem), "mptest-%d-nomem",
		 getpid());
	snprintf(self->nomem_child, sizeof(self->nomem_child), "%s/inner",
		 self->nomem);
	ASSERT_EQ(0, cg_create_leaf(self->cg));
	ASSERT_EQ(0, cg_create_leaf(self->cg2));
	snprintf(value, sizeof(value), "%llu", (unsigned long long)limit);
	ASSERT_EQ(0, cg_write(self->cg2, "memory.max", value));
	ASSERT_EQ(0, cg_create_leaf(self->cg_space));
	/* A leaf enables no controller for its children. */
	ASSERT_EQ(0, cg_create_leaf(self->nomem));
	ASSERT_EQ(0, cg_create_leaf(self->nomem_child));

	self->idle = mp_fork_idle();
	ASSERT_LT(0, self->idle);
	self->dead = fork();
	ASSERT_LE(0, self->dead);
	if (!self->dead)
		_exit(0);
	ASSERT_EQ(self->dead, waitpid(self->dead, &status, 0));

	ASSERT_EQ(0, mp_load("interval_ms=200"));
}

FIXTURE_TEARDOWN(control)
{
	if (self->idle > 0)
		mp_kill_child(self->idle);
	cg_destroy(self->nomem_child);
	cg_destroy(self->nomem);
	cg_destroy(self->cg_space);
	cg_destroy(self->cg2);
	cg_destroy(self->cg);
	free(self->before);
	free(self->after);
	EXPECT_EQ(0, mp_unload());
}

/* The "set" line of every tunable, for @values (NULL: the defaults). */
static void set_lines(const uint64_t *values, char *out, size_t size)
{
	size_t used = 0;
	int t;

	out[0] = '\0';
	for (t = 0; t < MEMPRESSURE_TUNABLE_NR; t++) {
		uint64_t v = values ? values[t] : mp_ctl_default(t);
		int n;

		/* interval_ms defaults to the load parameter's value. */
		if (!values && t == MEMPRESSURE_TUNABLE_INTERVAL_MS)
			v = MP_TEST_INTERVAL_MS;
		n = mp_ctl_format_tunable(out + used, size - used, t, v);
		if (n > 0)
			used += n;
	}
}

/* The defaults as they read after loading with interval_ms=200. */
static void default_values(uint64_t *values)
{
	int t;

	for (t = 0; t < MEMPRESSURE_TUNABLE_NR; t++)
		values[t] = mp_ctl_default(t);
	values[MEMPRESSURE_TUNABLE_INTERVAL_MS] = MP_TEST_INTERVAL_MS;
}

/* The control file now, into @buf; fails the test if it cannot. */
static void read_control(struct __test_metadata *_metadata, char *buf)
{
	int n = mp_control_read(buf, CONTROL_MAX);

	ASSERT_LE(0, n) {
		TH_LOG("reading %s: %s", MP_CONTROL_PATH, strerror(-n));
	}
}

/*
 * Every tunable, one "set NAME VALUE" line each, in the header's order,
 * with its default (interval_ms: the load parameter's), and nothing else
 * on a fresh module.  Written back, it is taken and changes nothing.
 */
TEST_F(control, read_shows_defaults_and_writes_back)
{
	char want[2048];
	int len;

	set_lines(NULL, want, sizeof(want));
	read_control(_metadata, self->before);
	EXPECT_STREQ(want, self->before);

	len = (int)strlen(self->before);
	EXPECT_EQ(0, mp_control_write(self->before, (size_t)len));
	read_control(_metadata, self->after);
	EXPECT_STREQ(self->before, self->after);
}

/*
 * A template for a write: "$X" stands for
 *   $S set, $C soft, $P soft-pid, $D default, $N none (the header's words),
 *   $T the case's tunable, $< its minimum less one, $> its maximum plus one,
 *   $G the test cgroup's path, $R its name without the leading slash,
 *   $I a live pid, $0 a NUL byte.
 */
struct bad_write {
	const char *tmpl;
	int tunable;		/* for $T, $<, $>; -1: none */
	int err;
	const char *why;
};

static size_t expand(FIXTURE_DATA(control) *self, const char *tmpl,
		     int tunable, char *out, size_t size)
{
	size_t n = 0;

	for (; *tmpl && n + 64 < size; tmpl++) {
		char value[96];
		const char *s = value;

		if (*tmpl != '$') {
			out[n++] = *tmpl;
			continue;
		}
		value[0] = '\0';
		switch (*++tmpl) {
		case 'S': s = MEMPRESSURE_CTL_SET; break;
		case 'C': s = MEMPRESSURE_CTL_SOFT; break;
		case 'P': s = MEMPRESSURE_CTL_SOFT_PID; break;
		case 'D': s = MEMPRESSURE_CTL_DEFAULT; break;
		case 'N': s = MEMPRESSURE_CTL_NONE; break;
		case 'T': s = mp_ctl_name(tunable); break;
		case '<':
			mp_ctl_format_value(value, sizeof(value), tunable,
					    mp_ctl_min(tunable) - 1);
			break;
		case '>':
			mp_ctl_format_value(value, sizeof(value), tunable,
					    mp_ctl_max(tunable) + 1);
			break;
		case 'G': mp_cg_path(self->cg, value, sizeof(value)); break;
		case 'R': s = self->cg; break;
		case 'I': snprintf(value, sizeof(value), "%d", self->idle); break;
		case '0': out[n++] = '\0'; continue;
		}
		n += (size_t)snprintf(out + n, size - n, "%s", s);
	}
	out[n] = '\0';
	return n;
}

#define LOW	MEMPRESSURE_TUNABLE_LOW_PCT
#define PSI	MEMPRESSURE_TUNABLE_PSI_LOW
#define CALM	MEMPRESSURE_TUNABLE_CALM_MS
#define WINDOW	MEMPRESSURE_TUNABLE_LEAK_WINDOW

static const struct bad_write bad_writes[] = {
	{ "frobnicate 1\n", -1, EINVAL, "an unknown command" },
	{ "$S\n", -1, EINVAL, "set alone" },
	{ "$S $T\n", LOW, EINVAL, "set without a value" },
	{ "$S $T 50 50\n", LOW, EINVAL, "set with an extra field" },
	{ "$S no_such_tunable 1\n", -1, EINVAL, "an unknown tunable" },
	{ "$S $T -5\n", LOW, EINVAL, "a sign" },
	{ "$S $T +5\n", LOW, EINVAL, "a plus sign" },
	{ "$S $T 5k\n", LOW, EINVAL, "a suffix" },
	{ "$S $T 50%\n", LOW, EINVAL, "a percent sign on a tunable" },
	{ "$S $T 0x10\n", LOW, EINVAL, "hexadecimal" },
	{ "$S $T 5.0\n", LOW, EINVAL, "decimals on a whole-number tunable" },
	{ "$S $T 1e3\n", CALM, EINVAL, "an exponent" },
	{ "$S $T 5x\n", CALM, EINVAL, "junk after the digits" },
	{ "$S $T 1.234\n", PSI, EINVAL, "three decimals" },
	{ "$S $T -1.00\n", PSI, EINVAL, "a negative PSI threshold" },
	{ "$S $T 1,50\n", PSI, EINVAL, "a decimal comma" },
	{ "$S $T 5$0\n", LOW, EINVAL, "a NUL byte" },
	{ "$C\n", -1, EINVAL, "soft alone" },
	{ "$C $G\n", -1, EINVAL, "soft without a value" },
	{ "$C $G 1000 1000\n", -1, EINVAL, "soft with an extra field" },
	{ "$C $G 0\n", -1, EINVAL, "soft BYTES 0" },
	{ "$C $G 0%\n", -1, EINVAL, "soft 0%" },
	{ "$C $G 101%\n", -1, EINVAL, "soft 101%" },
	{ "$C $G 5.5%\n", -1, EINVAL, "a fractional percent" },
	{ "$C $G -1\n", -1, EINVAL, "negative bytes" },
	{ "$C $G 1M\n", -1, EINVAL, "a size suffix" },
	{ "$C $G $N\n", -1, EINVAL, "none for a cgroup" },
	{ "$C $R 1000\n", -1, EINVAL, "a relative path" },
	{ "$C $G\\9 1000\n", -1, EINVAL, "a bad escape" },
	{ "$C $G\\04 1000\n", -1, EINVAL, "a short escape" },
	{ "$P\n", -1, EINVAL, "soft-pid alone" },
	{ "$P $I\n", -1, EINVAL, "soft-pid without a value" },
	{ "$P $I 100 100\n", -1, EINVAL, "soft-pid with an extra field" },
	{ "$P $I 0\n", -1, EINVAL, "soft-pid BYTES 0" },
	{ "$P $I 50%\n", -1, EINVAL, "a percent for a process" },
	{ "$P $I $D\n", -1, EINVAL, "default for a process" },
	{ "$P abc 100\n", -1, EINVAL, "a pid that is not a number" },
	{ "$P -1 100\n", -1, EINVAL, "a negative pid" },
	{ "$S $T 18446744073709551616\n", LOW, ERANGE, "2^64" },
	{ "$S $T 99999999999999999999999\n", CALM, ERANGE, "far over 64 bits" },
	{ "$C $G 18446744073709551616\n", -1, ERANGE, "soft bytes of 2^64" },
	{ "$P $I 18446744073709551616\n", -1, ERANGE,
	  "soft-pid bytes of 2^64" },
	{ "$S $T 30\n", WINDOW, ERANGE, "a leak window other than 10, 60, 300" },
};

/*
 * Try @buf: it must fail with @err and leave the file as it was.
 * Returns whether it did.
 */
static bool refused(struct __test_metadata *_metadata,
		    FIXTURE_DATA(control) *self, const char *buf, size_t len,
		    int err, const char *why)
{
	int ret;

	read_control(_metadata, self->before);
	ret = mp_control_write(buf, len);
	read_control(_metadata, self->after);
	EXPECT_EQ(-err, ret) {
		TH_LOG("%s: '%.*s' gave %s, expected %s", why,
		       (int)strcspn(buf, "\n"), buf,
		       ret ? strerror(-ret) : "success", strerror(err));
	}
	EXPECT_STREQ(self->before, self->after) {
		TH_LOG("%s: the refused write changed the file", why);
	}
	return ret == -err && !strcmp(self->before, self->after);
}

/*
 * Malformed writes, each refused with its errno (docs/control.md,
 * Errors) and changing nothing: the table above, every tunable one
 * below its range and one above, and a write one byte over 4096.
 */
TEST_F(control, malformed_writes_refused)
{
	char buf[MEMPRESSURE_CTL_WRITE_MAX * 2], why[96];
	int t, cases = 0, ok = 0;
	size_t i, len;

	for (i = 0; i < ARRAY_SIZE(bad_writes); i++) {
		len = expand(self, bad_writes[i].tmpl, bad_writes[i].tunable,
			     buf, sizeof(buf));
		ok += refused(_metadata, self, buf, len, bad_writes[i].err,
			      bad_writes[i].why);
		cases++;
	}
	for (t = 0; t < MEMPRESSURE_TUNABLE_NR; t++) {
		if (mp_ctl_min(t) > 0) {
			len = expand(self, "$S $T $<\n", t, buf, sizeof(buf));
			snprintf(why, sizeof(why), "%s below its range",
				 mp_ctl_name(t));
			ok += refused(_metadata, self, buf, len, ERANGE, why);
			cases++;
		}
		len = expand(self, "$S $T $>\n", t, buf, sizeof(buf));
		snprintf(why, sizeof(why), "%s above its range",
			 mp_ctl_name(t));
		ok += refused(_metadata, self, buf, len, ERANGE, why);
		cases++;
	}

	/* A good line, then a comment up to 4097 bytes in all. */
	len = expand(self, "$S $T 50\n#", LOW, buf, sizeof(buf));
	memset(buf + len, 'x', MEMPRESSURE_CTL_WRITE_MAX + 1 - len);
	len = MEMPRESSURE_CTL_WRITE_MAX + 1;
	buf[len - 1] = '\n';
	ok += refused(_metadata, self, buf, len, EINVAL, "a 4097-byte write");
	cases++;
	TH_LOG("%d of %d malformed writes refused as documented", ok, cases);
	EXPECT_LE(30, cases);
}

/*
 * Lookups: a path that is not a cgroup (none there, a file, a cgroup
 * without the memory controller) is ENOENT; a pid of no process is ESRCH.
 */
TEST_F(control, lookup_errors)
{
	char buf[512], path[256];

	mp_cg_path(self->cg, path, sizeof(path));
	snprintf(buf, sizeof(buf), "%s %s-none 1000\n", MEMPRESSURE_CTL_SOFT,
		 path);
	refused(_metadata, self, buf, strlen(buf), ENOENT, "no such cgroup");
	snprintf(buf, sizeof(buf), "%s %s/cgroup.procs 1000\n",
		 MEMPRESSURE_CTL_SOFT, path);
	refused(_metadata, self, buf, strlen(buf), ENOENT, "a file");
	mp_cg_path(self->nomem_child, path, sizeof(path));
	snprintf(buf, sizeof(buf), "%s %s 1000\n", MEMPRESSURE_CTL_SOFT, path);
	refused(_metadata, self, buf, strlen(buf), ENOENT,
		"no memory controller");
	snprintf(buf, sizeof(buf), "%s %d 1000\n", MEMPRESSURE_CTL_SOFT_PID,
		 self->dead);
	refused(_metadata, self, buf, strlen(buf), ESRCH, "a reaped pid");
}

/*
 * A write is all or nothing: one bad line anywhere, and none of the good
 * lines before it is applied, whether the line is malformed or names
 * something that does not exist.
 */
TEST_F(control, one_bad_line_changes_nothing)
{
	char buf[1024], path[256];

	mp_cg_path(self->cg, path, sizeof(path));
	snprintf(buf, sizeof(buf), "%s %s 60\n%s %s 2500\nfrobnicate\n%s %s 1048576\n",
		 MEMPRESSURE_CTL_SET, MP_TUNABLE(LOW_PCT),
		 MEMPRESSURE_CTL_SET, MP_TUNABLE(CALM_MS),
		 MEMPRESSURE_CTL_SOFT, path);
	refused(_metadata, self, buf, strlen(buf), EINVAL,
		"a malformed third line");

	snprintf(buf, sizeof(buf), "%s %s 60\n%s %s 1048576\n%s %s-none 1000\n",
		 MEMPRESSURE_CTL_SET, MP_TUNABLE(LOW_PCT),
		 MEMPRESSURE_CTL_SOFT, path, MEMPRESSURE_CTL_SOFT, path);
	refused(_metadata, self, buf, strlen(buf), ENOENT,
		"a missing cgroup on the last line");

	snprintf(buf, sizeof(buf), "%s %s 60\n%s %d 1000\n%s %d 1000\n",
		 MEMPRESSURE_CTL_SET, MP_TUNABLE(LOW_PCT),
		 MEMPRESSURE_CTL_SOFT_PID, self->idle,
		 MEMPRESSURE_CTL_SOFT_PID, self->dead);
	refused(_metadata, self, buf, strlen(buf), ESRCH,
		"a dead pid on the last line");

	snprintf(buf, sizeof(buf), "%s %s 60\n%s %s 101\n",
		 MEMPRESSURE_CTL_SET, MP_TUNABLE(CALM_MS),
		 MEMPRESSURE_CTL_SET, MP_TUNABLE(LOW_PCT));
	refused(_metadata, self, buf, strlen(buf), ERANGE,
		"a value out of range on the last line");
}

/* Whether @text has the line @line. */
static bool has_line(const char *text, const char *line)
{
	size_t len = strlen(line);
	const char *p = text;

	while ((p = strstr(p, line))) {
		if ((p == text || p[-1] == '\n') && p[len] == '\n')
			return true;
		p++;
	}
	return false;
}

/* The lines of @text after the "set" lines. */
static const char *after_set_lines(const char *text)
{
	int i;

	for (i = 0; i < MEMPRESSURE_TUNABLE_NR && text; i++) {
		text = strchr(text, '\n');
		if (text)
			text++;
	}
	return text ? text : "";
}

/*
 * A good write of several lines, with a comment, an empty line, tabs,
 * runs of blanks and no final newline, applies every line: the file
 * shows them (a soft line per cgroup, the name escaped, then the
 * soft-pid line), the tables use them, and the file read back and written
 * again restores them after they were removed.
 */
TEST_F(control, good_writes_apply)
{
	char buf[MEMPRESSURE_CTL_WRITE_MAX + 1], want[2048];
	char p1[128], p2[128], p3[128], l1[160], l2[160], l3[160], l4[160];
	uint64_t values[MEMPRESSURE_TUNABLE_NR], v;
	const char *soft_part;
	char *saved;
	size_t len;

	mp_cg_path(self->cg, p1, sizeof(p1));
	mp_cg_path(self->cg2, p2, sizeof(p2));
	/* The name with a space, escaped as in the tables. */
	snprintf(p3, sizeof(p3), "/mptest-%d\\040ctl", getpid());
	snprintf(buf, sizeof(buf),
		 "# set as an administrator would\n"
		 "\n"
		 "  %s %s 60  \n"
		 "\t%s\t%s   2500\n"
		 "%s %s 2.5\n"
		 "%s %s 12\n"
		 "%s %s 10485760\n"
		 "%s %s 90%%\n"
		 "%s %s 3145728\n"
		 "%s %d 5242880",
		 MEMPRESSURE_CTL_SET, MP_TUNABLE(LOW_PCT),
		 MEMPRESSURE_CTL_SET, MP_TUNABLE(CALM_MS),
		 MEMPRESSURE_CTL_SET, MP_TUNABLE(PSI_LOW),
		 MEMPRESSURE_CTL_SET, MP_TUNABLE(PSI_MEDIUM),
		 MEMPRESSURE_CTL_SOFT, p1, MEMPRESSURE_CTL_SOFT, p2,
		 MEMPRESSURE_CTL_SOFT, p3, MEMPRESSURE_CTL_SOFT_PID,
		 self->idle);
	ASSERT_EQ(0, mp_control_cmd(buf));

	default_values(values);
	values[MEMPRESSURE_TUNABLE_LOW_PCT] = 60;
	values[MEMPRESSURE_TUNABLE_CALM_MS] = 2500;
	values[MEMPRESSURE_TUNABLE_PSI_LOW] = 250;
	values[MEMPRESSURE_TUNABLE_PSI_MEDIUM] = 1200;
	set_lines(values, want, sizeof(want));
	read_control(_metadata, self->after);
	TH_LOG("after the write:\n%s", self->after);
	EXPECT_EQ(0, strncmp(want, self->after, strlen(want)));
	snprintf(l1, sizeof(l1), "%s %s 10485760", MEMPRESSURE_CTL_SOFT, p1);
	snprintf(l2, sizeof(l2), "%s %s 90%%", MEMPRESSURE_CTL_SOFT, p2);
	snprintf(l3, sizeof(l3), "%s %s 3145728", MEMPRESSURE_CTL_SOFT, p3);
	snprintf(l4, sizeof(l4), "%s %d 5242880", MEMPRESSURE_CTL_SOFT_PID,
		 self->idle);
	soft_part = after_set_lines(self->after);
	EXPECT_TRUE(has_line(soft_part, l1));
	EXPECT_TRUE(has_line(soft_part, l2));
	EXPECT_TRUE(has_line(soft_part, l3));
	EXPECT_TRUE(has_line(soft_part, l4));
	/* Four lines, the soft-pid one last. */
	len = strlen(soft_part);
	EXPECT_TRUE(len > strlen(l4) &&
		    !strncmp(soft_part + len - strlen(l4) - 1, l4, strlen(l4)));
	EXPECT_EQ(strlen(l1) + strlen(l2) + strlen(l3) + strlen(l4) + 4, len);

	/* The tables use them. */
	ASSERT_EQ(0, mp_wait_more_samples(2, MP_WAIT_MS));
	ASSERT_EQ(0, mp_cg_cell_u64(self->cg, MP_CGCOL(SOFT_LIMIT), &v));
	EXPECT_EQ(10485760, v);
	ASSERT_EQ(0, mp_cg_cell_u64(self->cg2, MP_CGCOL(SOFT_LIMIT), &v));
	EXPECT_EQ(CG2_MAX / 100 * 90, v);
	ASSERT_EQ(0, mp_cg_cell_u64(self->cg_space, MP_CGCOL(SOFT_LIMIT), &v));
	EXPECT_EQ(3145728, v);
	ASSERT_EQ(0, mp_proc_cell_u64(self->idle, MP_PCOL(SOFT_LIMIT), &v));
	EXPECT_EQ(5242880, v);

	/* Written back as read: nothing changes. */
	saved = strdup(self->after);
	ASSERT_NE(NULL, saved);
	ASSERT_EQ(0, mp_control_cmd(saved));
	read_control(_metadata, self->after);
	EXPECT_STREQ(saved, self->after);

	/* Back to the defaults: no soft lines, the default soft limit. */
	snprintf(buf, sizeof(buf), "%s %s %s\n%s %s %s\n%s %s %s\n%s %d %s\n",
		 MEMPRESSURE_CTL_SOFT, p1, MEMPRESSURE_CTL_DEFAULT,
		 MEMPRESSURE_CTL_SOFT, p2, MEMPRESSURE_CTL_DEFAULT,
		 MEMPRESSURE_CTL_SOFT, p3, MEMPRESSURE_CTL_DEFAULT,
		 MEMPRESSURE_CTL_SOFT_PID, self->idle, MEMPRESSURE_CTL_NONE);
	ASSERT_EQ(0, mp_control_cmd(buf));
	read_control(_metadata, self->after);
	EXPECT_STREQ(want, self->after);
	ASSERT_EQ(0, mp_wait_more_samples(2, MP_WAIT_MS));
	ASSERT_EQ(0, mp_cg_cell_u64(self->cg2, MP_CGCOL(SOFT_LIMIT), &v));
	EXPECT_EQ(CG2_MAX / 100 * mp_ctl_default(MEMPRESSURE_TUNABLE_SOFT_PCT),
		  v);
	EXPECT_EQ(-ENODATA, mp_proc_cell_u64(self->idle, MP_PCOL(SOFT_LIMIT),
					     &v));

	/* What was read restores it all. */
	ASSERT_EQ(0, mp_control_cmd(saved));
	read_control(_metadata, self->after);
	EXPECT_STREQ(saved, self->after);
	free(saved);

	/* A write of exactly 4096 bytes is taken. */
	len = (size_t)snprintf(buf, sizeof(buf), "%s %s 70\n#",
			       MEMPRESSURE_CTL_SET, MP_TUNABLE(LOW_PCT));
	memset(buf + len, 'x', MEMPRESSURE_CTL_WRITE_MAX - len);
	buf[MEMPRESSURE_CTL_WRITE_MAX - 1] = '\n';
	EXPECT_EQ(0, mp_control_write(buf, MEMPRESSURE_CTL_WRITE_MAX));
	read_control(_metadata, self->after);
	snprintf(l1, sizeof(l1), "%s %s 70", MEMPRESSURE_CTL_SET,
		 MP_TUNABLE(LOW_PCT));
	EXPECT_TRUE(has_line(self->after, l1));
}

/*
 * A refused write is logged: a new kernel log line of the module's, which
 * names the writer (its pid) or the command.  (docs/control.md: "with the
 * command and the reason"; the command may be read as the writer's name.)
 */
TEST_F(control, refusal_is_logged)
{
	char log[16384], cmd[128], name[64], pid[16];
	int fd;

	snprintf(name, sizeof(name), "no_such_tunable_%d", getpid());
	snprintf(cmd, sizeof(cmd), "%s %s 1\n", MEMPRESSURE_CTL_SET, name);
	snprintf(pid, sizeof(pid), "%d", getpid());
	fd = kmsg_open();
	ASSERT_LE(0, fd);
	EXPECT_EQ(-EINVAL, mp_control_cmd(cmd));
	log[0] = '\0';
	ASSERT_EQ(0, kmsg_read_new(fd, log, sizeof(log)));
	close(fd);
	TH_LOG("kernel log after the refused write: %s", log);
	EXPECT_NE(NULL, strstr(log, "mempressure"));
	EXPECT_TRUE(strstr(log, name) || strstr(log, pid));
}

/* What the unprivileged child reports along with its fd. */
struct unpriv_report {
	int open_err;		/* errno of open(O_WRONLY), 0 if it worked */
	int write_err;		/* errno of its own write, 0 if it worked */
	int read_err;		/* errno of reading the file, 0 if it worked */
	unsigned long long cap_eff;
};

static int send_fd(int sock, int fd, const void *data, size_t len)
{
	char control[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = (void *)data, .iov_len = len };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = control, .msg_controllen = sizeof(control),
	};
	struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);

	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	cmsg->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
	if (fd < 0)
		msg.msg_controllen = 0;
	return sendmsg(sock, &msg, 0) == (ssize_t)len ? 0 : -errno;
}

static int recv_fd(int sock, int *fd, void *data, size_t len)
{
	char control[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = data, .iov_len = len };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = control, .msg_controllen = sizeof(control),
	};
	struct cmsghdr *cmsg;

	if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) != (ssize_t)len)
		return -EPIPE;
	*fd = -1;
	cmsg = CMSG_FIRSTHDR(&msg);
	if (cmsg && cmsg->cmsg_type == SCM_RIGHTS)
		memcpy(fd, CMSG_DATA(cmsg), sizeof(int));
	return 0;
}

/* The effective capabilities of this process, from capget(). */
static unsigned long long cap_effective(void)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];

	if (syscall(SYS_capget, &hdr, data))
		return ~0ULL;
	return (unsigned long long)data[1].effective << 32 | data[0].effective;
}

/*
 * Drop to nobody with no capabilities, open the file, try it, pass it on.
 * The file is opened from @dir_fd, /proc/mempressure opened before the
 * drop: the test VM's root directory is 0700, which nobody cannot search.
 */
static void unprivileged_child(int sock, int dir_fd, const char *cmd)
{
	struct unpriv_report rep = { 0 };
	char buf[4096];
	int fd, rfd;

	if (setgroups(0, NULL) || setresgid(NOBODY, NOBODY, NOBODY) ||
	    setresuid(NOBODY, NOBODY, NOBODY))
		_exit(10);
	rep.cap_eff = cap_effective();
	fd = openat(dir_fd, MEMPRESSURE_FILE_CONTROL, O_WRONLY | O_CLOEXEC);
	rep.open_err = fd < 0 ? errno : 0;
	if (fd >= 0)
		rep.write_err = -mp_control_write_fd(fd, cmd, strlen(cmd));
	rfd = openat(dir_fd, MEMPRESSURE_FILE_CONTROL, O_RDONLY | O_CLOEXEC);
	rep.read_err = rfd < 0 ? errno : 0;
	if (rfd >= 0) {
		if (read(rfd, buf, sizeof(buf)) <= 0)
			rep.read_err = errno ? errno : EIO;
		close(rfd);
	}
	if (send_fd(sock, fd, &rep, sizeof(rep)))
		_exit(11);
	_exit(0);
}

/*
 * The file is mode 0666 and anyone may open it to write, but only an
 * opener with CAP_SYS_ADMIN may change anything: a process that dropped
 * to nobody with no capabilities gets EPERM, and so does this privileged
 * process writing through the file that child opened (it is the opener's
 * credentials that count); this process's own file works.
 */
TEST_F(control, permission_is_the_openers)
{
	struct unpriv_report rep;
	char cmd[128], line[128];
	int sv[2], fd = -1, status, dir_fd;
	struct stat st;
	pid_t pid;

	ASSERT_EQ(0, stat(MP_CONTROL_PATH, &st));
	EXPECT_EQ(0666, st.st_mode & 07777) {
		TH_LOG("mode %o", st.st_mode & 07777);
	}
	snprintf(cmd, sizeof(cmd), "%s %s 1234\n", MEMPRESSURE_CTL_SET,
		 MP_TUNABLE(CALM_MS));
	snprintf(line, sizeof(line), "%s %s 1234", MEMPRESSURE_CTL_SET,
		 MP_TUNABLE(CALM_MS));
	read_control(_metadata, self->before);

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	dir_fd = open(MEMPRESSURE_PROC_PATH, O_PATH | O_DIRECTORY | O_CLOEXEC);
	ASSERT_LE(0, dir_fd);
	pid = mp_fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		close(sv[0]);
		unprivileged_child(sv[1], dir_fd, cmd);
	}
	close(sv[1]);
	close(dir_fd);
	ASSERT_EQ(0, recv_fd(sv[0], &fd, &rep, sizeof(rep)));
	close(sv[0]);
	ASSERT_EQ(0, mp_wait_child(pid, &status, MP_WAIT_MS));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));

	TH_LOG("child: CapEff %llx, open %s, write %s, read %s",
	       rep.cap_eff, strerror(rep.open_err), strerror(rep.write_err),
	       strerror(rep.read_err));
	EXPECT_EQ(0, rep.cap_eff);
	ASSERT_EQ(0, rep.open_err);
	EXPECT_EQ(EPERM, rep.write_err);
	EXPECT_EQ(0, rep.read_err);
	ASSERT_LE(0, fd);

	/* Root, through the child's file: still the child's credentials. */
	EXPECT_EQ(-EPERM, mp_control_write_fd(fd, cmd, strlen(cmd)));
	close(fd);
	read_control(_metadata, self->after);
	EXPECT_STREQ(self->before, self->after);

	/* Root through its own file. */
	EXPECT_EQ(0, mp_control_cmd(cmd));
	read_control(_metadata, self->after);
	EXPECT_TRUE(has_line(self->after, line));
}

TEST_HARNESS_MAIN
