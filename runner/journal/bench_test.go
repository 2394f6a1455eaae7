package journal

import (
	"testing"
)

// BenchmarkAppend measures one append (an intent with the data of a
// container fault) with its fsync, and without it to show what the sync
// costs. It writes in the test's temporary directory; set TMPDIR to
// measure another disk.
func BenchmarkAppend(b *testing.B) {
	data := injectData{Kind: "memory", ContainerID: "3f9c0a8e1b7d4c2a9e6f5d8c7b1a0e9f3d2c1b0a9e8f7d6c5b4a3f2e1d0c9b8a", PrevCPUs: 2, RevertArgv: []string{"/cache", "-unflush"}, Sidecar: "faultline-20260301-120405-shop-cache-loss-1"}
	for _, sync := range []bool{true, false} {
		name := "fsync"
		if !sync {
			name = "no-fsync"
		}
		b.Run(name, func(b *testing.B) {
			w, err := Create(b.TempDir(), runRecord())
			if err != nil {
				b.Fatal(err)
			}
			defer w.Close()
			w.noSync = !sync
			b.ReportAllocs()
			for b.Loop() {
				if _, err := w.Intent(OpInject, "cache", data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
