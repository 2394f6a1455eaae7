// Package journal is a run's crash-safe record of what faultline did to
// the world: journal.jsonl in the run directory, one JSON record a line,
// append-only.
//
// Every action that leaves something behind (a process, a proxy, a
// network, a container, a sidecar, an injected fault) is announced by an
// intent record before it is taken and settled by a done or failed record
// after it. Each record is written with one write of one whole line and
// synced to disk before the call returns, so an intent is durable before
// the action it announces, and a crash (SIGKILL, power loss) leaves at
// most a torn last line, which Read tolerates. An intent carries in its
// data everything needed to undo the action without the process that
// took it.
//
// Read parses a journal; Journal.Pending lists, newest first, the
// actions whose effects may still be in place; Append reopens the journal
// of a run that is over so that `faultline recover` can record what it
// undid. A Writer holds an exclusive flock on the file for as long as it
// is open, so a run that is still alive is never recovered under its feet
// (InUse tells).
//
// The package owns the file format, the write discipline and the pairing
// rules that decide what is pending (docs/journal.md is the contract). It
// does not decide what goes into a record's data, and it undoes nothing:
// the runner writes the records and `faultline recover` acts on them.
package journal
