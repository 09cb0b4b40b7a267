package sockdiag

import (
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"os"
	goruntime "runtime"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nimbus-dev/nimbus/internal/testenv"
	"go.uber.org/goleak"
	"golang.org/x/sys/unix"
)

// pair is a loopback TCP connection: the client's end and the server's.
type pair struct{ client, server net.Conn }

// dialPair connects to a new listener on addr ("127.0.0.1:0", "[::1]:0").
func dialPair(t *testing.T, addr string) pair {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	server, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { server.Close() })
	return pair{client, server}
}

func addrPort(a net.Addr) netip.AddrPort { return a.(*net.TCPAddr).AddrPort() }

// peerOf looks up the client's socket as the server sees it: the client's
// address is the server's remote one.
func peerOf(c net.Conn) (Socket, error) {
	return LookupTCP(addrPort(c.RemoteAddr()), addrPort(c.LocalAddr()))
}

func TestLookupTCP(t *testing.T) {
	euid := uint32(os.Geteuid())
	for _, tt := range []struct{ name, addr string }{
		{"IPv4", "127.0.0.1:0"},
		{"IPv6", "[::1]:0"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ln, err := net.Listen("tcp", tt.addr)
			if err != nil {
				t.Skipf("no %s loopback here: %v", tt.name, err) // IPv6 may be off; IPv4 never is
			}
			ln.Close()
			p := dialPair(t, tt.addr)
			for _, side := range []struct {
				name string
				conn net.Conn
			}{{"client side", p.server}, {"server side", p.client}} {
				got, err := peerOf(side.conn)
				if err != nil {
					t.Fatalf("%s: %v", side.name, err)
				}
				if got.UID != euid || got.Inode == 0 || got.State != StateEstablished {
					t.Errorf("%s: got %+v, want uid %d, an inode, state established", side.name, got, euid)
				}
				if got.RemotePort != addrPort(side.conn.LocalAddr()).Port() {
					t.Errorf("%s: remote port %d, want %d", side.name, got.RemotePort, addrPort(side.conn.LocalAddr()).Port())
				}
			}
			// The client's socket and the server's are two sockets.
			c, _ := peerOf(p.server)
			s, _ := peerOf(p.client)
			if c.Inode == s.Inode {
				t.Errorf("client and server sockets share inode %d", c.Inode)
			}
		})
	}
}

func TestLookupTCPNotFound(t *testing.T) {
	p := dialPair(t, "127.0.0.1:0")
	local := addrPort(p.server.LocalAddr())
	remote := addrPort(p.server.RemoteAddr())
	for _, tt := range []struct {
		name          string
		local, remote netip.AddrPort
	}{
		// The right ports from another loopback address: the lookup is by
		// the exact 4-tuple, not by ports.
		{"other source address", netip.AddrPortFrom(netip.MustParseAddr("127.0.0.2"), remote.Port()), local},
		{"other source port", netip.AddrPortFrom(remote.Addr(), 1), local},
		{"other destination port", remote, netip.AddrPortFrom(local.Addr(), 1)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got, err := LookupTCP(tt.local, tt.remote); !errors.Is(err, ErrNotFound) {
				t.Errorf("LookupTCP(%v, %v) = %+v, %v; want ErrNotFound", tt.local, tt.remote, got, err)
			}
		})
	}
	if _, err := LookupTCP(netip.MustParseAddrPort("127.0.0.1:1"), netip.MustParseAddrPort("[::1]:2")); err == nil {
		t.Error("LookupTCP of mixed families succeeded")
	}
}

// A socket no process holds any more is reported with inode 0 (and, in
// TIME_WAIT or on older kernels, uid 0 whoever created it): a caller
// checking owners must refuse those.
func TestLookupTCPClosedClient(t *testing.T) {
	p := dialPair(t, "127.0.0.1:0")
	if err := p.client.Close(); err != nil { // the server's end stays open: FIN_WAIT2, orphaned
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		got, err := peerOf(p.server)
		if errors.Is(err, ErrNotFound) || (err == nil && got.Inode == 0) {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("closed client socket still reported as %+v", got)
		}
		time.Sleep(time.Millisecond)
	}
}

