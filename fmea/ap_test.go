package fmea

import (
	"fmt"
	"testing"
)

// apRows is the AIAG-VDA (2019) Action Priority table as the handbook
// prints it, written out here independently of apTable: for each
// severity range and occurrence range, the priorities for detection 7-10,
// 5-6, 2-4 and 1.
var apRows = []struct {
	sLo, sHi, oLo, oHi int
	ap                 string
}{
	{9, 10, 8, 10, "HHHH"}, {9, 10, 6, 7, "HHHH"}, {9, 10, 4, 5, "HHHM"}, {9, 10, 2, 3, "HMLL"}, {9, 10, 1, 1, "LLLL"},
	{7, 8, 8, 10, "HHHH"}, {7, 8, 6, 7, "HHHM"}, {7, 8, 4, 5, "HMMM"}, {7, 8, 2, 3, "MMLL"}, {7, 8, 1, 1, "LLLL"},
	{4, 6, 8, 10, "HHMM"}, {4, 6, 6, 7, "MMML"}, {4, 6, 4, 5, "MLLL"}, {4, 6, 2, 3, "LLLL"}, {4, 6, 1, 1, "LLLL"},
	{2, 3, 8, 10, "MMLL"}, {2, 3, 6, 7, "LLLL"}, {2, 3, 4, 5, "LLLL"}, {2, 3, 2, 3, "LLLL"}, {2, 3, 1, 1, "LLLL"},
	{1, 1, 1, 10, "LLLL"},
}

var dColumns = []struct{ lo, hi int }{{7, 10}, {5, 6}, {2, 4}, {1, 1}}

// expectedAP looks s, o, d up in apRows.
func expectedAP(t *testing.T, s, o, d int) AP {
	t.Helper()
	var found []AP
	for _, r := range apRows {
		if s < r.sLo || s > r.sHi || o < r.oLo || o > r.oHi {
			continue
		}
		for i, c := range dColumns {
			if d >= c.lo && d <= c.hi {
				found = append(found, AP(r.ap[i:i+1]))
			}
		}
	}
	if len(found) != 1 {
		t.Fatalf("the test table has %d cells for S%d O%d D%d, want exactly 1", len(found), s, o, d)
	}
	return found[0]
}

// TestActionPriorityEveryCell checks all 1000 combinations of ratings.
func TestActionPriorityEveryCell(t *testing.T) {
	counts := map[AP]int{}
	for s := 1; s <= 10; s++ {
		for o := 1; o <= 10; o++ {
			for d := 1; d <= 10; d++ {
				want := expectedAP(t, s, o, d)
				if got := ActionPriority(s, o, d); got != want {
					t.Errorf("ActionPriority(%d, %d, %d) = %s, want %s", s, o, d, got, want)
				}
				counts[want]++
			}
		}
	}
	// Counted by hand from the band widths (S 2,2,3,2,1; O 3,2,2,2,1;
	// D 4,2,3,1): H 152+112+54, M 12+52+114+36, L 36+36+132+164+100.
	if fmt.Sprint(counts) != "map[H:318 L:468 M:214]" {
		t.Errorf("priorities over all combinations = %v", counts)
	}
}

// TestActionPriorityNamedCells spot-checks cells by name, including the
// edges of every band.
func TestActionPriorityNamedCells(t *testing.T) {
	tests := []struct {
		s, o, d int
		want    AP
	}{
		{10, 10, 10, APHigh},
		{9, 4, 1, APMedium},  // S9-10 O4-5 D1
		{9, 4, 2, APHigh},    // S9-10 O4-5 D2-4
		{9, 3, 5, APMedium},  // S9-10 O2-3 D5-6
		{10, 2, 4, APLow},    // S9-10 O2-3 D2-4
		{9, 1, 10, APLow},    // O1 is always low
		{8, 7, 1, APMedium},  // S7-8 O6-7 D1
		{7, 5, 7, APHigh},    // S7-8 O4-5 D7-10
		{7, 4, 6, APMedium},  // S7-8 O4-5 D5-6
		{8, 3, 10, APMedium}, // S7-8 O2-3 D7-10
		{7, 2, 4, APLow},     // S7-8 O2-3 D2-4
		{6, 8, 5, APHigh},    // S4-6 O8-10 D5-6
		{6, 8, 4, APMedium},  // S4-6 O8-10 D2-4
		{6, 4, 5, APLow},     // S4-6 O4-5 D5-6: the quickstart's prices-slow
		{5, 6, 2, APMedium},  // S4-6 O6-7 D2-4
		{4, 7, 1, APLow},     // S4-6 O6-7 D1
		{4, 5, 7, APMedium},  // S4-6 O4-5 D7-10
		{3, 8, 5, APMedium},  // S2-3 O8-10 D5-6
		{2, 10, 4, APLow},    // S2-3 O8-10 D2-4
		{3, 7, 10, APLow},    // S2-3 O6-7
		{1, 10, 10, APLow},   // S1 is always low
		{0, 11, 11, APLow},   // out of range: taken as S1 O10 D10
		{11, 0, 11, APLow},   // S10 O1 D10
		{11, 11, 0, APHigh},  // S10 O10 D1
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("S%d O%d D%d", tt.s, tt.o, tt.d), func(t *testing.T) {
			if got := ActionPriority(tt.s, tt.o, tt.d); got != tt.want {
				t.Errorf("ActionPriority(%d, %d, %d) = %s, want %s", tt.s, tt.o, tt.d, got, tt.want)
			}
		})
	}
}

func TestRPN(t *testing.T) {
	tests := []struct{ s, o, d, want int }{{6, 4, 5, 120}, {10, 10, 10, 1000}, {1, 1, 1, 1}, {0, 12, 3, 30}}
	for _, tt := range tests {
		if got := RPN(tt.s, tt.o, tt.d); got != tt.want {
			t.Errorf("RPN(%d, %d, %d) = %d, want %d", tt.s, tt.o, tt.d, got, tt.want)
		}
	}
}
