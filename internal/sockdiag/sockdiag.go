// Package sockdiag asks the kernel who owns a TCP socket on this host:
// one NETLINK_SOCK_DIAG (inet_diag) request for the socket with an exact
// 4-tuple, answered with its state, owner uid and inode.
//
// It is the exact lookup (no NLM_F_DUMP): the kernel finds the socket in
// its connection hash instead of walking every TCP socket, so one lookup
// costs a few system calls whatever the host's socket count. Linux only.
package sockdiag

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"syscall"

	"golang.org/x/sys/unix"
)

// TCP states the kernel reports (include/net/tcp_states.h).
const (
	StateEstablished = 1
	StateTimeWait    = 6
	StateClose       = 7
	StateListen      = 10
	StateNewSynRecv  = 12
)

// Socket is what the kernel says of one socket.
type Socket struct {
	// Family is unix.AF_INET or unix.AF_INET6 (an AF_INET6 socket connected
	// to an IPv4-mapped address is found by an IPv4 lookup).
	Family uint8
	// State is the TCP state (StateEstablished, ...).
	State uint8
	// UID owns the socket: the file system uid of the process that created
	// it. Trust it only when Inode is not 0: for a socket no file holds
	// any more the kernel reports 0, root, in TIME_WAIT (and, on older
	// kernels, for any orphan).
	UID uint32
	// Inode is the socket's inode number, 0 once no process holds it (a
	// closed socket in TIME_WAIT, or an orphan still sending its FIN).
	Inode uint32
	// LocalPort and RemotePort echo the socket's ports.
	LocalPort, RemotePort uint16
}

// ErrNotFound is returned when no socket has the 4-tuple.
var ErrNotFound = errors.New("sockdiag: no such socket")

// Netlink and inet_diag constants and sizes (linux/netlink.h,
// linux/sock_diag.h, linux/inet_diag.h).
const (
	sockDiagByFamily = 20 // SOCK_DIAG_BY_FAMILY
	nlmsgError       = 2  // NLMSG_ERROR
	nlmsgDone        = 3  // NLMSG_DONE
	nlmsgHdrLen      = 16 // struct nlmsghdr
	diagReqLen       = 56 // struct inet_diag_req_v2
	diagMsgLen       = 72 // struct inet_diag_msg
	requestLen       = nlmsgHdrLen + diagReqLen
	// noCookie matches a socket whatever its cookie (INET_DIAG_NOCOOKIE).
	noCookie = ^uint32(0)
	// recvTimeout bounds the wait for the kernel's answer, which it
	// queues before the send returns; only a kernel bug would reach it.
	recvTimeout = 5 // seconds
	// seq numbers the one request of each netlink socket: the socket is
	// the call's own and only the kernel may write to it (NETLINK_SOCK_DIAG
	// refuses unicasts from other processes), so any value works.
	seq = 1
)

// LookupTCP returns the TCP socket whose own address is local and whose
// peer is remote, in the caller's network namespace. An IPv4-mapped IPv6
// address is looked up as IPv4. It opens a netlink socket for the call,
// so it is safe for concurrent use and holds nothing between calls.
func LookupTCP(local, remote netip.AddrPort) (Socket, error) {
	req, err := buildRequest(local, remote, seq)
	if err != nil {
		return Socket{}, err
	}
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, unix.NETLINK_SOCK_DIAG)
	if err != nil {
		return Socket{}, fmt.Errorf("sockdiag: opening a netlink socket: %w", err)
	}
	defer unix.Close(fd)
	tv := unix.Timeval{Sec: recvTimeout}
	if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
		return Socket{}, fmt.Errorf("sockdiag: setting the receive timeout: %w", err)
	}
	kernel := &unix.SockaddrNetlink{Family: unix.AF_NETLINK}
	if err := unix.Sendto(fd, req, 0, kernel); err != nil {
		return Socket{}, fmt.Errorf("sockdiag: sending the request: %w", err)
	}
	// The answer is one inet_diag_msg with a few attributes (a few hundred
	// bytes), or an error.
	var buf [4096]byte
	for {
		nr, from, err := unix.Recvfrom(fd, buf[:], 0)
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if err != nil {
			return Socket{}, fmt.Errorf("sockdiag: receiving the answer: %w", err)
		}
		if sa, ok := from.(*unix.SockaddrNetlink); !ok || sa.Pid != 0 {
			continue // not from the kernel
		}
		s, err := parseReply(buf[:nr], seq)
		if err == nil && (s.LocalPort != local.Port() || s.RemotePort != remote.Port()) {
			return Socket{}, fmt.Errorf("sockdiag: asked for %v ↔ %v, the kernel answered ports %d ↔ %d",
				local, remote, s.LocalPort, s.RemotePort)
		}
		return s, err
	}
}

