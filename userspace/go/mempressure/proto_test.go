// SPDX-License-Identifier: BSD-2-Clause

package mempressure

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

const headerPath = "include/uapi/linux/mempressure.h"

// readHeader finds the shared header above the working directory (go test
// runs in the package's directory, make check at the top).
func readHeader(t *testing.T) string {
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, headerPath))
		if err == nil {
			return string(b)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatalf("%s not found above the working directory", headerPath)
		}
		dir = parent
	}
}

// define: the value of a one-line #define.
func define(t *testing.T, h, name string) string {
	m := regexp.MustCompile(`(?m)^#define\s+` + name + `\s+(.+?)\s*$`).FindStringSubmatch(h)
	if m == nil {
		t.Fatalf("no #define %s in the header", name)
	}
	return m[1]
}

// xlist: the names of an X-macro list, in order.
func xlist(t *testing.T, h, name string) []string {
	start := regexp.MustCompile(`(?m)^#define\s+` + name + `\(X\)`).FindStringIndex(h)
	if start == nil {
		t.Fatalf("no X-macro list %s in the header", name)
	}
	var body strings.Builder
	for _, line := range strings.Split(h[start[1]:], "\n") {
		body.WriteString(line)
		if !strings.HasSuffix(strings.TrimSpace(line), `\`) {
			break
		}
	}
	var names []string
	for _, m := range regexp.MustCompile(`X\(\s*\w+,\s*"([^"]*)"`).FindAllStringSubmatch(body.String(), -1) {
		names = append(names, m[1])
	}
	return names
}

func cString(t *testing.T, s string) string {
	v, err := strconv.Unquote(s)
	if err != nil {
		t.Fatalf("%s: %v", s, err)
	}
	return v
}

func sameList(t *testing.T, what string, got, want []string) {
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("%s drifted from the header:\n Go:     %q\n header: %q", what, got, want)
	}
}

// TestHeaderConstants: the Go names are the shared header's, in its order.
func TestHeaderConstants(t *testing.T) {
	h := readHeader(t)
	if v := cString(t, define(t, h, "MEMPRESSURED_SOCKET")); v != DefaultSocket {
		t.Errorf("DefaultSocket %q, header %q", DefaultSocket, v)
	}
	if v := define(t, h, "MEMPRESSURED_PROTOCOL_VERSION"); v != strconv.Itoa(protocolVersion) {
		t.Errorf("protocolVersion %d, header %s", protocolVersion, v)
	}
	if v := define(t, h, "MEMPRESSURED_MSG_MAX"); v != strconv.Itoa(msgMax) {
		t.Errorf("msgMax %d, header %s", msgMax, v)
	}
	if v := cString(t, define(t, h, "MEMPRESSURED_SCOPE_ALL")); v != scopeAll {
		t.Errorf("scopeAll %q, header %q", scopeAll, v)
	}
	if v := cString(t, define(t, h, "MEMPRESSURE_ESCAPED_CHARS")); v != escapedChars {
		t.Errorf("escapedChars %q, header %q", escapedChars, v)
	}
	if v := cString(t, define(t, h, "MEMPRESSURE_NA")); v != notAvailable {
		t.Errorf("notAvailable %q, header %q", notAvailable, v)
	}
	sameList(t, "messages", msgNames, xlist(t, h, "MEMPRESSURED_MESSAGES"))
	sameList(t, "keys", keyNames, xlist(t, h, "MEMPRESSURED_KEYS"))
	sameList(t, "trim reasons", trimReasonNames, xlist(t, h, "MEMPRESSURED_TRIM_REASONS"))
	sameList(t, "levels", levelNames, xlist(t, h, "MEMPRESSURE_LEVELS"))
	sameList(t, "level reasons", levelReasons, xlist(t, h, "MEMPRESSURE_REASONS"))
	// The margin a trim's estimate of the memory outside the runtime
	// assumes: soft_margin_pct's default.
	m := regexp.MustCompile(`X\(\s*SOFT_MARGIN_PCT,\s*"soft_margin_pct",\s*\d+,\s*\d+,\s*(\d+)\)`).FindStringSubmatch(h)
	if m == nil {
		t.Errorf("no soft_margin_pct tunable in the header")
	} else if m[1] != strconv.Itoa(trimMarginPercent) {
		t.Errorf("trimMarginPercent %d, header's soft_margin_pct default %s", trimMarginPercent, m[1])
	}

	in := func(list []string, names ...string) {
		for _, n := range names {
			found := false
			for _, l := range list {
				found = found || l == n
			}
			if !found {
				t.Errorf("%q is not a name of the header", n)
			}
		}
	}
	in(msgNames, msgHello, msgWelcome, msgLevel, msgTrim, msgTrimmed, msgError)
	in(keyNames, keyMsg, keyVersion, keyName, keyPID, keyCgroup, keyLevel, keyOldLevel,
		keyReason, keySoftLimit, keyID, keyWant, keyDeadline, keyFreed)
	in(trimReasonNames, trimLeak)
	for l := LevelNone; l <= LevelCritical; l++ {
		if parseLevel(l.String()) != l {
			t.Errorf("level %d does not round-trip", l)
		}
	}
}

