package runner

import (
	"testing"
	"time"

	"github.com/faultline/faultline/observe"
	"github.com/faultline/faultline/observe/prom"
)

func TestJudgeDetection(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	fire := func(alert string, from, to float64) prom.Firing {
		return prom.Firing{Alert: alert, Start: at(from), End: at(to)}
	}
	tests := []struct {
		name    string
		firings []prom.Firing
		want    observe.Detection
	}{
		{"in time", []prom.Firing{fire("Down", 13, 20)},
			observe.Detection{Fired: true, FiredAt: at(13), TimeToDetectSeconds: 3, InTime: true}},
		{"just in time", []prom.Firing{fire("Down", 15, 20)},
			observe.Detection{Fired: true, FiredAt: at(15), TimeToDetectSeconds: 5, InTime: true}},
		{"late", []prom.Firing{fire("Down", 15.5, 20)},
			observe.Detection{Fired: true, FiredAt: at(15.5), TimeToDetectSeconds: 5.5}},
		{"another alert fired", []prom.Firing{fire("Other", 12, 20)}, observe.Detection{}},
		{"never", nil, observe.Detection{}},
		{"after the recovery", []prom.Firing{fire("Down", 41, 50)}, observe.Detection{}},
		{"firing before and through", []prom.Firing{fire("Down", 2, 20)}, observe.Detection{FiringBefore: true}},
		{"an earlier firing that ended", []prom.Firing{fire("Down", 2, 5), fire("Down", 12, 20)},
			observe.Detection{Fired: true, FiredAt: at(12), TimeToDetectSeconds: 2, InTime: true}},
		{"the first of two counts", []prom.Firing{fire("Down", 12, 14), fire("Down", 18, 20)},
			observe.Detection{Fired: true, FiredAt: at(12), TimeToDetectSeconds: 2, InTime: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := observe.Detection{Alert: "Down", From: at(10), Until: at(40)}
			judgeDetection(&rec, 5*time.Second, tt.firings)
			want := tt.want
			want.Alert, want.From, want.Until = "Down", at(10), at(40)
			if rec != want {
				t.Errorf("judgeDetection = %+v\nwant %+v", rec, want)
			}
		})
	}
}

func TestLandedAt(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	faults := []observe.FaultRecord{
		{FailureMode: "a", Landed: false, LandedAt: t0},
		{FailureMode: "a", Landed: true, LandedAt: t0.Add(3 * time.Second), EffectiveAt: t0.Add(time.Second)},
		{FailureMode: "a", Landed: true, LandedAt: t0.Add(2 * time.Second)},
		{FailureMode: "b", Landed: true, LandedAt: t0},
	}
	if got, ok := landedAt(faults, "a"); !ok || !got.Equal(t0.Add(time.Second)) {
		t.Errorf("landedAt(a) = %v, %v; want the first effect, 1s", got, ok)
	}
	if _, ok := landedAt(faults, "c"); ok {
		t.Error("landedAt(c) found a fault")
	}
	if _, ok := landedAt(faults[:1], "a"); ok {
		t.Error("a fault that did not land counts")
	}
}
