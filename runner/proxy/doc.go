// Package proxy is faultline's in-process proxy in front of one component:
// a Link listens on the component's public address, forwards to the
// component's own address, and applies the proxy fault kinds to the
// traffic in between.
//
// TCP kinds (latency, jitter, bandwidth, timeout, blackhole, reset,
// slow_close, limit_data) are Toxiproxy toxics, run in process through
// the Toxiproxy library. The HTTP kind (http_error) needs an HTTP-aware
// link: its public listener is an HTTP reverse proxy whose upstream is the
// Toxiproxy listener on a private loopback port, so the TCP kinds still
// apply behind it.
//
// It owns the proxying and the translation of a fault into a toxic. It
// does not decide when faults are injected, check that they landed, or
// start the component (package runner and package process do).
//
// # Toxiproxy behaviour relied on
//
// Toxics are per TCP connection and per direction, and are added to and
// removed from connections that are already open, so keep-alive
// connections pick up a fault at once. Removing a timeout or blackhole
// toxic closes the connections it held (the toxic's Cleanup closes its
// stage of the pipe): clients see the connection end instead of hanging
// forever, and new connections are normal at once. A timeout drops data
// but passes on a close from the other side at once. Toxicity is drawn
// per connection, and may be drawn again when the chain of toxics on that
// connection changes.
package proxy
