// Package container runs experiment targets as containers on a local
// container engine, through testcontainers-go, and acts on them for faults.
//
// It owns the engine side of a run: the connection and its preflight
// (Connect), images built from local contexts (Build, ImageExists), the
// per-run bridge network (NewRun), containers started on it and waited for
// (Run.Start), the actions faults are made of (Container: Kill, Stop, Start,
// Restart, Pause, Unpause, Disconnect, Reconnect, UpdateResources, Exec) and
// the removal of everything a run made (Run.Close, RemoveRun, Leftovers).
// It does not decide which faults to inject or check that they landed
// (package runner does), does not parse the container blocks of an
// experiment, and does not judge.
//
// # Offline engines
//
// Nothing is ever pulled. Build refuses a Dockerfile whose FROM is not
// scratch, an earlier stage or an image the engine already has, and uses
// the classic builder, which needs no image for scratch. Start checks that
// the image is present before it creates anything, and fails with
// ErrImageMissing otherwise. Connect turns the testcontainers-go reaper
// (Ryuk) off, since its image would have to be pulled; instead, every
// container and network of a run carries the label faultline.run=<runID>,
// and Run.Close or RemoveRun (after a crash) removes them by that label.
// Cleanup ignores the cancellation of its context and runs on a deadline of
// its own, so an interrupted run still leaves nothing behind. Creations and
// starts also run on contexts that are not cancelled (with a deadline), so
// that when a call returns, what it made is known to exist or not.
//
// # Names and addresses
//
// Run r's network is faultline-<r>; component c's container is
// faultline-<r>-<c>, with c and its Spec.Aliases as names on that network,
// so components reach each other as http://c:port. The host reaches them
// through ports published on random ports of 127.0.0.1 (HostAddr), which
// change whenever a container is started again or reconnected, so they are
// read from the engine each time. A remote engine (DOCKER_HOST=tcp://...)
// is not supported for published ports.
//
// # Readiness
//
// Readiness uses testcontainers-go wait strategies that run nothing inside
// the container, so they work in scratch images: an HTTP path answering
// 200, a published TCP port accepting connections (without the internal
// check, which needs /bin/sh), and a regular expression over the output
// since the current start. The same checks run after Container.Start and
// Restart.
//
// # Sidecars
//
// A container started with NetworkMode "container:<id>" shares the network
// namespace of another container of the run. That is how faultline changes
// a target's network (netfilter, qdiscs) from an image of its own, with
// CapAdd NET_ADMIN, without tools inside the target's image. A sidecar
// keeps the namespace it joined: when the target is started again it gets a
// new one, and the sidecar has to be started again to follow it.
package container
