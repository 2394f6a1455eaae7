package main

import (
	"encoding/json"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/faultline/faultline/examples/shop/internal/work"
)

func newServer(t *testing.T, median time.Duration, items int) *httptest.Server {
	t.Helper()
	s := newStore(work.New(median, 0, rand.New(rand.NewPCG(1, 2))), items)
	srv := httptest.NewServer(s.handler(prometheus.NewRegistry()))
	t.Cleanup(srv.Close)
	return srv
}

func do(t *testing.T, method, url, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestSeededCatalogue(t *testing.T) {
	srv := newServer(t, 0, 3)
	tests := []struct {
		id   string
		code int
	}{
		{id: "1", code: 200},
		{id: "3", code: 200},
		{id: "0", code: 404},
		{id: "4", code: 404},
	}
	for _, tt := range tests {
		code, body := do(t, "GET", srv.URL+"/items/"+tt.id, "")
		if code != tt.code {
			t.Errorf("GET /items/%s = %d %q, want %d", tt.id, code, body, tt.code)
			continue
		}
		if code != 200 {
			continue
		}
		var it item
		if err := json.Unmarshal([]byte(body), &it); err != nil {
			t.Fatalf("GET /items/%s body %q: %v", tt.id, body, err)
		}
		if it.ID != tt.id || it.Name == "" || it.Cents != price(tt.id) || it.Cents < 100 {
			t.Errorf("GET /items/%s = %+v, want id %s, a name and %d cents", tt.id, it, tt.id, price(tt.id))
		}
	}
}

func TestPutThenGet(t *testing.T) {
	srv := newServer(t, 0, 1)
	if code, body := do(t, "PUT", srv.URL+"/items/order-7", `{"item":"1"}`); code != http.StatusNoContent {
		t.Fatalf("PUT /items/order-7 = %d %q, want 204", code, body)
	}
	if code, body := do(t, "GET", srv.URL+"/items/order-7", ""); code != 200 || body != `{"item":"1"}` {
		t.Errorf("GET /items/order-7 = %d %q, want 200 with the document put", code, body)
	}
	if code, _ := do(t, "PUT", srv.URL+"/items/x", `not json`); code != http.StatusBadRequest {
		t.Errorf("PUT of a non-JSON body = %d, want 400", code)
	}
	if code, _ := do(t, "GET", srv.URL+"/items/x", ""); code != http.StatusNotFound {
		t.Errorf("GET after a rejected PUT = %d, want 404", code)
	}
}

func TestServiceTime(t *testing.T) {
	srv := newServer(t, 40*time.Millisecond, 1)
	for _, method := range []string{"GET", "PUT"} {
		start := time.Now()
		do(t, method, srv.URL+"/items/1", `{}`)
		if got := time.Since(start); got < 40*time.Millisecond {
			t.Errorf("%s /items/1 took %v, want at least the 40ms service time", method, got)
		}
	}
}

func TestMetrics(t *testing.T) {
	srv := newServer(t, 0, 1)
	do(t, "GET", srv.URL+"/items/1", "")
	do(t, "GET", srv.URL+"/items/2", "")
	do(t, "PUT", srv.URL+"/items/2", "{}")
	_, metrics := do(t, "GET", srv.URL+"/metrics", "")
	for _, want := range []string{
		`http_request_duration_seconds_count{code="200",route="/items/{id}"} 1`,
		`http_request_duration_seconds_count{code="404",route="/items/{id}"} 1`,
		`http_request_duration_seconds_count{code="204",route="/items/{id}"} 1`,
		`http_request_duration_seconds_bucket{code="200",route="/items/{id}",le="+Inf"} 1`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("GET /metrics lacks %q", want)
		}
	}
}

func TestParseConfig(t *testing.T) {
	env := map[string]string{"STORE_MEDIAN": "12ms", "STORE_SPREAD": "0.25", "LISTEN_ADDR": ":9000"}
	c, err := parseConfig([]string{"-items", "7"}, func(k string) string { return env[k] })
	if err != nil {
		t.Fatalf("parseConfig() = %v", err)
	}
	want := config{listen: ":9000", median: 12 * time.Millisecond, spread: 0.25, items: 7}
	if c != want {
		t.Errorf("parseConfig() = %+v, want %+v", c, want)
	}
	if _, err := parseConfig([]string{"-spread", "-1"}, func(string) string { return "" }); err == nil {
		t.Error("parseConfig(-spread -1) = nil, want an error")
	}
}
