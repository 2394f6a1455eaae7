package fmea

// AP is an Action Priority of the AIAG & VDA FMEA handbook (2019): how
// urgently a failure mode calls for action, from its severity,
// occurrence and detection ratings.
type AP string

// Action Priorities.
const (
	// APHigh: action is needed to improve prevention or detection
	// controls, or to justify why the current ones are adequate.
	APHigh AP = "H"
	// APMedium: action should be taken, or the current controls
	// justified.
	APMedium AP = "M"
	// APLow: action could be taken.
	APLow AP = "L"
)

// Word is the priority in words: "high", "medium" or "low".
func (a AP) Word() string {
	switch a {
	case APHigh:
		return "high"
	case APMedium:
		return "medium"
	}
	return "low"
}

// rank orders priorities: 3 for high, 2 for medium, 1 for low.
func (a AP) rank() int {
	switch a {
	case APHigh:
		return 3
	case APMedium:
		return 2
	}
	return 1
}

// apTable is the AIAG-VDA (2019) Action Priority table for design and
// process FMEA, indexed by severity band, occurrence band and detection
// band (see sBand, oBand, dBand). Severity 1 is low whatever the rest.
var apTable = [4][5][4]AP{
	// S 9-10
	{
		{APHigh, APHigh, APHigh, APHigh},   // O 8-10
		{APHigh, APHigh, APHigh, APHigh},   // O 6-7
		{APHigh, APHigh, APHigh, APMedium}, // O 4-5
		{APHigh, APMedium, APLow, APLow},   // O 2-3
		{APLow, APLow, APLow, APLow},       // O 1
	},
	// S 7-8
	{
		{APHigh, APHigh, APHigh, APHigh},       // O 8-10
		{APHigh, APHigh, APHigh, APMedium},     // O 6-7
		{APHigh, APMedium, APMedium, APMedium}, // O 4-5
		{APMedium, APMedium, APLow, APLow},     // O 2-3
		{APLow, APLow, APLow, APLow},           // O 1
	},
	// S 4-6
	{
		{APHigh, APHigh, APMedium, APMedium},  // O 8-10
		{APMedium, APMedium, APMedium, APLow}, // O 6-7
		{APMedium, APLow, APLow, APLow},       // O 4-5
		{APLow, APLow, APLow, APLow},          // O 2-3
		{APLow, APLow, APLow, APLow},          // O 1
	},
	// S 2-3
	{
		{APMedium, APMedium, APLow, APLow}, // O 8-10
		{APLow, APLow, APLow, APLow},       // O 6-7
		{APLow, APLow, APLow, APLow},       // O 4-5
		{APLow, APLow, APLow, APLow},       // O 2-3
		{APLow, APLow, APLow, APLow},       // O 1
	},
}

// ActionPriority is the AIAG-VDA Action Priority of ratings s, o and d,
// each from 1 to 10 (a value outside is taken as the nearest end). The
// bands are S 9-10, 7-8, 4-6, 2-3, 1; O 8-10, 6-7, 4-5, 2-3, 1; D 7-10,
// 5-6, 2-4, 1.
func ActionPriority(s, o, d int) AP {
	s, o, d = clampRating(s), clampRating(o), clampRating(d)
	if s == 1 {
		return APLow
	}
	return apTable[sBand(s)][oBand(o)][dBand(d)]
}

// RPN is the Risk Priority Number S×O×D, kept only as a secondary sort
// key: the handbook replaced it with the Action Priority.
func RPN(s, o, d int) int {
	return clampRating(s) * clampRating(o) * clampRating(d)
}

func clampRating(r int) int { return max(1, min(10, r)) }

// sBand is the severity band, 0 for 9-10 to 3 for 2-3 (1 has no row).
func sBand(s int) int {
	switch {
	case s >= 9:
		return 0
	case s >= 7:
		return 1
	case s >= 4:
		return 2
	}
	return 3
}

// oBand is the occurrence band, 0 for 8-10 to 4 for 1.
func oBand(o int) int {
	switch {
	case o >= 8:
		return 0
	case o >= 6:
		return 1
	case o >= 4:
		return 2
	case o >= 2:
		return 3
	}
	return 4
}

// dBand is the detection band, 0 for 7-10 to 3 for 1.
func dBand(d int) int {
	switch {
	case d >= 7:
		return 0
	case d >= 5:
		return 1
	case d >= 2:
		return 2
	}
	return 3
}
