// Package netfault applies and reverts network faults in the current
// network namespace by programming the Linux kernel over netlink, with no
// iptables, nft or tc binaries: Loss (random packet drop with nf_tables)
// and Bandwidth (egress rate limit with a TBF qdisc). It is what the
// network sidecar runs: a container built from faultline's own static
// binary that joins the target container's network namespace
// (NetworkMode container:<id>, CapAdd NET_ADMIN) and calls Sidecar.
//
// It owns the kernel state of these faults: applying it, reading it back
// (Check) and removing it. It does not start containers, choose targets,
// or judge effects; package runner and its container drivers do.
//
// # Mechanism
//
// Loss installs the nftables table "faultline_loss" (family netdev) with
// a base chain on the ingress and/or egress hook of each interface that
// is up and not a loopback, holding `meta protocol != arp numgen random
// mod 10000 < N counter drop`, N = Percent*100. Dropping at the device
// hooks means a local sender sees a dropped packet as silence, as on a
// lossy link. Kernels without the egress hook (before 5.16) get the
// outgoing direction on an inet table of the same name, output hook
// (a UDP sender there sees EPERM). The whole table is one nf_tables
// transaction. Rules see packets as the stack hands them over, so with
// segmentation offload (veth, TSO) one drop can take a whole burst of TCP
// segments, as with netem.
//
// Bandwidth replaces the kernel's default root qdisc (handle 0:) of each
// shaped interface with a TBF qdisc with handle fa17: at Rate. It refuses
// an interface whose root qdisc someone configured, since deleting ours
// could not give it back. Only egress is shaped; to slow what a container
// receives, shape the sender.
//
// # Requirements
//
// CAP_NET_ADMIN in the namespace, nf_tables with numgen and counter, and
// sch_tbf. Preflight checks all three on a veth pair it creates and
// deletes, and names what is missing; NetemPreflight and NetemAvailable
// say whether sch_netem exists (it does not on these machines).
//
// # Revert
//
// Revert is idempotent and needs no state from Apply: Loss.Revert deletes
// any table named faultline_loss (netdev or inet), Bandwidth.Revert
// deletes any root tbf with handle fa17:, after which the kernel attaches
// the interface's default qdisc again. So `Sidecar(ctx, ["revert"], w)`
// cleans up after a sidecar that was killed before it could revert.
// The faults live in the namespace, not in the process: they end with the
// target container's namespace, or with Revert.
package netfault
