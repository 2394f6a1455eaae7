//go:build !linux

package promtest

import "syscall"

// sysProcAttr is empty where the kernel cannot tie a child's life to
// its parent's; the test cleanup still stops Prometheus.
func sysProcAttr() *syscall.SysProcAttr {
	return nil
}
