package runtime

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"sync"

	"github.com/nimbus-dev/nimbus/internal/sockdiag"
)

// An instance's Runtime API listens on a loopback port that any local
// process can reach; left open, one function could take another's events
// (GET .../invocation/next) or post results for it. So the API answers
// only connections whose client socket belongs to the user the instance's
// process runs as: its own uid under isolation (unique on the host), else
// Nimbus's (which separates Nimbus's functions from other users, not from
// each other). The kernel names the socket's owner (sockdiag, by the exact
// 4-tuple); the check runs on a connection's first request, once the
// process and its user are known, and its verdict holds for the
// connection's life, so a warm runtime on its kept-alive connection never
// pays it again.

// connKey is the context key of a Runtime API connection's *peerConn.
type connKey struct{}

// peerConn is one connection to an instance's Runtime API and its verdict.
type peerConn struct {
	conn net.Conn
	once sync.Once
	err  error // why the connection was refused; nil: admitted
}

// withConn is the Runtime API server's ConnContext: it gives each
// connection's requests the connection, for guardPeers.
func withConn(ctx context.Context, c net.Conn) context.Context {
	return context.WithValue(ctx, connKey{}, &peerConn{conn: c})
}

// errForeignPeer is the answer to a connection that is not the instance's.
var errForeignPeer = &apiError{http.StatusForbidden, "AccessDenied",
	"The Runtime API accepts only the processes of its own execution environment"}

// guardPeers passes to h only the requests of connections admitted by
// admit. A refused connection is answered 403 AccessDenied, in the Runtime
// API's error shape, and closed: a runtime pointed at the wrong port learns
// why at once, where a bare close reads as a network fault that HTTP
// clients retry. Requests without a connection (never through the server)
// are refused too.
func (i *instance) guardPeers(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-i.ready: // the process, and so its user, is known
		case <-r.Context().Done():
			return
		}
		pc, _ := r.Context().Value(connKey{}).(*peerConn)
		if pc == nil {
			i.m.log.Error("runtime: Runtime API request without its connection", "instance", i.id)
			refuse(w, r)
			return
		}
		pc.once.Do(func() { pc.err = i.admit(pc.conn) })
		if pc.err != nil {
			refuse(w, r)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// refuse answers errForeignPeer and closes the connection.
func refuse(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Connection", "close")
	apiHandler(func(http.ResponseWriter, *http.Request) error { return errForeignPeer }).ServeHTTP(w, r)
}

// admit decides whether c's peer is one of the instance's processes, and
// logs a refusal (a warning: another process tried the instance's API).
// Call it once i.ready is closed.
func (i *instance) admit(c net.Conn) error {
	want, ok := i.runtimeUID()
	if !ok {
		return errors.New("the instance has no process")
	}
	local, lok := c.LocalAddr().(*net.TCPAddr)
	remote, rok := c.RemoteAddr().(*net.TCPAddr)
	if !lok || !rok {
		return fmt.Errorf("not a TCP connection: %v", c.RemoteAddr())
	}
	// The peer's socket: its own address is our remote one.
	s, err := sockdiag.LookupTCP(remote.AddrPort(), local.AddrPort())
	if err == nil {
		err = judgePeer(s, want)
	}
	if err != nil {
		attrs := []any{"instance", i.id, "function", i.fn.Name, "peer", remote.String(), "instance_uid", want}
		if s.Inode != 0 {
			attrs = append(attrs, "peer_uid", s.UID)
		}
		i.m.log.Warn("runtime: refused a Runtime API connection", append(attrs, "err", err)...)
		return err
	}
	i.m.log.Debug("runtime: admitted a Runtime API connection", "instance", i.id, "peer", remote.String(), "peer_uid", s.UID)
	return nil
}

// judgePeer admits a live socket of user want.
func judgePeer(s sockdiag.Socket, want uint32) error {
	switch {
	case s.Inode == 0 || s.State == sockdiag.StateTimeWait:
		// Closed: no process holds it, and its uid may read 0 (root).
		return errors.New("the peer's socket is closed")
	case s.UID != want:
		return fmt.Errorf("the peer runs as uid %d, the instance as uid %d", s.UID, want)
	}
	return nil
}

// runtimeUID is the user the instance's process was started as: the one
// its sandbox gave it, else Nimbus's own. ok is false when no process was
// started. Valid once i.ready is closed. (Read from the started command
// rather than the sandbox's Box, which forgets its user at Release while
// connections may still arrive.)
func (i *instance) runtimeUID() (uid uint32, ok bool) {
	if i.cmd == nil {
		return 0, false
	}
	if a := i.cmd.SysProcAttr; a != nil && a.Credential != nil {
		return a.Credential.Uid, true
	}
	return uint32(os.Geteuid()), true
}
