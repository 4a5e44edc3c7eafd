// SPDX-License-Identifier: BSD-2-Clause

package mempressure

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net"
	"os"
	"path/filepath"
	"time"
)

// An Option configures Subscribe.  Options are checked when Subscribe is
// called: a bad one makes it fail with an error wrapping ErrInvalidOption.
type Option func(*config) error

// A Logger receives the client's few log lines: one when a state changes
// (the daemon cannot be reached, is reached again, refuses the client, a
// configuration error, the soft limit cannot be kept), never one per
// retry.  *log.Logger satisfies it; LoggerFunc adapts anything else, for
// example a *slog.Logger:
//
//	mempressure.WithLogger(mempressure.LoggerFunc(func(f string, a ...any) {
//		logger.Info(fmt.Sprintf(f, a...))
//	}))
type Logger interface {
	Printf(format string, args ...interface{})
}

// LoggerFunc lets a function be a Logger.
type LoggerFunc func(format string, args ...interface{})

// Printf calls f.
func (f LoggerFunc) Printf(format string, args ...interface{}) { f(format, args...) }

// A Dialer connects to the daemon's socket: *net.Dialer is one.  Network
// is "unixpacket" (the daemon's protocol) or, when the socket turned out
// to be a stream one, "unix" (systemd's memory-pressure protocol).
type Dialer interface {
	DialContext(ctx context.Context, network, address string) (net.Conn, error)
}

// MemoryLimit says how the client keeps the Go runtime's memory limit
// (GOMEMLIMIT, debug.SetMemoryLimit).  The zero value is the default.
type MemoryLimit struct {
	// Percent of the cgroup's limit, or of mempressured's soft limit when
	// that is lower, that the Go runtime may hold; the rest is headroom
	// for what the cgroup holds outside it.  0: 90, as automemlimit.
	Percent int
	// MinGCRoomBytes is the least the heap may grow between two
	// collections: the limit is never set below the live heap plus a
	// tenth plus this, whatever the cgroup asks.  0: 16 MiB.
	MinGCRoomBytes uint64
	// RefreshInterval is how often the cgroup's limits and usage are read
	// again, to follow an in-place resize and let the learned headroom
	// decay.  0: 10 s.  Negative: only when mempressured says something.
	RefreshInterval time.Duration
	// OnChange, if set, is called after each change of the limit the
	// client wants, as the other callbacks are (see Subscribe).
	OnChange func(LimitChange)
}

const (
	defaultLimitPercent    = 90
	defaultMinGCRoom       = 16 << 20
	defaultRefreshInterval = 10 * time.Second
	// How long a daemon that accepted the connection has to welcome us.
	defaultWelcomeTimeout = 10 * time.Second
	// Unix socket paths: sun_path is 108 bytes with the NUL.
	maxSocketPath = 107
)

// config is what the options set.
type config struct {
	name         string
	socket       string // "": $MEMORY_PRESSURE_WATCH, else DefaultSocket
	handler      Handler
	onLevel      func(LevelChange)
	limit        *MemoryLimit // nil: leave GOMEMLIMIT alone
	logger       Logger
	dialer       Dialer
	cgroupRoot   string // "": the cgroup2 mount of /proc/self/mountinfo
	selfCgroup   string // /proc/self/cgroup, for tests
	welcomeAfter time.Duration
}

func defaultConfig() config {
	return config{
		name:         filepath.Base(os.Args[0]),
		limit:        &MemoryLimit{},
		logger:       log.Default(),
		dialer:       &net.Dialer{},
		selfCgroup:   "/proc/self/cgroup",
		welcomeAfter: defaultWelcomeTimeout,
	}
}

func invalid(format string, args ...interface{}) error {
	return fmt.Errorf("%w: %s", ErrInvalidOption, fmt.Sprintf(format, args...))
}

// WithName is the name mempressured logs and keeps statistics under.
// Default: the program's.  It must fit in a hello message and hold no
// NUL byte.
func WithName(name string) Option {
	return func(c *config) error {
		if name == "" {
			return invalid("empty name")
		}
		if _, err := encode(msgHello, keyVersion, u64s(protocolVersion), keyName, name); err != nil {
			return invalid("name %.40q...: %v", name, err)
		}
		c.name = name
		return nil
	}
}

// WithSocket is mempressured's socket.  Default: $MEMORY_PRESSURE_WATCH
// when it names a socket (or a path that does not exist yet), else
// DefaultSocket.  A stream socket is taken for mempressured's socket for
// systemd's memory-pressure protocol and served the way sd-event does:
// each wake-up is a trim at level medium, with no target and no reply.
func WithSocket(path string) Option {
	return func(c *config) error {
		if err := checkSocketPath(path); err != nil {
			return invalid("socket: %v", err)
		}
		c.socket = path
		return nil
	}
}

func checkSocketPath(path string) error {
	if !filepath.IsAbs(path) || filepath.Clean(path) != path {
		return fmt.Errorf("%q is not an absolute, clean path", path)
	}
	if len(path) > maxSocketPath {
		return fmt.Errorf("%q is longer than a unix socket's %d bytes", path, maxSocketPath)
	}
	return nil
}

// WithHandler frees memory on a trim.  Without one, trims are answered
// with freed_bytes=0 and nothing is done.
func WithHandler(h Handler) Option {
	return func(c *config) error {
		if h == nil {
			return invalid("nil handler")
		}
		c.handler = h
		return nil
	}
}