// The header's check must be able to fail: a list with one name changed.
func TestHeaderCheckCatchesDrift(t *testing.T) {
	h := strings.Replace(readHeader(t), `"want_bytes"`, `"wanted_bytes"`, 1)
	if strings.Join(xlist(t, h, "MEMPRESSURED_KEYS"), " ") == strings.Join(keyNames, " ") {
		t.Error("a renamed key went unnoticed")
	}
}

func TestParseMessage(t *testing.T) {
	m, err := parseMessage([]byte(`msg=welcome version=1 pid=412 cgroup=/a\040b level=none soft_limit_bytes=71303168 future_key=x`))
	if err != nil {
		t.Fatal(err)
	}
	if m.name != msgWelcome {
		t.Errorf("name %q", m.name)
	}
	if v, _ := m.get(keyCgroup); v != "/a b" {
		t.Errorf("cgroup %q", v)
	}
	if v, err := m.u64(keySoftLimit); err != nil || v != 71303168 {
		t.Errorf("soft %d %v", v, err)
	}
	if _, err := m.u64("absent"); err == nil {
		t.Error("an absent key read as a number")
	}

	bad := []string{
		"", "msg=", "msg=trim  id=1", "id=1 msg=trim", "msg=trim id=1 id=2",
		"msg=trim id=", "msg=trim =1", "msg=trim Id=1", `msg=trim r=\9`, `msg=trim r=\000`,
		`msg=trim r=\40`, "msg=trim r=a\tb", "msg=trim r=a\n", "msg=trim id=1 msg=x",
		"msg=trim r=" + strings.Repeat("x", msgMax),
	}
	for _, b := range bad {
		if _, err := parseMessage([]byte(b)); err == nil {
			t.Errorf("%q parsed", b)
		}
	}
	m, _ = parseMessage([]byte("msg=trim id=x want_bytes=-1 pid=+3"))
	for _, k := range []string{keyID, keyWant, keyPID} {
		if _, err := m.u64(k); err == nil {
			t.Errorf("%s read as a number", k)
		}
	}
}

func TestEscapeRoundTrip(t *testing.T) {
	for _, s := range []string{"", "-", "--", "a b\tc\nd\\e", "/system.slice/x-1.service", "é"} {
		e := escape(s)
		if strings.ContainsAny(e, escapedChars[:3]) {
			t.Errorf("%q escaped to %q", s, e)
		}
		got, err := unescape(e)
		if err != nil || got != s {
			t.Errorf("%q -> %q -> %q (%v)", s, e, got, err)
		}
	}
	if e := escape("-"); e != `\055` {
		t.Errorf(`"-" escaped to %q`, e)
	}
	b, err := encode(msgHello, keyVersion, "1", keyName, "my app")
	if err != nil || string(b) != `msg=hello version=1 name=my\040app` {
		t.Errorf("hello: %q %v", b, err)
	}
	if _, err := encode(msgHello, keyName, strings.Repeat("x", msgMax)); err == nil {
		t.Error("an oversized message was built")
	}
}
