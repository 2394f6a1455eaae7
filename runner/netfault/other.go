//go:build !linux

package netfault

import (
	"context"
	"errors"
)

// errNotLinux is what every kernel operation returns off Linux.
var errNotLinux = errors.New("network faults program the Linux kernel (nf_tables, tc) and work only on Linux: run them in a Linux container or host")

// Apply fails: loss faults need Linux.
func (l Loss) Apply(ctx context.Context) error { return errNotLinux }

// Revert fails: loss faults need Linux.
func (l Loss) Revert() error { return errNotLinux }

// Check reports that loss faults need Linux.
func (l Loss) Check() Landed { return Landed{Detail: errNotLinux.Error()} }

// Apply fails: bandwidth faults need Linux.
func (b Bandwidth) Apply(ctx context.Context) error { return errNotLinux }

// Revert fails: bandwidth faults need Linux.
func (b Bandwidth) Revert() error { return errNotLinux }

// Check reports that bandwidth faults need Linux.
func (b Bandwidth) Check() Landed { return Landed{Detail: errNotLinux.Error()} }

// Preflight fails: network faults need Linux.
func Preflight() error { return errNotLinux }

// NetemAvailable is false off Linux.
func NetemAvailable() bool { return false }

// NetemPreflight fails: netem is a Linux qdisc.
func NetemPreflight() error { return errNotLinux }
