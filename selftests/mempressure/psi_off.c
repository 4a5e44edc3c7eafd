// SPDX-License-Identifier: GPL-2.0
/*
 * A host with psi off (booted with psi=0) and thousands of memory cgroups:
 * scripts/check runs this program in a guest of its own, booted so
 * (SELFTESTS names it psi_off@psi=0).
 *
 * With psi off no cgroup has a psi group, and the module once walked every
 * cgroup at every sample, under one RCU read lock, looking for the system's;
 * its cgroup walk also did not count removed cgroups, nor those over
 * max_cgroups, toward the batch after which it lets the CPU go.  Neither
 * shows at this size but as time: what this test asks is that the module
 * samples NR_CGROUPS cgroups, more than max_cgroups, while they are made
 * and removed, shows "-" for every PSI column, and that the kernel log has
 * no soft lockup or RCU stall warning, which the host checks (on the debug
 * kernel, with lockdep and KASAN).  It prints what a sample took.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "mp_util.h"

#define NR_CGROUPS	5000
#define TOP		"mp-psi-off"
#define INTERVAL_MS	1000

static int psi_is_off(void)
{
	uint64_t total;

	return psi_read_total("/proc/pressure/memory", "some", &total) != 0;
}

static void child_name(int i, char *out, size_t size)
{
	snprintf(out, size, TOP "/c%d", i);
}

/* rmdir what was made of @n cgroups below TOP (no process is in them), then TOP. */
static int remove_all(int n)
{
	char path[128];
	int i, err = 0;

	for (i = n - 1; i >= 0; i--) {
		snprintf(path, sizeof(path), MP_CGROUP_ROOT "/" TOP "/c%d", i);
		if (rmdir(path) && errno != ENOENT && !err)
			err = -errno;
	}
	return cg_destroy(TOP) ?: err;
}

static void log_sampling(struct __test_metadata *_metadata, const char *when)
{
	uint64_t cgroups = 0, skipped = 0, last = 0, max = 0;

	mp_status_u64(MP_STATUS(CGROUPS), &cgroups);
	mp_status_u64(MP_STATUS(CGROUPS_SKIPPED), &skipped);
	mp_status_u64(MP_STATUS(SAMPLE_LAST), &last);
	mp_status_u64(MP_STATUS(SAMPLE_MAX), &max);
	TH_LOG("%s: %llu cgroups sampled, %llu left out; a sample took %llu us (at most %llu)",
	       when, (unsigned long long)cgroups, (unsigned long long)skipped,
	       (unsigned long long)last, (unsigned long long)max);
}

FIXTURE(psi_off) {
	int made;		/* cgroups below TOP, for the teardown */
};

FIXTURE_SETUP(psi_off)
{
	self->made = -1;
}

FIXTURE_TEARDOWN(psi_off)
{
	if (self->made >= 0)
		remove_all(self->made);
	EXPECT_EQ(0, mp_unload());
}

/* Making and removing 5,000 cgroups takes minutes under emulation. */
TEST_F_TIMEOUT(psi_off, five_thousand_cgroups, 1000)
{
	char name[64], value[64];
	uint64_t t0, cgroups, skipped, max_cgroups;
	struct mp_table t;
	size_t row;
	int n = 0, col[2];

	if (!psi_is_off())
		SKIP(return, "psi is on: boot with psi=0 (scripts/check does, for psi_off@psi=0)");
	snprintf(value, sizeof(value), "interval_ms=%d", INTERVAL_MS);
	ASSERT_EQ(0, mp_load(value));
	ASSERT_EQ(0, mp_status_u64(MP_STATUS(MAX_CGROUPS), &max_cgroups));
	ASSERT_GT(NR_CGROUPS, max_cgroups);

	/* Made while the module samples. */
	t0 = mp_now_ms();
	ASSERT_EQ(0, cg_create(TOP));
	self->made = 0;
	for (; n < NR_CGROUPS; n++) {
		child_name(n, name, sizeof(name));
		if (cg_create_leaf(name))
			break;
		self->made = n + 1;
	}
	TH_LOG("%d cgroups made in %llu ms", n, (unsigned long long)(mp_now_ms() - t0));
	ASSERT_EQ(NR_CGROUPS, n);
	ASSERT_EQ(0, mp_wait_more_samples(3, 60 * INTERVAL_MS));
	log_sampling(_metadata, "all made");

	ASSERT_EQ(0, mp_status_u64(MP_STATUS(CGROUPS), &cgroups));
	ASSERT_EQ(0, mp_status_u64(MP_STATUS(CGROUPS_SKIPPED), &skipped));
	EXPECT_EQ(max_cgroups, cgroups);
	EXPECT_LE(NR_CGROUPS + 2 - max_cgroups, skipped);

	/* psi off: no PSI column applies, the system row's included. */
	ASSERT_EQ(0, mp_table_read(MEMPRESSURE_PROC_PATH, MEMPRESSURE_FILE_CGROUPS, &t));
	col[0] = mp_table_column(&t, MP_CGCOL(PSI_SOME_AVG10));
	col[1] = mp_table_column(&t, MP_CGCOL(PSI_FULL_TOTAL));
	ASSERT_LE(0, col[0]);
	ASSERT_LE(0, col[1]);
	for (row = 0; row < t.nr_rows; row++) {
		EXPECT_STREQ(MEMPRESSURE_NA, mp_table_cell(&t, row, (size_t)col[0]));
		EXPECT_STREQ(MEMPRESSURE_NA, mp_table_cell(&t, row, (size_t)col[1]));
		if (_metadata->exit_code)
			break;
	}
	mp_table_free(&t);

	/* Removed while it samples: removed ones are walked past too. */
	t0 = mp_now_ms();
	EXPECT_EQ(0, remove_all(NR_CGROUPS));
	self->made = -1;
	TH_LOG("removed in %llu ms", (unsigned long long)(mp_now_ms() - t0));
	ASSERT_EQ(0, mp_wait_more_samples(3, 60 * INTERVAL_MS));
	log_sampling(_metadata, "all removed");
	ASSERT_EQ(0, mp_status_u64(MP_STATUS(CGROUPS), &cgroups));
	EXPECT_GT(max_cgroups, cgroups);
}

TEST_HARNESS_MAIN