// buildRequest encodes the netlink message asking for the socket local ↔
// remote.
func buildRequest(local, remote netip.AddrPort, n uint32) ([]byte, error) {
	la, ra := local.Addr().Unmap(), remote.Addr().Unmap()
	var family uint8
	switch {
	case la.Is4() && ra.Is4():
		family = unix.AF_INET
	case la.Is6() && ra.Is6():
		family = unix.AF_INET6
	default:
		return nil, fmt.Errorf("sockdiag: addresses %v and %v are not of one family", local, remote)
	}
	b := make([]byte, requestLen)
	ne := binary.NativeEndian
	// struct nlmsghdr
	ne.PutUint32(b[0:], requestLen)
	ne.PutUint16(b[4:], sockDiagByFamily)
	ne.PutUint16(b[6:], unix.NLM_F_REQUEST)
	ne.PutUint32(b[8:], n)
	ne.PutUint32(b[12:], 0) // pid: the kernel fills it in
	// struct inet_diag_req_v2
	r := b[nlmsgHdrLen:]
	r[0] = family
	r[1] = unix.IPPROTO_TCP
	r[2] = 0                        // idiag_ext: no extensions
	ne.PutUint32(r[4:], ^uint32(0)) // idiag_states: any
	// struct inet_diag_sockid: ports and addresses in network order.
	id := r[8:]
	binary.BigEndian.PutUint16(id[0:], local.Port())
	binary.BigEndian.PutUint16(id[2:], remote.Port())
	putAddr(id[4:20], la)
	putAddr(id[20:36], ra)
	ne.PutUint32(id[36:], 0) // idiag_if: any
	ne.PutUint32(id[40:], noCookie)
	ne.PutUint32(id[44:], noCookie)
	return b, nil
}

// putAddr writes a in the 16 bytes of an idiag_src/idiag_dst: an IPv4
// address fills the first four.
func putAddr(dst []byte, a netip.Addr) {
	if a.Is4() {
		v := a.As4()
		copy(dst, v[:])
		return
	}
	v := a.As16()
	copy(dst, v[:])
}

// parseReply decodes the kernel's answer to request n: the first message
// of the datagram that answers it.
func parseReply(b []byte, n uint32) (Socket, error) {
	ne := binary.NativeEndian
	for len(b) >= nlmsgHdrLen {
		size := ne.Uint32(b[0:])
		typ := ne.Uint16(b[4:])
		mseq := ne.Uint32(b[8:])
		if size < nlmsgHdrLen || uint64(size) > uint64(len(b)) {
			return Socket{}, fmt.Errorf("sockdiag: malformed answer: message length %d of %d bytes", size, len(b))
		}
		body := b[nlmsgHdrLen:size]
		if next := (uint64(size) + 3) &^ 3; next < uint64(len(b)) {
			b = b[next:]
		} else {
			b = nil
		}
		if mseq != n {
			continue // an answer to another request
		}
		switch typ {
		case nlmsgError:
			if len(body) < 4 {
				return Socket{}, errors.New("sockdiag: malformed answer: short error message")
			}
			errno := -int32(ne.Uint32(body))
			switch {
			case errno == 0:
				return Socket{}, errors.New("sockdiag: the kernel acknowledged without an answer")
			case syscall.Errno(errno) == syscall.ENOENT:
				return Socket{}, ErrNotFound
			case errno < 0:
				return Socket{}, fmt.Errorf("sockdiag: malformed answer: error code %d", -errno)
			}
			return Socket{}, fmt.Errorf("sockdiag: looking up the socket: %w", syscall.Errno(errno))
		case nlmsgDone:
			return Socket{}, ErrNotFound
		case sockDiagByFamily:
			if len(body) < diagMsgLen {
				return Socket{}, fmt.Errorf("sockdiag: malformed answer: inet_diag_msg of %d bytes", len(body))
			}
			s := Socket{
				Family:     body[0],
				State:      body[1],
				LocalPort:  binary.BigEndian.Uint16(body[4:]),
				RemotePort: binary.BigEndian.Uint16(body[6:]),
				UID:        ne.Uint32(body[64:]),
				Inode:      ne.Uint32(body[68:]),
			}
			if s.Family != unix.AF_INET && s.Family != unix.AF_INET6 {
				return Socket{}, fmt.Errorf("sockdiag: malformed answer: address family %d", s.Family)
			}
			return s, nil
		default:
			return Socket{}, fmt.Errorf("sockdiag: unexpected answer: message type %d", typ)
		}
	}
	return Socket{}, errors.New("sockdiag: no answer to the request")
}
