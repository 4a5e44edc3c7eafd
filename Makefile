# SPDX-License-Identifier: GPL-2.0
#
# mempressure: make builds the module (against KDIR), the userspace parts
# and the selftests.  make check runs every test; see README.md.

VERSION := $(shell cat VERSION)
KDIR ?= /lib/modules/$(shell uname -r)/build
BUILD ?= build
CC ?= gcc

# Kernels the VM tests boot: Debian's 6.1 and 6.12 cloud kernels by series,
# or directories holding a bzImage and a module build/ tree.
KERNELS ?= 6.1 6.12

# Debian's kernel source: kselftest headers and checkpatch come from it.
LINUX_SOURCE ?= /usr/src/linux-source-6.12.tar.xz
KSRC := $(BUILD)/linux-source

WARN := -Wall -Wextra -Werror
# pure/: the control grammar and the name tables, the code the module and
# userspace share (pure/pure.h says what may go there).  The module builds
# it through module/Kbuild; everything else links PURE_SRC, through
# COMMON_SRC.  Userspace sees pure/ and the shared header, never module/.
# libmempressure links the name tables alone (PURE_NAMES): they are
# LGPL-2.1 OR BSD-2-Clause, the grammar GPL-2.0 (scripts/check-licenses).
PURE_NAMES := pure/names.c
PURE_SRC := $(PURE_NAMES) pure/control_parse.c
PURE_HDR := pure/pure.h pure/names.h pure/control_parse.h
INCLUDES := -Iinclude/uapi -Ipure -Iuserspace/common
USER_CFLAGS := -std=c11 -O2 -g $(WARN) $(INCLUDES) $(CFLAGS)
SANITIZE := -fsanitize=address,undefined -fno-sanitize-recover=all \
	    -fno-omit-frame-pointer
# The selftests run in an initramfs with no libc: link them statically.
# kselftest_harness.h needs GNU C.
TEST_CFLAGS := -std=gnu11 -O2 -g $(WARN) $(INCLUDES) -isystem $(KSRC)/tools/testing/selftests \
	       -Iselftests/mempressure -static

# What every userspace program and selftest links: the procfs parsers
# (userspace/common) and pure/.
COMMON_SRC := userspace/common/mp_table.c userspace/common/mp_event.c $(PURE_SRC)
COMMON_HDR := userspace/common/mp_table.h userspace/common/mp_event.h \
	      include/uapi/linux/mempressure.h $(PURE_HDR)

# NAME@ARGS: NAME runs in a guest of its own booted with ARGS (commas for
# spaces) on its command line (scripts/check).
SELFTESTS := load processes cgroups signals events control access faults \
	     psi_off@psi=0
SELFTEST_BINS = $(addprefix $(BUILD)/selftests/,$(foreach t,$(SELFTESTS),$(firstword $(subst @, ,$(t)))))
# Not tests: the benchmarks (make bench) and memhog, a process with a planned RSS.
TOOL_BINS := $(BUILD)/selftests/bench_sampling $(BUILD)/selftests/bench_events \
	     $(BUILD)/selftests/memhog $(BUILD)/selftests/bench_overhead
SELFTEST_UTIL := selftests/mempressure/mp_util.c selftests/mempressure/mp_util.h

HOST_TESTS := test_window test_table test_control test_levels

# Programs and libraries built into $(BUILD)/userspace.
USERSPACE_TARGETS :=

# Each userspace component keeps its rules in a fragment of its own, which
# adds to the lists above (COMMON_SRC, HOST_TESTS, USERSPACE_TARGETS).  The
# fragments come before the first rule here, so name the default goal.
.DEFAULT_GOAL := all
-include userspace/lib/lib.mk
-include userspace/daemon/daemon.mk
-include userspace/cli/cli.mk
-include install.mk
-include userspace/go/go.mk
-include package.mk
-include fuzz/fuzz.mk
# Last of all: everything at once, for STRESS_SECONDS in make stress.
SELFTESTS += stress

HOST_TEST_BINS := $(addprefix $(BUILD)/host-tests/,$(HOST_TESTS))

.PHONY: all module userspace selftests host-tests check lint demo bench stress faults clean

all: module userspace selftests

module:
	@test -d "$(KDIR)" || { \
		echo "error: no kernel build tree at $(KDIR)." >&2; \
		echo "Install the headers of the kernel to build for (linux-headers-...)" >&2; \
		echo "or name a tree: make KDIR=/usr/src/linux-headers-<release>" >&2; \
		exit 1; }
	$(MAKE) -C "$(KDIR)" M="$(CURDIR)" modules

userspace: $(BUILD)/userspace/libmpcommon.a $(USERSPACE_TARGETS)

selftests: $(SELFTEST_BINS) $(TOOL_BINS)

host-tests: $(HOST_TEST_BINS)

$(BUILD)/userspace/%.o: userspace/common/%.c $(COMMON_HDR)
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) -c -o $@ $<

$(BUILD)/userspace/%.o: pure/%.c $(COMMON_HDR)
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) -c -o $@ $<

$(BUILD)/userspace/libmpcommon.a: $(addprefix $(BUILD)/userspace/,$(notdir $(COMMON_SRC:.c=.o)))
	$(AR) rcs $@ $^

# kselftest.h, kselftest_harness.h and checkpatch.pl, from Debian's source.
$(KSRC)/.stamp:
	@test -r "$(LINUX_SOURCE)" || { \
		echo "error: $(LINUX_SOURCE) is missing: apt-get install linux-source-6.12" >&2; \
		echo "(make check installs it with the rest: scripts/deps)" >&2; exit 1; }
	@mkdir -p $(KSRC)
	tar -xJf "$(LINUX_SOURCE)" -C $(KSRC) --strip-components=1 \
		--wildcards '*/tools/testing/selftests/kselftest.h' \
		'*/tools/testing/selftests/kselftest_harness.h' \
		'*/scripts/checkpatch.pl' '*/scripts/spelling.txt' \
		'*/scripts/const_structs.checkpatch'
	@touch $@

$(BUILD)/selftests/%: selftests/mempressure/%.c $(SELFTEST_UTIL) $(COMMON_SRC) $(COMMON_HDR) $(KSRC)/.stamp
	@mkdir -p $(@D)
	$(CC) $(TEST_CFLAGS) -o $@ $< selftests/mempressure/mp_util.c $(COMMON_SRC)

$(BUILD)/selftests/memhog: selftests/mempressure/memhog.c
	@mkdir -p $(@D)
	$(CC) -std=gnu11 -O2 -g $(WARN) -static -o $@ $<

# The host tests of the module's own pure files see module/ too.
$(BUILD)/host-tests/test_window: selftests/host/test_window.c module/window.c module/window.h $(PURE_SRC) $(PURE_HDR) $(KSRC)/.stamp
	@mkdir -p $(@D)
	$(CC) -std=gnu11 -O1 -g $(WARN) $(SANITIZE) -Imodule $(INCLUDES) -isystem $(KSRC)/tools/testing/selftests \
		-o $@ $< module/window.c $(PURE_SRC)

$(BUILD)/host-tests/test_table: selftests/host/test_table.c $(COMMON_SRC) $(COMMON_HDR) $(KSRC)/.stamp
	@mkdir -p $(@D)
	$(CC) -std=gnu11 -O1 -g $(WARN) $(SANITIZE) $(INCLUDES) -isystem $(KSRC)/tools/testing/selftests \
		-o $@ $< $(COMMON_SRC)

$(BUILD)/host-tests/test_control: selftests/host/test_control.c $(PURE_SRC) $(PURE_HDR) include/uapi/linux/mempressure.h $(KSRC)/.stamp
	@mkdir -p $(@D)
	$(CC) -std=gnu11 -O1 -g $(WARN) $(SANITIZE) $(INCLUDES) -isystem $(KSRC)/tools/testing/selftests \
		-o $@ $< $(PURE_SRC)

$(BUILD)/host-tests/test_levels: selftests/host/test_levels.c module/levels.c module/levels.h module/window.c module/window.h pure/pure.h include/uapi/linux/mempressure.h $(KSRC)/.stamp
	@mkdir -p $(@D)
	$(CC) -std=gnu11 -O1 -g $(WARN) $(SANITIZE) -Imodule $(INCLUDES) -isystem $(KSRC)/tools/testing/selftests \
		-o $@ $< module/levels.c module/window.c

# checkpatch, static analysis and shellcheck, all clean (scripts/lint);
# make check runs it in its host stream.
lint: $(KSRC)/.stamp
	BUILD=$(BUILD) scripts/lint

# Everything: host unit tests, then the selftests in a VM per kernel.
check:
	SELFTESTS="$(SELFTESTS)" HOST_TESTS="$(HOST_TESTS)" scripts/check $(KERNELS)

# The stress selftest alone, for longer (its short form runs in make check),
# on the debug kernel beside the checkout when there is one.
STRESS_SECONDS ?= 300
STRESS_KERNELS ?= $(or $(wildcard ../shared/debug-kernel),6.12)
stress:
	MP_APPEND="mp.stress_seconds=$(STRESS_SECONDS)" SELFTESTS="stress" HOST_TESTS=" " \
		scripts/check $(STRESS_KERNELS)

# The faults selftest (allocation and user-copy failures in the module's
# paths) on a debug kernel with fault injection, built once from Debian's
# linux-source-6.12 into FAULT_KERNEL (about 20 minutes on two cores; make
# clean keeps it).  On the other kernels make check skips the test.
FAULT_KERNEL ?= ../fault-kernel
faults:
	@test -f $(FAULT_KERNEL)/bzImage || scripts/build-debug-kernel $(FAULT_KERNEL)
	SELFTESTS="faults" HOST_TESTS=" " scripts/check $(FAULT_KERNEL)

# Boot the newest kernel and show the module at work.
demo:
	scripts/demo

# Sampling cost against a /proc/PID/statm scan, in the VM.
bench:
	scripts/bench

# Not kbuild's clean: with M= the whole tree it deletes every *.mod in it,
# userspace/go/go.mod too.
clean:
	rm -rf $(BUILD)
	rm -f module/*.o module/.*.cmd module/*.ko module/*.mod module/*.mod.c \
	      module/compat_probes.h module/modules.order pure/*.o pure/.*.cmd \
	      Module.symvers modules.order .*.cmd
