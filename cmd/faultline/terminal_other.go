//go:build !linux

package main

import "errors"

// keyMode is Linux-only; elsewhere a game day reads whole lines, which
// the terminal echoes.
type keyMode struct{}

func (m *keyMode) enter(int) error {
	return errors.New("reading key by key is supported on Linux only")
}

func (m *keyMode) restore() {}
