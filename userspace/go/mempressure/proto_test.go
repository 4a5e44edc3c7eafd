// SPDX-License-Identifier: BSD-2-Clause

package mempressure

import (
	"errors"
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
	if v := define(t, h, "MEMPRESSURED_DEADLINE_MS_DEFAULT"); v != strconv.FormatInt(defaultDeadline.Milliseconds(), 10) {
		t.Errorf("defaultDeadline %v, header %s ms", defaultDeadline, v)
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
		keyReason, keySoftLimit, keyID, keyWant, keyDeadline, keyFreed, keyUnmet)
	in(trimReasonNames, trimLeak)
	for l := LevelNone; l <= LevelCritical; l++ {
		if p, ok := parseLevel(l.String()); p != l || !ok {
			t.Errorf("level %d does not round-trip", l)
		}
	}
	for _, s := range []string{"", "severe", "Critical"} {
		if p, ok := parseLevel(s); ok || p != LevelNone {
			t.Errorf("level %q parsed as %v", s, p)
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
	for _, s := range []string{"", "-", "--", "a b\tc\nd\\e", "/system.slice/x-1.service", "é", "\x01\xff"} {
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
	// A NUL has no form the protocol takes (\000 is refused like a raw
	// one): such a value is refused, never sent as \000.
	if b, err := encode(msgHello, keyName, "a\x00b"); err == nil {
		t.Errorf("a NUL was sent: %q", b)
	}
}

// FuzzCodec: what escape writes, unescape reads back; what parseMessage
// accepts, encode writes again as a message that parses to the same pairs.
// The seeds run as a test; go test -fuzz=FuzzCodec explores.
func FuzzCodec(f *testing.F) {
	for _, s := range []string{
		"msg=welcome version=1 pid=412 cgroup=/a\\040b level=none soft_limit_bytes=71303168",
		"msg=trim id=7 level=medium reason=soft want_bytes=8388608 deadline_ms=500 cgroup=/app pid=412",
		"msg=trimmed id=7 freed_bytes=9437184 unmet_bytes=0",
		"msg=level cgroup=- level=low old_level=none reason=usage",
		"msg=x a=\\055 b=\\134\\134 c=\\011",
		"msg=trim r=\\000", "msg=trim  id=1", "", "-", "a\x00b", "\\377\\400",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if strings.IndexByte(s, 0) < 0 {
			if got, err := unescape(escape(s)); err != nil || got != s {
				t.Errorf("%.60q -> %.60q -> %.60q (%v)", s, escape(s), got, err)
			}
		}
		e, err := encode("x", "k", s)
		switch {
		case strings.IndexByte(s, 0) >= 0:
			if err == nil {
				t.Errorf("%.60q with a NUL encoded as %.60q", s, e)
			}
		case errors.Is(err, errTooLong):
			// One packet cannot hold it: refused, as it should be.
		case err != nil:
			t.Errorf("%.60q: %v", s, err)
		default:
			m, err := parseMessage(e)
			if err != nil {
				t.Fatalf("%.60q -> %.60q: %v", s, e, err)
			}
			if v, _ := m.get("k"); v != s {
				t.Errorf("%.60q -> %.60q -> %.60q", s, e, v)
			}
		}
		m, err := parseMessage([]byte(s))
		if err != nil {
			return
		}
		kv := []string{}
		for k, v := range m.pairs {
			kv = append(kv, k, v)
		}
		b, err := encode(escape(m.name), kv...)
		if err != nil {
			t.Fatalf("%q parsed, but does not encode again: %v", s, err)
		}
		m2, err := parseMessage(b)
		if err != nil || m2.name != m.name || len(m2.pairs) != len(m.pairs) {
			t.Fatalf("%q -> %q -> %+v (%v)", s, b, m2, err)
		}
		for k, v := range m.pairs {
			if m2.pairs[k] != v {
				t.Errorf("%q: %s=%q came back as %q", s, k, v, m2.pairs[k])
			}
		}
	})
}
