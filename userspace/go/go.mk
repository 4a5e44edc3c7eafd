# SPDX-License-Identifier: BSD-2-Clause
#
# The Go client (userspace/go, docs/go.md): the package's tests as one host
# test (test_go: go test ./..., each Go test one KTAP result), the example
# services built static for the test VM (/mp/bin/bufcache, /mp/bin/poolsvc),
# their VM selftest (selftests/mempressure/go.c, built by the selftests'
# pattern rule), and make gobench.  Included by the top Makefile.
#
# Go builds offline: the standard library only, caches under $(BUILD).  A
# GOMEMLIMIT or GOGC of the caller's would change what the tests measure.

GO ?= go
GO_DIR := userspace/go
GO_SRC := $(GO_DIR)/go.mod $(wildcard $(GO_DIR)/mempressure/*.go $(GO_DIR)/examples/*/*.go \
	  $(GO_DIR)/examples/internal/*/*.go)
GO_ENV := GOCACHE=$(abspath $(BUILD))/go-cache GOPATH=$(abspath $(BUILD))/go-path \
	  GOPROXY=off GOFLAGS= GOENV=off CGO_ENABLED=0 GOMEMLIMIT= GOGC=

TOOL_BINS += $(BUILD)/selftests/bufcache $(BUILD)/selftests/poolsvc
HOST_TESTS += test_go
SELFTESTS += go

# Static (CGO_ENABLED=0): the VM guest has no libc.
$(BUILD)/selftests/bufcache $(BUILD)/selftests/poolsvc: $(BUILD)/selftests/%: $(GO_SRC)
	@mkdir -p $(@D)
	cd $(GO_DIR) && $(GO_ENV) $(GO) build -trimpath -o $(abspath $@) ./examples/$*

# The host test is a script: it vets and compiles at build time, and runs
# go test at check time with the shared header beside it (the codec's
# test reads include/uapi/linux/mempressure.h).
$(BUILD)/host-tests/test_go: $(GO_SRC) $(GO_DIR)/go-ktap include/uapi/linux/mempressure.h
	@mkdir -p $(@D)
	cd $(GO_DIR) && $(GO_ENV) $(GO) vet ./... && $(GO_ENV) $(GO) test -count=1 -run '^$$' ./... >/dev/null
	printf '#!/bin/sh\n# go test ./... of %s as KTAP (made by %s)\ncd "%s" && exec env %s ./go-ktap %s\n' \
		'$(GO_DIR)' '$(GO_DIR)/go.mk' '$(CURDIR)/$(GO_DIR)' '$(GO_ENV)' '$(GO)' >$@
	chmod 755 $@

# The evidence of docs/go.md in full: the go selftest's evidence, three runs
# of each service and way (no limit, a static limit, the client), on each
# of GOBENCH_KERNELS; the table of each kernel goes to $(BUILD)/gobench.md.
GOBENCH_KERNELS ?= 6.12
GOBENCH_RUNS ?= 3
.PHONY: gobench
gobench:
	@mkdir -p $(BUILD) && touch $(BUILD)/.gobench-start
	MP_APPEND="mp.go_runs=$(GOBENCH_RUNS)" SELFTESTS="go" HOST_TESTS=" " \
		scripts/check $(GOBENCH_KERNELS); rc=$$?; \
	for k in $$(find $(BUILD)/kmod -name results.ktap -newer $(BUILD)/.gobench-start); do \
		grep -q 'go-evidence-table:' $$k || continue; \
		printf '\n%s, %s runs of each\n\n' "$$(basename $$(dirname $$k))" $(GOBENCH_RUNS); \
		tr -d '\r' <$$k | sed -n 's/.*go-evidence-table: //p'; \
	done >$(BUILD)/gobench.md; cat $(BUILD)/gobench.md; exit $$rc
