# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
#
# libmempressure (userspace/lib), the protocol codec it shares with the
# daemon (userspace/common/mp_proto.c) and the cache-demo example.  Included
# by the top Makefile before its rules: adds to its lists and keeps its own
# rules.

COMMON_SRC += userspace/common/mp_proto.c
COMMON_HDR += userspace/common/mp_proto.h

# Where the .pc file says the library is installed.
PREFIX ?= /usr/local
LIBDIR ?= $(PREFIX)/lib

LIB_OUT := $(BUILD)/userspace
LIB_SONAME := libmempressure.so.1
LIB_MAP := userspace/lib/libmempressure.map
LIB_HDR := userspace/lib/include/mempressure/mempressure.h
# The codec and the name tables are linked in, not shared: only the
# symbols of $(LIB_MAP) are the library's interface.
LIB_SRC := userspace/lib/libmempressure.c userspace/common/mp_proto.c \
	   userspace/common/mp_table.c $(PURE_NAMES)
LIB_DEPS := $(LIB_HDR) userspace/common/mp_proto.h userspace/common/mp_table.h \
	    pure/names.h include/uapi/linux/mempressure.h
LIB_INCLUDES := -Iuserspace/lib/include
LIB_OBJ := $(addprefix $(LIB_OUT)/lib/,$(notdir $(LIB_SRC:.c=.o)))
# One set of position-independent objects for both the .so and the .a.
LIB_CFLAGS := $(USER_CFLAGS) $(LIB_INCLUDES) -fPIC -ffunction-sections -fdata-sections
LIB_LDFLAGS := -shared -Wl,-soname,$(LIB_SONAME) -Wl,--version-script=$(LIB_MAP) \
	       -Wl,--gc-sections -Wl,-z,defs -Wl,-z,relro -Wl,-z,now $(LDFLAGS)

# The example builds as an application would: the public header only.
EXAMPLE_CFLAGS := -std=c11 -O2 -g $(WARN) -Iuserspace/lib/include $(CFLAGS)

USERSPACE_TARGETS += $(LIB_OUT)/$(LIB_SONAME) $(LIB_OUT)/libmempressure.so \
		     $(LIB_OUT)/libmempressure.a $(LIB_OUT)/libmempressure.pc \
		     $(LIB_OUT)/cache-demo
# The VM guest has no libc: the selftests run a static cache-demo.
TOOL_BINS += $(BUILD)/selftests/cache-demo
HOST_TESTS += test_proto test_lib

$(LIB_OUT)/lib/%.o: userspace/lib/%.c $(LIB_DEPS)
	@mkdir -p $(@D)
	$(CC) $(LIB_CFLAGS) -c -o $@ $<

$(LIB_OUT)/lib/%.o: userspace/common/%.c $(LIB_DEPS)
	@mkdir -p $(@D)
	$(CC) $(LIB_CFLAGS) -c -o $@ $<

$(LIB_OUT)/lib/%.o: pure/%.c $(LIB_DEPS)
	@mkdir -p $(@D)
	$(CC) $(LIB_CFLAGS) -c -o $@ $<

$(LIB_OUT)/$(LIB_SONAME): $(LIB_OBJ) $(LIB_MAP)
	$(CC) $(LIB_LDFLAGS) -o $@ $(LIB_OBJ)

$(LIB_OUT)/libmempressure.so: $(LIB_OUT)/$(LIB_SONAME)
	ln -sf $(LIB_SONAME) $@

$(LIB_OUT)/libmempressure.a: $(LIB_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

# Rewritten only when PREFIX, LIBDIR or VERSION changed.
$(LIB_OUT)/libmempressure.pc: userspace/lib/libmempressure.pc.in VERSION FORCE
	@mkdir -p $(@D)
	@sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@LIBDIR@|$(LIBDIR)|g' \
	     -e 's|@VERSION@|$(VERSION)|g' $< > $@.tmp
	@if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv -f $@.tmp $@; echo "  GEN     $@"; fi

$(LIB_OUT)/cache-demo: userspace/examples/cache-demo.c $(LIB_HDR) $(LIB_OUT)/libmempressure.a
	$(CC) $(EXAMPLE_CFLAGS) -static -o $@ $< $(LIB_OUT)/libmempressure.a

$(BUILD)/selftests/cache-demo: $(LIB_OUT)/cache-demo
	@mkdir -p $(@D)
	cp $< $@

$(BUILD)/host-tests/test_proto: selftests/host/test_proto.c userspace/common/mp_proto.c \
		userspace/common/mp_table.c $(COMMON_HDR) $(KSRC)/.stamp
	@mkdir -p $(@D)
	$(CC) -std=gnu11 -O1 -g $(WARN) $(SANITIZE) $(INCLUDES) -isystem $(KSRC)/tools/testing/selftests \
		-o $@ $< userspace/common/mp_proto.c userspace/common/mp_table.c

$(BUILD)/host-tests/test_lib: selftests/host/test_lib.c $(LIB_SRC) $(LIB_DEPS) $(KSRC)/.stamp
	@mkdir -p $(@D)
	$(CC) -std=gnu11 -O1 -g $(WARN) $(SANITIZE) $(INCLUDES) $(LIB_INCLUDES) \
		-isystem $(KSRC)/tools/testing/selftests -o $@ $< $(LIB_SRC)

.PHONY: FORCE
FORCE:
