package netfault

import (
	"strings"
	"testing"
)

func TestParseRate(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want uint64
		err  string
	}{
		{name: "bare bytes", in: "125000", want: 125000},
		{name: "mbit", in: "1mbit", want: 125000},
		{name: "upper case", in: "2Mbit", want: 250000},
		{name: "kbit", in: "512kbit", want: 64000},
		{name: "gbit", in: "1gbit", want: 125000000},
		{name: "mibit", in: "1mibit", want: 131072},
		{name: "fraction", in: "1.5mbit", want: 187500},
		{name: "experiment bytes", in: "64KB/s", want: 65536},
		{name: "experiment megabytes", in: "1MB/s", want: 1048576},
		{name: "bytes per second", in: "512B/s", want: 512},
		{name: "spaces", in: " 2 mbit ", want: 250000},
		{name: "unknown unit", in: "1 furlong", err: "unknown unit"},
		{name: "not a number", in: "fast", err: "not a rate"},
		{name: "zero", in: "0", err: "out of range"},
		{name: "below a byte", in: "1bit", err: "out of range"},
		{name: "too much", in: "10000gbit", err: "out of range"},
		{name: "negative", in: "-5", err: "not a rate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseRate(tt.in)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("ParseRate(%q) = %d, %v, want an error about %q", tt.in, got, err, tt.err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseRate(%q) = %d, %v, want %d", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestFormatRate(t *testing.T) {
	tests := []struct {
		in   uint64
		want string
	}{
		{125000, "1 Mbit/s"},
		{250000, "2 Mbit/s"},
		{187500, "1.5 Mbit/s"},
		{64000, "512 kbit/s"},
		{65536, "524.288 kbit/s"},
		{125000000, "1 Gbit/s"},
		{10, "80 bit/s"},
	}
	for _, tt := range tests {
		if got := FormatRate(tt.in); got != tt.want {
			t.Errorf("FormatRate(%d) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestBandwidthDefaults(t *testing.T) {
	tests := []struct {
		name         string
		b            Bandwidth
		mtu          int
		burst, limit uint32
	}{
		// Slow: two full frames of burst, three of queue on top.
		{"2 Mbit/s", Bandwidth{Rate: 250000}, 1500, 3028, 3028 + 25000},
		{"100 kbit/s", Bandwidth{Rate: 12500}, 1500, 3028, 3028 + 3*1514},
		// Fast: 10 ms of burst, 100 ms of queue on top.
		{"1 Gbit/s", Bandwidth{Rate: 125000000}, 1500, 1250000, 1250000 + 12500000},
		{"jumbo frames", Bandwidth{Rate: 250000}, 9000, 18028, 18028 + 27042},
		{"given", Bandwidth{Rate: 250000, Burst: 10000, Limit: 20000}, 1500, 10000, 20000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			burst, limit, err := tt.b.params(tt.mtu)
			if err != nil || burst != tt.burst || limit != tt.limit {
				t.Errorf("params(%d) = %d, %d, %v, want %d, %d", tt.mtu, burst, limit, err, tt.burst, tt.limit)
			}
		})
	}
}

func TestParseSidecar(t *testing.T) {
	tests := []struct {
		name  string
		args  []string
		want  fault
		err   string
		usage bool // the error repeats the usage
	}{
		{name: "loss", args: []string{"loss", "--percent", "20"}, want: Loss{Percent: 20, Direction: "both"}},
		{name: "loss in", args: []string{"loss", "--percent=2.5", "--direction", "in", "--iface", "eth1"}, want: Loss{Percent: 2.5, Direction: "in", Iface: "eth1"}},
		{name: "bandwidth bits", args: []string{"bandwidth", "--rate", "1mbit"}, want: Bandwidth{Rate: 125000}},
		{name: "bandwidth bytes", args: []string{"bandwidth", "--rate", "125000", "--iface", "eth0", "--burst", "4000", "--limit", "9000"},
			want: Bandwidth{Iface: "eth0", Rate: 125000, Burst: 4000, Limit: 9000}},
		{name: "nothing", args: nil, err: "no network fault", usage: true},
		{name: "unknown fault", args: []string{"latency"}, err: `unknown network fault "latency"`, usage: true},
		{name: "no percent", args: []string{"loss"}, err: "needs --percent", usage: true},
		{name: "bad percent", args: []string{"loss", "--percent", "120"}, err: "out of range"},
		{name: "bad direction", args: []string{"loss", "--percent", "5", "--direction", "up"}, err: "direction"},
		{name: "unknown flag", args: []string{"loss", "--percent", "5", "--jitter", "3"}, err: "jitter", usage: true},
		{name: "extra argument", args: []string{"loss", "--percent", "5", "now"}, err: "unexpected arguments now", usage: true},
		{name: "no rate", args: []string{"bandwidth"}, err: "needs --rate", usage: true},
		{name: "bad rate", args: []string{"bandwidth", "--rate", "fast"}, err: "not a rate"},
		{name: "tiny burst", args: []string{"bandwidth", "--rate", "1mbit", "--burst", "10"}, err: "smaller than one full frame"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseSidecar(tt.args)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("parseSidecar(%q) = %+v, %v, want an error about %q", tt.args, got, err, tt.err)
				}
				if tt.usage && !strings.Contains(err.Error(), "usage:") {
					t.Errorf("parseSidecar(%q) error %q lacks the usage", tt.args, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("parseSidecar(%q) = %+v, %v, want %+v", tt.args, got, err, tt.want)
			}
		})
	}
}
