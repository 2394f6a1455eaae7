// Package process starts and owns local processes that serve as experiment
// targets: it starts a command in its own process group, waits until it
// serves, signals, pauses, resumes, restarts and stops it, and reports its
// state.
//
// It owns the life of the processes it starts, and nothing else: it does
// not decide which faults to inject (package runner does), does not proxy
// their traffic (package proxy does) and does not judge their behaviour.
//
// # Process groups and signals
//
// Each process is started as the leader of a new process group, and every
// signal goes to the whole group, so wrappers such as `go run` or a shell
// script cannot leave children behind. When the leader exits, the rest of
// its group is killed before the leader is reaped; because the leader's
// PID stays reserved until it is reaped, a signal is never sent to a
// group whose ID could have been reused.
//
// # Death of faultline
//
// Each process is started with Pdeathsig SIGKILL, so it is killed if the
// faultline process dies. Linux sends the parent-death signal when the
// OS thread that forked the child exits, not when the whole parent
// process exits, and the Go runtime may end OS threads (a goroutine that
// exits while locked to its thread takes the thread with it). The process
// is therefore started from a dedicated goroutine locked to its OS thread
// that lives exactly as long as the process: it starts the process, waits
// for it to exit, kills the rest of its group and reaps it. The thread
// cannot exit while the process lives, so the signal is sent only when
// faultline itself dies.
//
// Caveat: the parent-death signal reaches only the group leader. Its own
// children (for instance the program started by `go run`) are orphaned,
// not killed, when faultline dies with SIGKILL; start the real binary
// directly.
package process
