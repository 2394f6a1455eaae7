package promtest

import "syscall"

// sysProcAttr has the kernel kill Prometheus when the test process
// dies without running its cleanups (a panic, a timeout, kill -9).
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
