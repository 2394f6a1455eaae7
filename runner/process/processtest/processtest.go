// Package processtest turns a test binary into a small server that tests
// start as a real child process: an HTTP or TCP target for the tests of
// process targets, the proxy and the fault drivers.
//
// A test package calls Main at the start of its TestMain; Argv and Env
// build the command that re-executes
// the test binary in one of the roles below. It owns nothing outside tests.
//
// Roles (the first argument after "--"):
//
//	serve ADDR               HTTP on ADDR: /healthz -> "ok", /bytes?n=N -> N bytes, / -> "hello"
//	serve-after DELAY ADDR   sleep DELAY (a Go duration), then serve
//	ignore-term ADDR         serve, ignoring SIGTERM
//	spawn PIDFILE ADDR       start a child in the same process group (role sleep),
//	                         write its PID to PIDFILE, then serve
//	tcp ADDR                 TCP on ADDR: write "hello\n" on accept, then echo
//	sleep                    never listen; sleep until killed
//	exit CODE MESSAGE        print MESSAGE on stderr and exit with CODE
package processtest

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

const envKey = "FAULTLINE_PROCESSTEST"

// Env is the environment entry that makes a test binary run Main's role.
func Env() string { return envKey + "=1" }

// Argv is the command that re-executes the current test binary in role
// with args. The child needs Env in its environment.
func Argv(role string, args ...string) []string {
	return append([]string{os.Args[0], "-test.run=^$", "--", role}, args...)
}

// Main runs the role named on the command line and exits, when the
// process was started with Env; otherwise it returns at once.
func Main() {
	if os.Getenv(envKey) != "1" {
		return
	}
	args := os.Args
	for i, a := range args {
		if a == "--" {
			args = args[i+1:]
			break
		}
	}
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, "processtest: no role")
		os.Exit(2)
	}
	if err := runRole(args[0], args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "processtest:", err)
		os.Exit(2)
	}
	os.Exit(0)
}

func runRole(role string, args []string) error {
	switch {
	case role == "serve" && len(args) == 1:
		return serveHTTP(args[0])
	case role == "serve-after" && len(args) == 2:
		d, err := time.ParseDuration(args[0])
		if err != nil {
			return err
		}
		fmt.Println("warming up for", d)
		time.Sleep(d)
		return serveHTTP(args[1])
	case role == "ignore-term" && len(args) == 1:
		signal.Ignore(syscall.SIGTERM)
		return serveHTTP(args[0])
	case role == "spawn" && len(args) == 2:
		cmd := exec.Command(os.Args[0], Argv("sleep")[1:]...)
		if err := cmd.Start(); err != nil {
			return err
		}
		if err := os.WriteFile(args[0], []byte(strconv.Itoa(cmd.Process.Pid)), 0o644); err != nil {
			return err
		}
		return serveHTTP(args[1])
	case role == "tcp" && len(args) == 1:
		return serveTCP(args[0])
	case role == "sleep" && len(args) == 0:
		fmt.Println("sleeping")
		select {}
	case role == "exit" && len(args) == 2:
		code, err := strconv.Atoi(args[0])
		if err != nil {
			return err
		}
		fmt.Fprintln(os.Stderr, args[1])
		os.Exit(code)
	}
	return fmt.Errorf("unknown role or arguments: %s %q", role, args)
}

func serveHTTP(addr string) error {
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("/bytes", func(w http.ResponseWriter, r *http.Request) {
		n, err := strconv.Atoi(r.URL.Query().Get("n"))
		if err != nil || n < 0 {
			http.Error(w, "bad n", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Length", strconv.Itoa(n))
		_, _ = io.Copy(w, io.LimitReader(repeat('x'), int64(n)))
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "hello")
	})
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	fmt.Println("serving on", l.Addr())
	return http.Serve(l, mux)
}

func serveTCP(addr string) error {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	fmt.Println("serving tcp on", l.Addr())
	for {
		c, err := l.Accept()
		if err != nil {
			return err
		}
		go func() {
			defer c.Close()
			if _, err := io.WriteString(c, "hello\n"); err != nil {
				return
			}
			_, _ = io.Copy(c, c)
		}()
	}
}

type repeat byte

func (r repeat) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(r)
	}
	return len(p), nil
}

// FreeAddr returns a 127.0.0.1 address with a port that was free a moment
// ago.
func FreeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("find a free port: %v", err)
	}
	defer l.Close()
	return l.Addr().String()
}

// Gone reports whether pid no longer runs: it does not exist or is a
// zombie waiting for a parent that will not reap it.
func Gone(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i >= 0 && i+2 < len(s) && (s[i+2] == 'Z' || s[i+2] == 'X')
}
