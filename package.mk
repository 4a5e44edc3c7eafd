# SPDX-License-Identifier: GPL-2.0
#
# Packages (docs/install.md): make deb builds the Debian packages of
# debian/ into $(BUILD)/deb (scripts/build-deb); install-go-source installs
# the Go client's sources where Debian's Go packages put theirs, for the
# golang-mempressure-dev package.  Included by the top Makefile after
# install.mk and the Go fragment, whose variables it uses.

DEB_OUT ?= $(BUILD)/deb

# The Go client as source, in GOPATH layout: <GOCODE_DIR>/<module path>/.
# Every .go file and go.mod of the module, but the example programs.
GOCODE_DIR ?= $(PREFIX)/share/gocode/src
GO_MODULE = $(shell sed -n 's/^module[ \t]*//p' $(GO_DIR)/go.mod)
GO_SOURCE_DEST = $(abspath $(DESTDIR))$(GOCODE_DIR)/$(GO_MODULE)

.PHONY: deb install-go-source uninstall-go-source

deb:
	scripts/build-deb $(DEB_OUT)

install-go-source:
	@test -n "$(GO_MODULE)" || { echo "error: no module line in $(GO_DIR)/go.mod" >&2; exit 1; }
	@cd $(GO_DIR) && find . -name examples -prune -o -type f \
		\( -name '*.go' -o -name go.mod -o -name go.sum -o -path '*/testdata/*' \) -print | \
		sort | while read -r f; do \
			echo "$(INSTALL) -D -m 644 $(GO_DIR)/$${f#./} $(GO_SOURCE_DEST)/$${f#./}"; \
			$(INSTALL) -D -m 644 "$$f" "$(GO_SOURCE_DEST)/$${f#./}" || exit 1; \
		done

uninstall-go-source:
	rm -rf $(GO_SOURCE_DEST)
