package proxy

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/faultline/faultline/experiments"
)

// Controller is what a fault needs of a proxy: a Link in this process,
// or a Remote one in a sidecar container.
type Controller interface {
	// Addr is the address probes reach the proxied component through.
	Addr() string
	// HTTPAware reports whether the proxy accepts http_error faults.
	HTTPAware() bool
	// Add applies f and returns an id for Remove.
	Add(f experiments.Fault) (string, error)
	// Remove ends fault id; ErrUnknownFault when it is not active.
	Remove(id string) error
	// Installed reports whether fault id is active.
	Installed(id string) bool
	// InjectedErrors is how many responses http_error fault id made up.
	InjectedErrors(id string) int64
}

var (
	_ Controller = (*Link)(nil)
	_ Controller = (*Remote)(nil)
)

// faultState is the control API's answer about one fault.
type faultState struct {
	ID             string `json:"id"`
	Installed      bool   `json:"installed"`
	InjectedErrors int64  `json:"injected_errors"`
}

// ControlHandler serves l's faults over HTTP, for a proxy running in a
// sidecar:
//
//	POST   /faults       an experiments.Fault as JSON; answers {"id": ...}
//	GET    /faults/{id}  {"installed": bool, "injected_errors": n}
//	DELETE /faults/{id}  204, or 404 when the fault is not active
//	GET    /healthz      204
func ControlHandler(l *Link) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /faults", func(w http.ResponseWriter, r *http.Request) {
		var f experiments.Fault
		if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&f); err != nil {
			http.Error(w, "bad fault: "+err.Error(), http.StatusBadRequest)
			return
		}
		id, err := l.Add(f)
		if err != nil {
			http.Error(w, err.Error(), http.StatusUnprocessableEntity)
			return
		}
		writeJSON(w, faultState{ID: id, Installed: true})
	})
	mux.HandleFunc("GET /faults/{id}", func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		writeJSON(w, faultState{ID: id, Installed: l.Installed(id), InjectedErrors: l.InjectedErrors(id)})
	})
	mux.HandleFunc("DELETE /faults/{id}", func(w http.ResponseWriter, r *http.Request) {
		err := l.Remove(r.PathValue("id"))
		switch {
		case errors.Is(err, ErrUnknownFault):
			http.Error(w, err.Error(), http.StatusNotFound)
		case err != nil:
			http.Error(w, err.Error(), http.StatusInternalServerError)
		default:
			w.WriteHeader(http.StatusNoContent)
		}
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	})
	return mux
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// remoteTimeout bounds one call to a sidecar's control API.
const remoteTimeout = 5 * time.Second

// Remote is a Link in another process, driven through its
// ControlHandler.
type Remote struct {
	control   string // base URL of the control API
	addr      string
	httpAware bool
	client    *http.Client
}

// NewRemote returns a Remote for the control API at controlURL (e.g.
// "http://127.0.0.1:32768"); addr is the address probes reach the
// proxied component through.
func NewRemote(controlURL, addr string, httpAware bool) *Remote {
	return &Remote{control: controlURL, addr: addr, httpAware: httpAware, client: &http.Client{Timeout: remoteTimeout}}
}

// Addr is the address probes reach the proxied component through.
func (r *Remote) Addr() string { return r.addr }

// HTTPAware reports whether the remote link accepts http_error faults.
func (r *Remote) HTTPAware() bool { return r.httpAware }

func (r *Remote) do(method, path string, body any) (*http.Response, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(b)
	}
	ctx, cancel := context.WithTimeout(context.Background(), remoteTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, r.control+path, rd)
	if err != nil {
		return nil, err
	}
	resp, err := r.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("proxy control %s: %w", r.control, err)
	}
	// The bodies are small: read them before ctx ends.
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(b))
	return resp, err
}

func failure(resp *http.Response) error {
	b, _ := io.ReadAll(resp.Body)
	return fmt.Errorf("%s: %s", resp.Status, bytes.TrimSpace(b))
}

// Add applies f in the sidecar.
func (r *Remote) Add(f experiments.Fault) (string, error) {
	resp, err := r.do(http.MethodPost, "/faults", f)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", failure(resp)
	}
	var st faultState
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		return "", fmt.Errorf("proxy control: %w", err)
	}
	return st.ID, nil
}

// Remove ends fault id in the sidecar.
func (r *Remote) Remove(id string) error {
	resp, err := r.do(http.MethodDelete, "/faults/"+url.PathEscape(id), nil)
	switch {
	case err != nil:
		return err
	case resp.StatusCode == http.StatusNotFound:
		return ErrUnknownFault
	case resp.StatusCode != http.StatusNoContent:
		return failure(resp)
	}
	return nil
}

func (r *Remote) state(id string) faultState {
	resp, err := r.do(http.MethodGet, "/faults/"+url.PathEscape(id), nil)
	var st faultState
	if err != nil || resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&st) != nil {
		return faultState{}
	}
	return st
}

// Installed asks the sidecar whether fault id is active; false when it
// cannot tell.
func (r *Remote) Installed(id string) bool { return r.state(id).Installed }

// InjectedErrors asks the sidecar how many responses http_error fault
// id made up.
func (r *Remote) InjectedErrors(id string) int64 { return r.state(id).InjectedErrors }