// The owner is the uid the socket was created under (its creator's fsuid),
// which is what tells one instance's processes from another's.
func TestLookupTCPOtherUser(t *testing.T) {
	if os.Geteuid() != 0 {
		testenv.Missing(t, "creating a socket as another user needs root (run the tests as root)")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	const uid = 4242
	for _, tt := range []struct {
		name   string
		family int
		dst    unix.Sockaddr
	}{
		{"IPv4 socket", unix.AF_INET, &unix.SockaddrInet4{Port: int(addrPort(ln.Addr()).Port()), Addr: [4]byte{127, 0, 0, 1}}},
		// An IPv6 socket reaches the IPv4 listener through a mapped address;
		// the IPv4 lookup must find it too.
		{"IPv6 socket, IPv4-mapped", unix.AF_INET6, &unix.SockaddrInet6{Port: int(addrPort(ln.Addr()).Port()),
			Addr: netip.MustParseAddr("::ffff:127.0.0.1").As16()}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			fd := socketAs(t, uid, tt.family)
			defer unix.Close(fd)
			if err := unix.Connect(fd, tt.dst); err != nil {
				t.Fatal(err)
			}
			server, err := ln.Accept()
			if err != nil {
				t.Fatal(err)
			}
			defer server.Close()
			got, err := peerOf(server)
			if err != nil {
				t.Fatal(err)
			}
			if got.UID != uid || got.Inode == 0 {
				t.Errorf("got %+v, want uid %d and an inode", got, uid)
			}
		})
	}
}

// socketAs creates a TCP socket with fsuid uid, on a thread of its own.
func socketAs(t *testing.T, uid, family int) int {
	t.Helper()
	type result struct {
		fd  int
		err error
	}
	done := make(chan result)
	go func() {
		// The thread's fsuid changes: it is thrown away, never reused.
		goruntime.LockOSThread()
		unix.Setfsuid(uid)
		fd, err := unix.Socket(family, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		done <- result{fd, err}
	}()
	r := <-done
	if r.err != nil {
		t.Fatal(r.err)
	}
	return r.fd
}

// msg is one netlink message of a datagram.
type msg struct {
	typ  uint16
	seq  uint32
	body []byte
}

// reply builds a netlink datagram of msgs.
func reply(msgs ...msg) []byte {
	var b []byte
	for _, m := range msgs {
		h := make([]byte, nlmsgHdrLen)
		binary.NativeEndian.PutUint32(h[0:], uint32(nlmsgHdrLen+len(m.body)))
		binary.NativeEndian.PutUint16(h[4:], m.typ)
		binary.NativeEndian.PutUint32(h[8:], m.seq)
		b = append(b, h...)
		b = append(b, m.body...)
		for len(b)%4 != 0 {
			b = append(b, 0)
		}
	}
	return b
}

// diagMsg is an inet_diag_msg body followed by attrs.
func diagMsg(family, state uint8, lport, rport uint16, uid, inode uint32, attrs int) []byte {
	b := make([]byte, diagMsgLen+attrs)
	b[0], b[1] = family, state
	binary.BigEndian.PutUint16(b[4:], lport)
	binary.BigEndian.PutUint16(b[6:], rport)
	binary.NativeEndian.PutUint32(b[64:], uid)
	binary.NativeEndian.PutUint32(b[68:], inode)
	return b
}

func errMsg(errno int32) []byte {
	b := make([]byte, 4+nlmsgHdrLen)
	binary.NativeEndian.PutUint32(b, uint32(-errno))
	return b
}

func TestParseReply(t *testing.T) {
	good := diagMsg(unix.AF_INET, StateEstablished, 40000, 41000, 990001, 12345, 8)
	want := Socket{Family: unix.AF_INET, State: StateEstablished, UID: 990001, Inode: 12345, LocalPort: 40000, RemotePort: 41000}
	for _, tt := range []struct {
		name    string
		in      []byte
		want    Socket
		wantErr error  // checked with errors.Is
		errText string // else the error's text, "" for none
	}{
		{name: "socket", in: reply(msg{sockDiagByFamily, seq, good}), want: want},
		{name: "socket without attributes", in: reply(msg{sockDiagByFamily, seq, good[:diagMsgLen]}), want: want},
		{name: "IPv6 socket", in: reply(msg{sockDiagByFamily, seq, diagMsg(unix.AF_INET6, 1, 1, 2, 7, 8, 0)}),
			want: Socket{Family: unix.AF_INET6, State: 1, UID: 7, Inode: 8, LocalPort: 1, RemotePort: 2}},
		{name: "answer to another request first", in: reply(
			msg{nlmsgError, seq + 1, errMsg(int32(syscall.EPERM))},
			msg{sockDiagByFamily, seq, good}), want: want},
		{name: "not found", in: reply(msg{nlmsgError, seq, errMsg(int32(syscall.ENOENT))}), wantErr: ErrNotFound},
		{name: "done", in: reply(msg{nlmsgDone, seq, []byte{0, 0, 0, 0}}), wantErr: ErrNotFound},
		{name: "other error", in: reply(msg{nlmsgError, seq, errMsg(int32(syscall.EINVAL))}), wantErr: syscall.EINVAL},
		{name: "ack", in: reply(msg{nlmsgError, seq, errMsg(0)}),
			errText: "sockdiag: the kernel acknowledged without an answer"},
		{name: "positive error code", in: reply(msg{nlmsgError, seq, errMsg(-3)}),
			errText: "sockdiag: malformed answer: error code 3"},
		{name: "short error", in: reply(msg{nlmsgError, seq, []byte{1, 2}}),
			errText: "sockdiag: malformed answer: short error message"},
		{name: "short inet_diag_msg", in: reply(msg{sockDiagByFamily, seq, good[:diagMsgLen-1]}),
			errText: "sockdiag: malformed answer: inet_diag_msg of 71 bytes"},
		{name: "bad family", in: reply(msg{sockDiagByFamily, seq, diagMsg(1, 1, 1, 2, 3, 4, 0)}),
			errText: "sockdiag: malformed answer: address family 1"},
		{name: "other type", in: reply(msg{99, seq, good}), errText: "sockdiag: unexpected answer: message type 99"},
		{name: "only others' answers", in: reply(msg{sockDiagByFamily, seq + 1, good}),
			errText: "sockdiag: no answer to the request"},
		{name: "empty", in: nil, errText: "sockdiag: no answer to the request"},
		{name: "length past the datagram", in: reply(msg{sockDiagByFamily, seq, good})[:50],
			errText: "sockdiag: malformed answer: message length 96 of 50 bytes"},
		{name: "length below the header", in: func() []byte {
			b := reply(msg{sockDiagByFamily, seq, good})
			binary.NativeEndian.PutUint32(b, 3)
			return b
		}(), errText: "sockdiag: malformed answer: message length 3 of 96 bytes"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseReply(tt.in, seq)
			switch {
			case tt.wantErr != nil:
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
			case tt.errText != "":
				if err == nil || err.Error() != tt.errText {
					t.Fatalf("err = %v, want %q", err, tt.errText)
				}
			case err != nil:
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("socket (-want +got):\n%s", diff)
			}
		})
	}
}

