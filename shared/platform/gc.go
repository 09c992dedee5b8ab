package platform

import (
	"log/slog"
	"math"
	"runtime/debug"
	"strconv"
)

// GCPercent is the collector's GOGC when the environment sets none: the
// heap may grow to five times what is live between two collections,
// rather than Go's default of twice. A function instance holds little
// (2 to 3 MB live under 32 sends at once) and allocates about 30 kB per
// send, so at Go's default it collected about every 65 sends, each time
// stopping its goroutines and taxing the ones that allocate; most of a
// collection's cost is fixed, so collecting a fifth as often takes most
// of it away. docs/platform.md, "The garbage collector", has the figures.
const GCPercent = 400

// memoryShare is the part of an instance's memory the Go heap is held to
// (a soft limit: the collector works harder as the heap nears it), when
// the environment sets no GOMEMLIMIT. The rest is for what the limit does
// not count: the binary's pages, the kernel's buffers, the runtime's own.
const memoryShare = 0.75

// LocalMemoryLimit is the memory limit where the platform says no
// instance size (the local server, a function run by hand). A heap that
// grows, as thirty large mails at once make it, is held near it: the
// local server's target for that load is 200 MB resident, and it peaks
// at about 150 MiB (docs/limits.md); without a limit, at 234 MiB. Under
// it a heap of a few MB, the usual, is collected as GOGC says.
const LocalMemoryLimit = 128 << 20

// GC is what TuneGC set: the collector's GOGC, and its memory limit in
// bytes (math.MaxInt64: none, where GOMEMLIMIT says so).
type GC struct {
	Percent int
	Limit   int64
}

// TuneGC sets the garbage collector for a function instance or a local
// server, from the environment the process started with:
//   - GOGC to GCPercent, unless GOGC is set (the runtime has read it);
//   - unless GOMEMLIMIT is set, a memory limit of three quarters of the
//     instance's memory, where the platform says it (in MB:
//     AWS_LAMBDA_FUNCTION_MEMORY_SIZE on Lambda, FC_FUNCTION_MEMORY_SIZE
//     on Function Compute), so that a heap that grows towards the
//     instance's size is collected more often rather than killed; and
//     LocalMemoryLimit where it does not.
//
// It returns the collector's settings, for the start's log line. (Not
// read from runtime/metrics: its first read costs about 0.15 ms, at every
// cold start.)
func TuneGC(getenv func(string) string) GC {
	g := GC{Percent: GCPercent}
	if v := getenv("GOGC"); v != "" {
		g.Percent = gogc(v)
	} else {
		debug.SetGCPercent(GCPercent)
	}
	if getenv("GOMEMLIMIT") == "" {
		limit := int64(LocalMemoryLimit)
		if mb := instanceMemoryMB(getenv); mb > 0 {
			limit = int64(float64(mb<<20) * memoryShare)
		}
		debug.SetMemoryLimit(limit)
	}
	g.Limit = debug.SetMemoryLimit(-1) // a negative limit reads it
	return g
}

// gogc is the percent the runtime took from GOGC=v, read as it reads it:
// "off" or a negative number is off (-1), and what is not a number 100.
func gogc(v string) int {
	if v == "off" {
		return -1
	}
	n, err := strconv.ParseInt(v, 10, 32)
	if err != nil {
		return 100
	}
	return int(max(n, -1))
}

// LogValue is g for a log line: the percent ("off" for GOGC=off), and the
// limit in MiB when there is one.
func (g GC) LogValue() slog.Value {
	percent := slog.Int("percent", g.Percent)
	if g.Percent < 0 {
		percent = slog.String("percent", "off") // GOGC=off
	}
	if g.Limit <= 0 || g.Limit == math.MaxInt64 {
		return slog.GroupValue(percent)
	}
	return slog.GroupValue(percent, slog.Int64("memory_limit_mib", g.Limit>>20))
}

// instanceMemoryMB is the memory the platform gives the instance, in MB,
// or 0 where it says none (a local server) or says it wrong.
func instanceMemoryMB(getenv func(string) string) int64 {
	for _, k := range []string{"AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "FC_FUNCTION_MEMORY_SIZE"} {
		if v := getenv(k); v != "" {
			mb, err := strconv.ParseInt(v, 10, 64)
			if err != nil || mb <= 0 || mb > math.MaxInt64>>21 {
				return 0
			}
			return mb
		}
	}
	return 0
}
