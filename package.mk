# SPDX-License-Identifier: GPL-2.0
#
# Packages (docs/install.md): make deb builds the Debian packages of
# debian/ into $(BUILD)/deb (scripts/build-deb); make kmod-image lays out
# the build context of a kmod image for Kubernetes' Kernel Module
# Management operator (docs/fleet.md); install-go-source installs
# the Go client's sources where Debian's Go packages put theirs, for the
# golang-mempressure-dev package.  Included by the top Makefile after
# install.mk and the Go fragment, whose variables it uses.

DEB_OUT ?= $(BUILD)/deb

# The kmod image's build context for KMM (scripts/kmod-image): the module
# for each of KMOD_IMAGE_KERNELS, signed if KMOD_SIGN_KEY and
# KMOD_SIGN_CERT name a key and its certificate.
KMOD_IMAGE_OUT ?= $(BUILD)/kmod-image
KMOD_IMAGE_KERNELS ?= $(KERNELS)
KMOD_SIGN_KEY ?=
KMOD_SIGN_CERT ?=

# The Go client as source, in GOPATH layout: <GOCODE_DIR>/<module path>/.
# Every .go file and go.mod of the module, but the example programs.
GOCODE_DIR ?= $(PREFIX)/share/gocode/src
GO_MODULE = $(shell sed -n 's/^module[ \t]*//p' $(GO_DIR)/go.mod)
GO_SOURCE_DEST = $(abspath $(DESTDIR))$(GOCODE_DIR)/$(GO_MODULE)

.PHONY: deb kmod-image install-go-source uninstall-go-source

deb:
	scripts/build-deb $(DEB_OUT)

kmod-image:
	KMOD_SIGN_KEY="$(KMOD_SIGN_KEY)" KMOD_SIGN_CERT="$(KMOD_SIGN_CERT)" \
		scripts/kmod-image $(KMOD_IMAGE_OUT) $(KMOD_IMAGE_KERNELS)

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