func TestBuildRequest(t *testing.T) {
	for _, tt := range []struct {
		name          string
		local, remote string
		family        uint8
		src, dst      []byte
	}{
		{"IPv4", "127.0.0.1:40000", "127.0.0.1:4566", unix.AF_INET, []byte{127, 0, 0, 1}, []byte{127, 0, 0, 1}},
		{"IPv4-mapped is IPv4", "[::ffff:127.0.0.2]:40000", "127.0.0.1:4566", unix.AF_INET, []byte{127, 0, 0, 2}, []byte{127, 0, 0, 1}},
		{"IPv6", "[::1]:40000", "[::1]:4566", unix.AF_INET6,
			netip.IPv6Loopback().AsSlice(), netip.IPv6Loopback().AsSlice()},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b, err := buildRequest(netip.MustParseAddrPort(tt.local), netip.MustParseAddrPort(tt.remote), 7)
			if err != nil {
				t.Fatal(err)
			}
			ne := binary.NativeEndian
			r := b[nlmsgHdrLen:]
			got := []any{len(b), ne.Uint32(b), ne.Uint16(b[4:]), ne.Uint16(b[6:]), ne.Uint32(b[8:]),
				r[0], r[1], ne.Uint32(r[4:]), binary.BigEndian.Uint16(r[8:]), binary.BigEndian.Uint16(r[10:]),
				r[12 : 12+len(tt.src)], r[28 : 28+len(tt.dst)], ne.Uint32(r[48:]), ne.Uint32(r[52:])}
			want := []any{requestLen, uint32(requestLen), uint16(sockDiagByFamily), uint16(unix.NLM_F_REQUEST), uint32(7),
				tt.family, uint8(unix.IPPROTO_TCP), ^uint32(0), uint16(40000), uint16(4566),
				tt.src, tt.dst, noCookie, noCookie}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("request fields (-want +got):\n%s", diff)
			}
		})
	}
}

// FuzzParseReply feeds arbitrary datagrams to the parser: it must never
// panic, and a socket it returns came from a message of the right length.
func FuzzParseReply(f *testing.F) {
	good := diagMsg(unix.AF_INET, StateEstablished, 40000, 41000, 990001, 12345, 8)
	f.Add(reply(msg{sockDiagByFamily, seq, good}))
	f.Add(reply(msg{nlmsgError, seq, errMsg(int32(syscall.ENOENT))}))
	f.Add(reply(msg{nlmsgError, seq + 1, errMsg(0)}, msg{sockDiagByFamily, seq, good}))
	f.Add(reply(msg{nlmsgDone, seq, nil}))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := parseReply(b, seq)
		if err == nil && s.Family != unix.AF_INET && s.Family != unix.AF_INET6 {
			t.Errorf("parsed a socket of family %d", s.Family)
		}
		if err != nil && s != (Socket{}) {
			t.Errorf("error %v with a socket %+v", err, s)
		}
	})
}

// BenchmarkLookupTCP is the cost of one lookup: what a Runtime API
// connection pays once.
func BenchmarkLookupTCP(b *testing.B) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	defer client.Close()
	server, err := ln.Accept()
	if err != nil {
		b.Fatal(err)
	}
	defer server.Close()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := peerOf(server); err != nil {
			b.Fatal(err)
		}
	}
}

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
