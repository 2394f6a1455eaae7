// Command echo is the test image of package container: a small HTTP server
// built static into a scratch image, so that the package's tests need no
// registry.
//
//	echo [serve]          serve HTTP on $PORT (default 8080)
//	echo say WORDS...     print WORDS joined by spaces and exit 0
//	echo fail CODE        print "failing" to stderr and exit with CODE
//
// Endpoints: /healthz; /echo (replies "<hostname> <msg>"); /burn?ms=N
// (spins until the thread has used N ms of CPU time and replies with the
// wall time it took, so a CPU limit shows as a slower reply); /call?url=U
// (GETs U on a new connection, within 2s or timeout=D, and relays its
// body; 502 with the error if the call fails).
// It logs "ready" once it listens, and exits 0 on SIGTERM.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	args := os.Args[1:]
	if len(args) == 0 {
		args = []string{"serve"}
	}
	switch args[0] {
	case "serve":
		if err := serve(); err != nil {
			fmt.Fprintln(os.Stderr, "echo:", err)
			os.Exit(1)
		}
	case "say":
		fmt.Println(strings.Join(args[1:], " "))
	case "fail":
		code := 1
		if len(args) > 1 {
			if n, err := strconv.Atoi(args[1]); err == nil {
				code = n
			}
		}
		fmt.Fprintln(os.Stderr, "failing")
		os.Exit(code)
	default:
		fmt.Fprintf(os.Stderr, "echo: unknown subcommand %q (want serve, say or fail)\n", args[0])
		os.Exit(2)
	}
}

func serve() error {
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	host, _ := os.Hostname()

	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%s %s\n", host, r.URL.Query().Get("msg"))
	})
	mux.HandleFunc("/burn", func(w http.ResponseWriter, r *http.Request) {
		ms, err := strconv.Atoi(r.URL.Query().Get("ms"))
		if err != nil || ms <= 0 || ms > 10000 {
			http.Error(w, "want ms=1..10000", http.StatusBadRequest)
			return
		}
		start := time.Now()
		if err := burn(time.Duration(ms) * time.Millisecond); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		fmt.Fprintf(w, "%d\n", time.Since(start).Microseconds())
	})
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	mux.HandleFunc("/call", func(w http.ResponseWriter, r *http.Request) {
		timeout := 2 * time.Second
		if t := r.URL.Query().Get("timeout"); t != "" {
			d, err := time.ParseDuration(t)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			timeout = d
		}
		ctx, cancel := context.WithTimeout(r.Context(), timeout)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.URL.Query().Get("url"), nil)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		resp, err := client.Do(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		w.WriteHeader(resp.StatusCode)
		_, _ = io.Copy(w, resp.Body)
	})

	ln, err := net.Listen("tcp", ":"+port)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	fmt.Printf("ready on :%s\n", port)
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// burn spins on one OS thread until that thread has used cpu of CPU time.
func burn(cpu time.Duration) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	start, err := threadCPU()
	if err != nil {
		return err
	}
	x := uint64(1)
	for {
		for range 20000 {
			x = x*6364136223846793005 + 1442695040888963407
		}
		used, err := threadCPU()
		if err != nil {
			return err
		}
		if used-start >= cpu {
			sink = x
			return nil
		}
	}
}

var sink uint64

// threadCPU is the CPU time (user and system) the calling thread has used.
func threadCPU() (time.Duration, error) {
	const rusageThread = 1 // RUSAGE_THREAD
	var ru syscall.Rusage
	if err := syscall.Getrusage(rusageThread, &ru); err != nil {
		return 0, err
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), nil
}
