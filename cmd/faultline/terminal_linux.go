package main

import (
	"fmt"
	"sync"

	"golang.org/x/sys/unix"
)

// keyMode switches a terminal to reading key by key without echo, so that
// faultline gameday can keep the line being typed inside its status
// area, and back. Ctrl-C still sends SIGINT. It is safe for concurrent
// use: main restores the terminal before a hurried exit.
type keyMode struct {
	mu    sync.Mutex
	fd    int
	saved *unix.Termios
}

// enter switches the terminal fd to key-by-key input.
func (m *keyMode) enter(fd int) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	t, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		return fmt.Errorf("read the terminal's settings: %w", err)
	}
	saved := *t
	t.Lflag &^= unix.ICANON | unix.ECHO
	t.Cc[unix.VMIN], t.Cc[unix.VTIME] = 1, 0
	if err := unix.IoctlSetTermios(fd, unix.TCSETS, t); err != nil {
		return fmt.Errorf("set the terminal to read key by key: %w", err)
	}
	m.fd, m.saved = fd, &saved
	return nil
}

// restore puts back the settings enter found; it does nothing when
// enter was not called or restore already ran.
func (m *keyMode) restore() {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.saved == nil {
		return
	}
	unix.IoctlSetTermios(m.fd, unix.TCSETS, m.saved)
	m.saved = nil
}