// WithOnLevel is called for every level message, after the memory limit
// has followed its soft limit.
func WithOnLevel(f func(LevelChange)) Option {
	return func(c *config) error {
		if f == nil {
			return invalid("nil OnLevel")
		}
		c.onLevel = f
		return nil
	}
}

// WithMemoryLimit sets how the memory limit is kept.  The client keeps
// it by default, as WithMemoryLimit(MemoryLimit{}) does.
func WithMemoryLimit(m MemoryLimit) Option {
	return func(c *config) error {
		if m.Percent < 0 || m.Percent > 100 {
			return invalid("MemoryLimit.Percent %d is not in 0..100", m.Percent)
		}
		if m.Percent == 0 {
			m.Percent = defaultLimitPercent
		}
		if m.MinGCRoomBytes == 0 {
			m.MinGCRoomBytes = defaultMinGCRoom
		}
		if m.RefreshInterval == 0 {
			m.RefreshInterval = defaultRefreshInterval
		}
		c.limit = &m
		return nil
	}
}

// WithoutMemoryLimit leaves GOMEMLIMIT alone.
func WithoutMemoryLimit() Option {
	return func(c *config) error {
		c.limit = nil
		return nil
	}
}

// WithLogger sends the client's log lines to l; nil discards them.
// Default: the standard logger (log.Default()).
func WithLogger(l Logger) Option {
	return func(c *config) error {
		if l == nil {
			l = LoggerFunc(func(string, ...interface{}) {})
		}
		c.logger = l
		return nil
	}
}

// WithDialer connects through d instead of a net.Dialer (for tests).  A
// connection that is not a unix socket cannot have its peer checked: it is
// trusted as it is.
func WithDialer(d Dialer) Option {
	return func(c *config) error {
		if d == nil {
			return invalid("nil dialer")
		}
		c.dialer = d
		return nil
	}
}

// WithCgroupRoot is where the cgroup v2 hierarchy is mounted.  Default:
// the cgroup2 mount of /proc/self/mountinfo, else /sys/fs/cgroup.  The
// process's own cgroup is found below it from /proc/self/cgroup.
func WithCgroupRoot(root string) Option {
	return func(c *config) error {
		if !filepath.IsAbs(root) {
			return invalid("cgroup root %q is not absolute", root)
		}
		c.cgroupRoot = filepath.Clean(root)
		return nil
	}
}

// withSelfCgroup reads the process's cgroup from path instead of
// /proc/self/cgroup (tests).
func withSelfCgroup(path string) Option {
	return func(c *config) error {
		c.selfCgroup = path
		return nil
	}
}

// withWelcomeTimeout shortens the wait for a welcome (tests).
func withWelcomeTimeout(d time.Duration) Option {
	return func(c *config) error {
		c.welcomeAfter = d
		return nil
	}
}

// The errors of the package.  Each is wrapped, with its details, by the
// errors that Subscribe returns and that State reports: test them with
// errors.Is.
var (
	// ErrInvalidOption: Subscribe was given an option it cannot use.
	ErrInvalidOption = errors.New("mempressure: invalid option")
	// ErrUnreachable: nothing accepts connections at the socket (yet).
	// The client keeps trying.
	ErrUnreachable = errors.New("mempressure: cannot reach mempressured")
	// ErrNoWelcome: the daemon accepted the connection but did not
	// answer the hello.  The client keeps trying.
	ErrNoWelcome = errors.New("mempressure: mempressured accepted but sent no welcome")
	// ErrLost: a connection that was serving ended.  The client keeps
	// trying.
	ErrLost = errors.New("mempressure: lost mempressured")
	// ErrRefused: the daemon answered with msg=error.  The client keeps
	// trying, unless the reason is one a retry cannot mend (version).
	ErrRefused = errors.New("mempressure: mempressured refused the client")
	// ErrUntrustedPeer: the socket's listener is neither root nor this
	// process's user: its messages could force collections and pin the
	// memory limit, so the client does not use it.  Not retried.
	ErrUntrustedPeer = errors.New("mempressure: the socket's listener is not trusted")
	// ErrConfig: the socket cannot be used as configured (not a socket,
	// no permission, a path no socket can have).  Not retried.
	ErrConfig = errors.New("mempressure: configuration error")
	// ErrClosed: Close was called.
	ErrClosed = errors.New("mempressure: client closed")
)

// causeError is an error of one of the kinds above (errors.Is(err, kind))
// that also unwraps to what caused it (errors.Is(err, syscall.ENOENT)).
type causeError struct {
	kind  error
	what  string
	cause error
}

func (e *causeError) Error() string {
	if e.cause == nil {
		return e.kind.Error() + ": " + e.what
	}
	return e.kind.Error() + ": " + e.what + ": " + e.cause.Error()
}

func (e *causeError) Is(target error) bool { return target == e.kind }
func (e *causeError) Unwrap() error        { return e.cause }

func wrapErr(kind error, cause error, format string, args ...interface{}) error {
	return &causeError{kind: kind, what: fmt.Sprintf(format, args...), cause: cause}
}

// permanent: an error a retry cannot mend.
func permanent(err error) bool {
	return errors.Is(err, ErrConfig) || errors.Is(err, ErrUntrustedPeer) ||
		(errors.Is(err, ErrRefused) && errors.Is(err, errRefusedForGood))
}
