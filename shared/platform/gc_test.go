package platform_test

import (
	"math"
	"runtime/debug"
	"runtime/metrics"
	"testing"

	"github.com/seed4ddb146e/notify/shared/platform"
)

func TestTuneGC(t *testing.T) {
	percent, limit := debug.SetGCPercent(100), debug.SetMemoryLimit(math.MaxInt64)
	t.Cleanup(func() {
		debug.SetGCPercent(percent)
		debug.SetMemoryLimit(limit)
	})
	for _, c := range []struct {
		name string
		env  map[string]string
		want platform.GC
	}{
		{"local", nil, platform.GC{Percent: platform.GCPercent, Limit: platform.LocalMemoryLimit}},
		{"lambda", map[string]string{"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128"}, platform.GC{Percent: platform.GCPercent, Limit: 96 << 20}},
		{"fc", map[string]string{"FC_FUNCTION_MEMORY_SIZE": "3072"}, platform.GC{Percent: platform.GCPercent, Limit: 2304 << 20}},
		{"GOGC set", map[string]string{"GOGC": "100"}, platform.GC{Percent: 100, Limit: platform.LocalMemoryLimit}},
		{"GOGC off", map[string]string{"GOGC": "off"}, platform.GC{Percent: -1, Limit: platform.LocalMemoryLimit}},
		{"GOGC not a number", map[string]string{"GOGC": "lots"}, platform.GC{Percent: 100, Limit: platform.LocalMemoryLimit}},
		{"GOMEMLIMIT set", map[string]string{"GOMEMLIMIT": "1GiB", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128"},
			platform.GC{Percent: platform.GCPercent, Limit: math.MaxInt64}},
		{"no number", map[string]string{"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128MB"}, platform.GC{Percent: platform.GCPercent, Limit: platform.LocalMemoryLimit}},
		{"zero", map[string]string{"FC_FUNCTION_MEMORY_SIZE": "0"}, platform.GC{Percent: platform.GCPercent, Limit: platform.LocalMemoryLimit}},
		{"too large", map[string]string{"FC_FUNCTION_MEMORY_SIZE": "9223372036854775807"}, platform.GC{Percent: platform.GCPercent, Limit: platform.LocalMemoryLimit}},
	} {
		t.Run(c.name, func(t *testing.T) {
			// Each case starts from what the runtime would have set from
			// the case's environment.
			debug.SetGCPercent(100)
			if c.env["GOGC"] == "off" {
				debug.SetGCPercent(-1)
			}
			debug.SetMemoryLimit(math.MaxInt64)
			got := platform.TuneGC(func(k string) string { return c.env[k] })
			if got != c.want {
				t.Errorf("TuneGC = %+v, want %+v", got, c.want)
			}
			if now := currentGC(); now != got {
				t.Errorf("the collector after TuneGC: %+v, want what it returned, %+v", now, got)
			}
		})
	}
}

// currentGC reads the collector's settings, as runtime/metrics has them.
func currentGC() platform.GC {
	s := []metrics.Sample{{Name: "/gc/gogc:percent"}, {Name: "/gc/gomemlimit:bytes"}}
	metrics.Read(s)
	return platform.GC{Percent: int(s[0].Value.Uint64()), Limit: int64(s[1].Value.Uint64())}
}

func TestGCLogValue(t *testing.T) {
	for _, c := range []struct {
		gc   platform.GC
		want string
	}{
		{platform.GC{Percent: 400, Limit: 96 << 20}, "[percent=400 memory_limit_mib=96]"},
		{platform.GC{Percent: 100, Limit: math.MaxInt64}, "[percent=100]"},
		{platform.GC{Percent: -1, Limit: 1 << 30}, "[percent=off memory_limit_mib=1024]"},
	} {
		if got := c.gc.LogValue().String(); got != c.want {
			t.Errorf("%+v: %s, want %s", c.gc, got, c.want)
		}
	}
}
