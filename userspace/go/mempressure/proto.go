// SPDX-License-Identifier: BSD-2-Clause

package mempressure

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// The protocol's names, as include/uapi/linux/mempressure.h defines them
// (MEMPRESSURED_*).  TestHeaderConstants parses the header and fails if
// one of these drifts from it; the slices keep the header's order, which
// is the order of its enums.
const (
	// DefaultSocket is where mempressured listens unless configured
	// otherwise (MEMPRESSURED_SOCKET).
	DefaultSocket   = "/run/mempressured.sock"
	protocolVersion = 1    // MEMPRESSURED_PROTOCOL_VERSION
	msgMax          = 1024 // MEMPRESSURED_MSG_MAX: bytes in one packet
	scopeAll        = "all"
	escapedChars    = " \t\n\\" // MEMPRESSURE_ESCAPED_CHARS
	notAvailable    = "-"       // MEMPRESSURE_NA: the empty string
	// defaultDeadline is a trim's when it has no deadline_ms
	// (MEMPRESSURED_DEADLINE_MS_DEFAULT, the daemon's own default).
	defaultDeadline = 500 * time.Millisecond
)

var (
	msgNames = []string{"hello", "welcome", "level", "trim", "trimmed",
		"status", "end", "error"} // MEMPRESSURED_MESSAGES
	keyNames = []string{"msg", "version", "name", "scope", "pid", "cgroup",
		"level", "old_level", "reason", "soft_limit_bytes", "id",
		"want_bytes", "deadline_ms", "freed_bytes",
		// The status reply's, which this client does not send or read.
		"module", "events", "events_lost", "systemd_clients", "stage",
		"clamped", "app", "requests", "replies", "timeouts", "claimed_bytes",
		"measured_bytes", "cgroup_bytes_measured", "action", "time_usec",
		"subscriber", "dropped",
		"unmet_bytes", "unmet_replies"} // MEMPRESSURED_KEYS
	trimReasonNames = []string{"soft", "level", "leak"} // MEMPRESSURED_TRIM_REASONS
	levelNames      = []string{"none", "low", "medium", "critical"}
	levelReasons    = []string{"usage", "psi", "high", "max", "oom", "calm", "limit"} // MEMPRESSURE_REASONS
)

// Message and key names by meaning; each is checked against the tables above.
const (
	msgHello   = "hello"
	msgWelcome = "welcome"
	msgLevel   = "level"
	msgTrim    = "trim"
	msgTrimmed = "trimmed"
	msgError   = "error"

	keyMsg       = "msg"
	keyVersion   = "version"
	keyName      = "name"
	keyPID       = "pid"
	keyCgroup    = "cgroup"
	keyLevel     = "level"
	keyOldLevel  = "old_level"
	keyReason    = "reason"
	keySoftLimit = "soft_limit_bytes"
	keyID        = "id"
	keyWant      = "want_bytes"
	keyDeadline  = "deadline_ms"
	keyFreed     = "freed_bytes"
	keyUnmet     = "unmet_bytes"

	trimLeak = "leak" // a trim's reason: the process alone is growing
)

// Level is a cgroup's pressure level, lowest first (docs/signals.md).
type Level int

const (
	LevelNone Level = iota
	LevelLow
	LevelMedium
	LevelCritical
)

func (l Level) String() string {
	if l >= 0 && int(l) < len(levelNames) {
		return levelNames[l]
	}
	return "unknown"
}

// parseLevel maps a level's name to its value; false for a name this
// package does not know (a newer daemon's) or none at all.
func parseLevel(s string) (Level, bool) {
	for i, n := range levelNames {
		if n == s {
			return Level(i), true
		}
	}
	return LevelNone, false
}

var (
	errMalformed = errors.New("malformed message")
	errTooLong   = errors.New("message longer than MEMPRESSURED_MSG_MAX")
	errNUL       = errors.New("a NUL byte cannot be sent")
)

// message is one decoded packet: its msg= name and its other pairs,
// unescaped.  Keys this package does not know are kept and ignored.
type message struct {
	name  string
	pairs map[string]string
}

func (m *message) get(key string) (string, bool) {
	v, ok := m.pairs[key]
	return v, ok
}

func (m *message) u64(key string) (uint64, error) {
	v, ok := m.pairs[key]
	if !ok {
		return 0, fmt.Errorf("%s: no %s", m.name, key)
	}
	if v == "" || strings.TrimLeft(v, "0123456789") != "" {
		return 0, fmt.Errorf("%s: %s=%q is not a number", m.name, key, v)
	}
	return strconv.ParseUint(v, 10, 64)
}

// parseMessage decodes one packet as docs/protocol.md defines it:
// key=value pairs separated by single spaces, msg= first, keys of
// [a-z0-9_], values never empty and escaped as \ooo.  An unknown msg is
// returned as it is: the caller decides.
func parseMessage(b []byte) (*message, error) {
	if len(b) > msgMax {
		return nil, errTooLong
	}
	m := &message{pairs: make(map[string]string)}
	for i, tok := range strings.Split(string(b), " ") {
		eq := strings.IndexByte(tok, '=')
		if eq <= 0 || eq == len(tok)-1 || !validKey(tok[:eq]) {
			return nil, errMalformed
		}
		k := tok[:eq]
		v, err := unescape(tok[eq+1:])
		if err != nil {
			return nil, err
		}
		if _, dup := m.pairs[k]; dup || (k == keyMsg) != (i == 0) {
			return nil, errMalformed
		}
		if i == 0 {
			m.name = v
			continue
		}
		m.pairs[k] = v
	}
	return m, nil
}

func validKey(k string) bool {
	for _, c := range k {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return k != ""
}

// escape writes s as the protocol and the procfs tables do: the escaped
// characters as \ooo, the empty string as "-", and "-" itself escaped.  A
// NUL byte has no form the protocol accepts (\000 is refused like a raw
// one): encode refuses a value that holds one.
func escape(s string) string {
	if s == "" {
		return notAvailable
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if strings.IndexByte(escapedChars, c) >= 0 || (s == notAvailable && c == '-') {
			fmt.Fprintf(&b, "\\%03o", c)
		} else {
			b.WriteByte(c)
		}
	}
	return b.String()
}

func unescape(s string) (string, error) {
	if s == notAvailable {
		return "", nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\':
			if !isOctal3(s[i+1:]) {
				return "", errMalformed
			}
			n, _ := strconv.ParseUint(s[i+1:i+4], 8, 8)
			if n == 0 {
				return "", errMalformed
			}
			b.WriteByte(byte(n))
			i += 3
		case c == 0 || c == '\t' || c == '\n':
			return "", errMalformed
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), nil
}

func isOctal3(s string) bool {
	return len(s) >= 3 && s[0] >= '0' && s[0] <= '3' &&
		s[1] >= '0' && s[1] <= '7' && s[2] >= '0' && s[2] <= '7'
}

// encode builds one packet: msg=NAME, then the pairs in the order given
// (key, value, key, value...), values escaped.
func encode(name string, kv ...string) ([]byte, error) {
	var b strings.Builder
	b.WriteString(keyMsg + "=" + name)
	for i := 0; i+1 < len(kv); i += 2 {
		if strings.IndexByte(kv[i+1], 0) >= 0 {
			return nil, errNUL
		}
		b.WriteString(" " + kv[i] + "=" + escape(kv[i+1]))
	}
	if b.Len() > msgMax {
		return nil, errTooLong
	}
	return []byte(b.String()), nil
}

func u64s(v uint64) string { return strconv.FormatUint(v, 10) }
