//go:build unix

package postgres

import (
	"errors"
	"net"
	"syscall"
)

// open says whether c's server has not closed it, without waiting: a
// server says nothing before the client's startup message, so a read that
// would block finds it open, and one that returns finds it closed (or
// talking out of turn, as bad).
func open(c net.Conn) bool {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return true // not a socket of this process: the startup will tell
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	var rerr error
	var buf [1]byte
	if err := raw.Read(func(fd uintptr) bool {
		_, rerr = syscall.Read(int(fd), buf[:])
		return true // one try: never wait
	}); err != nil {
		return false
	}
	return errors.Is(rerr, syscall.EAGAIN) || errors.Is(rerr, syscall.EWOULDBLOCK)
}
