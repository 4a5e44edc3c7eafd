// SPDX-License-Identifier: GPL-2.0
/*
 * mempressure as installed: scripts/mkinitramfs puts the module in the
 * guest with make install's own rule (install.mk), so /lib/modules/<release>
 * holds it under extra/ with a depmod index, and /etc/modprobe.d has an
 * options line.  modprobe (busybox's here, kmod's on a host: both read the
 * same files) must find the module by name, apply the options of
 * modprobe.d and add those of its command line, and modprobe -r must
 * unload it.  The module it loads is the very one the other selftests load
 * from /mp/mempressure.ko.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "mp_util.h"

#define MODPROBE_CONF	"/etc/modprobe.d/mempressure.conf"
#define SYS_MODULE	"/sys/module/mempressure"
#define INTERVAL	"interval_ms"

/*
 * Run @argv (searched in $PATH) with its output in @out; returns its exit
 * status, or -1 if it did not exit.
 */
static int run(const char *const *argv, char *out, size_t size)
{
	int pipefd[2], status;
	char rest[256];
	size_t used = 0;
	ssize_t n;
	pid_t pid;

	out[0] = '\0';
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return -1;
	pid = mp_fork();
	if (pid < 0) {
		close(pipefd[0]);
		close(pipefd[1]);
		return -1;
	}
	if (pid == 0) {
		dup2(pipefd[1], 1);
		dup2(pipefd[1], 2);
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(pipefd[1]);
	/* To the end, past what fits, so that the child never blocks. */
	while ((n = read(pipefd[0], used < size - 1 ? out + used : rest,
			 used < size - 1 ? size - 1 - used : sizeof(rest))) > 0)
		used += used < size - 1 ? (size_t)n : 0;
	out[used] = '\0';
	close(pipefd[0]);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* A file's first line, without its newline. */
static int read_line(const char *path, char *out, size_t size)
{
	char *text;
	size_t len;
	int err = mp_read_file(path, &text, &len);

	if (err)
		return err;
	snprintf(out, size, "%.*s", (int)strcspn(text, "\n"), text);
	free(text);
	return 0;
}

/* A module parameter as sysfs shows it. */
static int sys_param_u64(const char *name, uint64_t *v)
{
	char path[256], line[64];
	int err;

	snprintf(path, sizeof(path), SYS_MODULE "/parameters/%s", name);
	err = read_line(path, line, sizeof(line));
	return err ? err : mp_parse_u64(line, v);
}

/*
 * The value modprobe.d gives @param in its "options mempressure" line:
 * what make install wrote from MODULE_OPTIONS.
 */
static int modprobe_d_u64(const char *param, uint64_t *v)
{
	char *text, *line, *save, *tok, *tsave;
	size_t len, plen = strlen(param);
	int err = mp_read_file(MODPROBE_CONF, &text, &len);

	if (err)
		return err;
	err = -ENOENT;
	for (line = strtok_r(text, "\n", &save); line && err == -ENOENT;
	     line = strtok_r(NULL, "\n", &save)) {
		tok = strtok_r(line, " \t", &tsave);
		if (!tok || strcmp(tok, "options"))
			continue;
		tok = strtok_r(NULL, " \t", &tsave);
		if (!tok || strcmp(tok, "mempressure"))
			continue;
		while ((tok = strtok_r(NULL, " \t", &tsave))) {
			if (!strncmp(tok, param, plen) && tok[plen] == '=') {
				err = mp_parse_u64(tok + plen + 1, v);
				break;
			}
		}
	}
	free(text);
	return err;
}

FIXTURE(install) {
	uint64_t interval_ms;		/* what modprobe.d sets */
	char out[4096];			/* the last command's output */
};

FIXTURE_SETUP(install)
{
	ASSERT_EQ(0, mp_unload());
	ASSERT_EQ(0, modprobe_d_u64(INTERVAL, &self->interval_ms)) {
		TH_LOG("no '%s=' in an options mempressure line of %s",
		       INTERVAL, MODPROBE_CONF);
	}
	/* Not the default: otherwise the test could not tell it applied. */
	ASSERT_NE(mp_ctl_default(MEMPRESSURE_TUNABLE_INTERVAL_MS),
		  self->interval_ms);
}

FIXTURE_TEARDOWN(install)
{
	EXPECT_EQ(0, mp_unload());
	EXPECT_FALSE(mp_loaded());
}

/* depmod indexed the module where make install put it. */
TEST_F(install, modules_dep)
{
	char path[512], *text, *line, *save;
	struct utsname u;
	struct stat st;
	size_t len;
	int found = 0;

	ASSERT_EQ(0, uname(&u));
	snprintf(path, sizeof(path), "/lib/modules/%s/modules.dep", u.release);
	ASSERT_EQ(0, mp_read_file(path, &text, &len)) {
		TH_LOG("%s: no depmod index for the running kernel", path);
	}
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *colon = strchr(line, ':');

		if (!colon || colon - line < 15 ||
		    strncmp(colon - 15, "/mempressure.ko", 15))
			continue;
		found++;
		*colon = '\0';
		/* The module depends on nothing but the kernel. */
		EXPECT_STREQ("", colon + 1);
		EXPECT_STREQ("extra/mempressure.ko", line);
		snprintf(path, sizeof(path), "/lib/modules/%s/%s", u.release,
			 line);
		EXPECT_EQ(0, stat(path, &st)) {
			TH_LOG("%s is indexed but absent", path);
		}
	}
	free(text);
	EXPECT_EQ(1, found);
}

/*
 * modprobe loads it by name with the options of modprobe.d, which show in
 * sysfs and in status; modprobe -r unloads it.
 */
TEST_F(install, modprobe_uses_modprobe_d)
{
	static const char *const load[] = { "modprobe", "mempressure", NULL };
	static const char *const unload[] = { "modprobe", "-r", "mempressure", NULL };
	uint64_t v, samples;

	ASSERT_EQ(0, run(load, self->out, sizeof(self->out))) {
		TH_LOG("modprobe mempressure: %s", self->out);
	}
	ASSERT_TRUE(mp_loaded());
	ASSERT_EQ(0, sys_param_u64(INTERVAL, &v));
	EXPECT_EQ(self->interval_ms, v);
	ASSERT_EQ(0, mp_status_u64(INTERVAL, &v));
	EXPECT_EQ(self->interval_ms, v);
	/* It samples, at that interval's pace. */
	ASSERT_EQ(0, mp_wait_samples(2, MP_WAIT_MS));
	ASSERT_EQ(0, mp_status_u64("samples", &samples));
	TH_LOG("modprobe: %s=%llu, %llu samples", INTERVAL,
	       (unsigned long long)v, (unsigned long long)samples);

	ASSERT_EQ(0, run(unload, self->out, sizeof(self->out))) {
		TH_LOG("modprobe -r mempressure: %s", self->out);
	}
	EXPECT_FALSE(mp_loaded());
	EXPECT_NE(0, access(SYS_MODULE, F_OK));
}

/* Options on modprobe's command line add to those of modprobe.d. */
TEST_F(install, command_line_adds_options)
{
	static const char *const load[] = { "modprobe", "mempressure", "max_cgroups=7", NULL };
	static const char *const unload[] = { "modprobe", "-r", "mempressure", NULL };
	uint64_t v;

	ASSERT_EQ(0, run(load, self->out, sizeof(self->out))) {
		TH_LOG("modprobe mempressure max_cgroups=7: %s", self->out);
	}
	ASSERT_EQ(0, sys_param_u64("max_cgroups", &v));
	EXPECT_EQ(7, v);
	ASSERT_EQ(0, sys_param_u64(INTERVAL, &v));
	EXPECT_EQ(self->interval_ms, v);
	ASSERT_EQ(0, run(unload, self->out, sizeof(self->out))) {
		TH_LOG("modprobe -r mempressure: %s", self->out);
	}
	EXPECT_FALSE(mp_loaded());
}

/*
 * The installed module is the one the other selftests load from
 * MP_MODULE_DEFAULT, and loading that file still works after modprobe -r.
 */
TEST_F(install, same_module_as_insmod)
{
	static const char *const load[] = { "modprobe", "mempressure", NULL };
	static const char *const unload[] = { "modprobe", "-r", "mempressure", NULL };
	char installed[64], loaded[64];

	ASSERT_EQ(0, run(load, self->out, sizeof(self->out))) {
		TH_LOG("modprobe mempressure: %s", self->out);
	}
	ASSERT_EQ(0, read_line(SYS_MODULE "/srcversion", installed,
			       sizeof(installed)));
	ASSERT_EQ(0, run(unload, self->out, sizeof(self->out))) {
		TH_LOG("modprobe -r mempressure: %s", self->out);
	}

	ASSERT_EQ(0, mp_load("interval_ms=200"));
	ASSERT_EQ(0, read_line(SYS_MODULE "/srcversion", loaded,
			       sizeof(loaded)));
	EXPECT_STREQ(installed, loaded);
	ASSERT_EQ(0, mp_wait_samples(1, MP_WAIT_MS));
}

TEST_HARNESS_MAIN
