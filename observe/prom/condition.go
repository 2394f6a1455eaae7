package prom

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/prometheus/common/model"
)

// Condition evaluates query as an instant query at t. It is true when
// the result is a non-empty vector, a scalar other than 0 and NaN, or a
// non-empty matrix. detail says what was seen, like
// `2 series, first {route="/browse"} = 0.31` (the first series as
// Prometheus ordered it, with its metric name if it has one),
// `scalar 0` or `empty result`. A string result is an error.
//
// Warnings from Prometheus are ignored when the result holds data, and
// returned as the error when it is empty.
func (c *Client) Condition(ctx context.Context, query string, t time.Time) (ok bool, detail string, err error) {
	v, err := c.query(ctx, query, t)
	if err != nil {
		return false, "", err
	}
	switch v := v.(type) {
	case model.Vector:
		if len(v) == 0 {
			return false, "empty result", nil
		}
		return true, fmt.Sprintf("%d series, first %s = %s", len(v), v[0].Metric, formatValue(v[0].Value)), nil
	case *model.Scalar:
		f := float64(v.Value)
		return f != 0 && !math.IsNaN(f), "scalar " + formatValue(v.Value), nil
	case model.Matrix:
		if len(v) == 0 {
			return false, "empty result", nil
		}
		first := v[0]
		last := "no samples"
		if n := len(first.Values); n > 0 {
			last = fmt.Sprintf("%d samples, last = %s", n, formatValue(first.Values[n-1].Value))
		}
		return true, fmt.Sprintf("%d series, first %s: %s", len(v), first.Metric, last), nil
	}
	return false, "", c.fail("instant query", query, nil, fmt.Sprintf("the result is %s; want a vector, a scalar or a matrix", describe(v)))
}

// formatValue writes a sample value in the shortest exact form.
func formatValue(v model.SampleValue) string {
	return strconv.FormatFloat(float64(v), 'g', -1, 64)
}
