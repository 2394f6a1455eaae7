package service

import (
	"bufio"
	"context"
	"flag"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

func TestParseFlags(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		want    string
		wantErr string
	}{
		{name: "default", want: ":8080"},
		{name: "environment", env: map[string]string{"LISTEN_ADDR": ":9000"}, want: ":9000"},
		{name: "flag wins", args: []string{"-listen", ":9100"}, env: map[string]string{"LISTEN_ADDR": ":9000"}, want: ":9100"},
		{name: "bad environment", env: map[string]string{"WAIT": "soon"}, wantErr: `environment variable WAIT="soon" is not a valid -wait`},
		{name: "positional", args: []string{"extra"}, wantErr: `unexpected argument "extra"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := flag.NewFlagSet("test", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			listen := fs.String("listen", ":8080", "")
			fs.Duration("wait", time.Second, "")
			getenv := func(k string) string { return tt.env[k] }
			err := ParseFlags(fs, tt.args, getenv, map[string]string{"listen": "LISTEN_ADDR", "wait": "WAIT"})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseFlags() = %v, want an error containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseFlags() = %v", err)
			}
			if *listen != tt.want {
				t.Errorf("listen = %q, want %q", *listen, tt.want)
			}
		})
	}
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func TestMuxMeasuresRoutes(t *testing.T) {
	m := NewMux(prometheus.NewRegistry())
	m.Handle("GET /teapot/{id}", func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusTeapot)
	})
	srv := httptest.NewServer(m)
	defer srv.Close()

	if code, body := get(t, srv.URL+"/healthz"); code != 200 || body != "ok\n" {
		t.Errorf("GET /healthz = %d %q, want 200 \"ok\\n\"", code, body)
	}
	for _, id := range []string{"1", "2", "3"} {
		if code, _ := get(t, srv.URL+"/teapot/"+id); code != http.StatusTeapot {
			t.Errorf("GET /teapot/%s = %d, want 418", id, code)
		}
	}
	code, metrics := get(t, srv.URL+"/metrics")
	if code != 200 {
		t.Fatalf("GET /metrics = %d, want 200", code)
	}
	for _, want := range []string{
		`http_request_duration_seconds_count{code="418",route="/teapot/{id}"} 3`,
		`http_request_duration_seconds_count{code="200",route="/healthz"} 1`,
		`http_request_duration_seconds_bucket{code="418",route="/teapot/{id}",le="0.001"}`,
		`go_goroutines `,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("GET /metrics lacks %q; got:\n%s", want, metrics)
		}
	}
}

// logLines returns a logger writing to a pipe and the lines read from it.
func logLines(t *testing.T) (*log.Logger, <-chan string) {
	pr, pw := io.Pipe()
	t.Cleanup(func() { pw.Close() })
	lines := make(chan string, 16)
	go func() {
		defer close(lines)
		s := bufio.NewScanner(pr)
		for s.Scan() {
			lines <- s.Text()
		}
	}()
	return log.New(pw, "", 0), lines
}

func TestRunServesUntilCancelled(t *testing.T) {
	logger, lines := logLines(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, "test", "127.0.0.1:0", NewMux(prometheus.NewRegistry()), logger) }()

	first := <-lines
	addr, ok := strings.CutPrefix(first, "test: listening on ")
	if !ok {
		t.Fatalf("first log line = %q, want \"test: listening on <address>\"", first)
	}
	if code, _ := get(t, "http://"+addr+"/healthz"); code != 200 {
		t.Fatalf("GET /healthz = %d, want 200", code)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run() = %v, want nil after cancel", err)
		}
	case <-time.After(Grace):
		t.Fatal("Run() still running a grace period after cancel with no requests in flight")
	}
	if _, err := http.Get("http://" + addr + "/healthz"); err == nil {
		t.Error("GET /healthz after shutdown succeeded, want a connection error")
	}
}

func TestRunCutsOffHungRequests(t *testing.T) {
	logger, lines := logLines(t)
	m := NewMux(prometheus.NewRegistry())
	entered := make(chan struct{})
	m.Handle("GET /hang", func(_ http.ResponseWriter, r *http.Request) {
		close(entered)
		<-r.Context().Done()
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, "test", "127.0.0.1:0", m, logger) }()
	addr, _ := strings.CutPrefix(<-lines, "test: listening on ")

	reqErr := make(chan error, 1)
	go func() {
		resp, err := http.Get("http://" + addr + "/hang")
		if err == nil {
			resp.Body.Close()
		}
		reqErr <- err
	}()
	<-entered
	start := time.Now()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run() = %v, want nil", err)
		}
	case <-time.After(Grace + 2*time.Second):
		t.Fatalf("Run() still running %v after cancel, want it to cut the hung request off after %v", Grace+2*time.Second, Grace)
	}
	if got := time.Since(start); got < Grace {
		t.Errorf("Run() returned %v after cancel, want it to wait the %v grace first", got, Grace)
	}
	if err := <-reqErr; err == nil {
		t.Error("hung request succeeded, want its connection closed")
	}
}
