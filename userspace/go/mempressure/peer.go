// SPDX-License-Identifier: BSD-2-Clause

package mempressure

import (
	"net"
	"os"
	"syscall"
)

// checkPeer: the socket's listener must be root or this process's own
// user.  Whatever listens there is obeyed (its trims force collections, its
// soft limit moves GOMEMLIMIT), and systemd hands the path to the service
// as the service manager's or the service's own: anyone else listening
// there is not who the variable meant.  SO_PEERCRED gives the listener's
// credentials as they were when it called listen(2).
func checkPeer(conn net.Conn) error {
	sc, ok := conn.(syscall.Conn)
	if !ok {
		return nil // a test's connection, from its own dialer
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	var cred *syscall.Ucred
	var cerr error
	if err := raw.Control(func(fd uintptr) {
		cred, cerr = syscall.GetsockoptUcred(int(fd), syscall.SOL_SOCKET, syscall.SO_PEERCRED)
	}); err != nil {
		cerr = err
	}
	if cerr != nil {
		if cerr == syscall.ENOPROTOOPT || cerr == syscall.ENOTSOCK {
			return nil // not a unix socket: nothing to check it by
		}
		return wrapErr(ErrUntrustedPeer, cerr, "SO_PEERCRED")
	}
	if !peerAllowed(cred.Uid, uint32(os.Geteuid())) {
		return wrapErr(ErrUntrustedPeer, nil, "pid %d, uid %d: neither root nor uid %d",
			cred.Pid, cred.Uid, os.Geteuid())
	}
	return nil
}

func peerAllowed(uid, self uint32) bool { return uid == 0 || uid == self }
