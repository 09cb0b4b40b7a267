package main

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// server is one SQS server to measure: how to start it, or why not.
type server struct {
	name  string
	skip  string
	start func(addr string) (*exec.Cmd, error)
}

func servers(o options, work string) []server {
	list := []server{{name: "Nimbus", start: func(addr string) (*exec.Cmd, error) {
		// Durable: a data directory, every send synced before its answer.
		return startCmd(o.nimbus, "up", "--addr", addr, "--data-dir", filepath.Join(work, "nimbus"), "--log-level", "warn")
	}}}
	g := server{name: "goaws v0.4.5", skip: "no -goaws binary"}
	if o.goaws != "" {
		g.skip = ""
		g.start = func(addr string) (*exec.Cmd, error) {
			_, port, _ := net.SplitHostPort(addr)
			conf := filepath.Join(work, "goaws.yaml")
			yaml := fmt.Sprintf("Local:\n  Host: 127.0.0.1\n  Port: %s\n  Region: us-east-1\n  AccountId: \"000000000000\"\n  LogToFile: false\n", port)
			if err := os.WriteFile(conf, []byte(yaml), 0o644); err != nil {
				return nil, err
			}
			return startCmd(o.goaws, "-config", conf, "Local")
		}
	}
	list = append(list, g)
	m := server{name: "moto_server", skip: "moto_server not found"}
	if path, err := exec.LookPath(o.moto); err == nil {
		// A pyenv shim is a shell script: run the interpreter's own entry
		// point, so that the server's CPU is the process's.
		if strings.Contains(path, "/shims/") {
			if found, _ := filepath.Glob(filepath.Join(filepath.Dir(filepath.Dir(path)), "versions", "*", "bin", filepath.Base(path))); len(found) > 0 {
				path = found[len(found)-1]
			}
		}
		m.skip = ""
		m.name = "moto_server " + motoVersion(path)
		m.start = func(addr string) (*exec.Cmd, error) {
			host, port, _ := net.SplitHostPort(addr)
			cmd, err := startQuiet(path, "-H", host, "-p", port) // it logs every request
			return cmd, err
		}
	}
	return append(list, m)
}

func motoVersion(path string) string {
	out, err := exec.Command(filepath.Join(filepath.Dir(path), "python3"), "-c", "import moto; print(moto.__version__)").Output()
	if err != nil {
		out, _ = exec.Command("python3", "-c", "import moto; print(moto.__version__)").Output()
	}
	return strings.TrimSpace(string(out))
}

func startCmd(name string, args ...string) (*exec.Cmd, error) {
	cmd := exec.Command(name, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
	cmd.Stdout, cmd.Stderr = nil, os.Stderr
	return cmd, cmd.Start()
}

// startQuiet is startCmd without the server's output.
func startQuiet(name string, args ...string) (*exec.Cmd, error) {
	cmd := exec.Command(name, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
	return cmd, cmd.Start()
}

func stop(cmd *exec.Cmd) {
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
	}
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// waitUp waits until something answers HTTP at addr.
func waitUp(addr string, exited <-chan struct{}) error {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get("http://" + addr + "/")
		if err == nil {
			resp.Body.Close()
			return nil
		}
		select {
		case <-exited:
			return fmt.Errorf("exited before it answered")
		case <-time.After(20 * time.Millisecond):
		}
	}
	return fmt.Errorf("not answering at %s after 30s", addr)
}

// processCPU is a process's utime+stime, with its children's.
func processCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	s := string(b)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	var ticks int64
	for _, i := range []int{11, 12, 13, 14} { // utime stime cutime cstime
		n, _ := strconv.ParseInt(fields[i], 10, 64)
		ticks += n
	}
	return time.Duration(ticks) * 10 * time.Millisecond, nil
}
