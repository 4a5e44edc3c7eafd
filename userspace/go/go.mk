# SPDX-License-Identifier: BSD-2-Clause
#
# The Go client (userspace/go, docs/go.md): the package's tests as one host
# test (test_go: go test ./..., each Go test one KTAP result), the example
# service built static for the test VM (/mp/bin/bufcache), and its VM
# selftest (selftests/mempressure/go.c, built by the selftests' pattern
# rule).  Included by the top Makefile.
#
# Go builds offline: the standard library only, caches under $(BUILD).  A
# GOMEMLIMIT or GOGC of the caller's would change what the tests measure.

GO ?= go
GO_DIR := userspace/go
GO_SRC := $(GO_DIR)/go.mod $(wildcard $(GO_DIR)/mempressure/*.go $(GO_DIR)/examples/*/*.go)
GO_ENV := GOCACHE=$(abspath $(BUILD))/go-cache GOPATH=$(abspath $(BUILD))/go-path \
	  GOPROXY=off GOFLAGS= GOENV=off CGO_ENABLED=0 GOMEMLIMIT= GOGC=

TOOL_BINS += $(BUILD)/selftests/bufcache
HOST_TESTS += test_go
SELFTESTS += go

# Static (CGO_ENABLED=0): the VM guest has no libc.
$(BUILD)/selftests/bufcache: $(GO_SRC)
	@mkdir -p $(@D)
	cd $(GO_DIR) && $(GO_ENV) $(GO) build -trimpath -o $(abspath $@) ./examples/bufcache

# The host test is a script: it vets and compiles at build time, and runs
# go test at check time with the shared header beside it (the codec's
# test reads include/uapi/linux/mempressure.h).
$(BUILD)/host-tests/test_go: $(GO_SRC) $(GO_DIR)/go-ktap include/uapi/linux/mempressure.h
	@mkdir -p $(@D)
	cd $(GO_DIR) && $(GO_ENV) $(GO) vet ./... && $(GO_ENV) $(GO) test -count=1 -run '^$$' ./... >/dev/null
	printf '#!/bin/sh\n# go test ./... of %s as KTAP (made by %s)\ncd "%s" && exec env %s ./go-ktap %s\n' \
		'$(GO_DIR)' '$(GO_DIR)/go.mk' '$(CURDIR)/$(GO_DIR)' '$(GO_ENV)' '$(GO)' >$@
	chmod 755 $@
