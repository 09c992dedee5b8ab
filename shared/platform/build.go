package platform

import (
	"log/slog"
	"runtime"
	"runtime/debug"
)

// Build says which build of the program runs: its module version and the
// VCS revision it was built from, as the Go toolchain stamped them.
type Build struct {
	Version   string // the main module's version; "(devel)" for a local build
	Revision  string // the VCS revision; "" when the build has none (-buildvcs=false)
	Time      string // the revision's commit time, RFC 3339
	Modified  bool   // the work tree had changes
	GoVersion string
	OS, Arch  string
}

// BuildInfo returns the running program's Build.
func BuildInfo() Build {
	b := Build{GoVersion: runtime.Version(), OS: runtime.GOOS, Arch: runtime.GOARCH}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return b
	}
	b.Version = info.Main.Version
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			b.Revision = s.Value
		case "vcs.time":
			b.Time = s.Value
		case "vcs.modified":
			b.Modified = s.Value == "true"
		}
	}
	return b
}

// LogValue groups the build's fields in a log line.
func (b Build) LogValue() slog.Value {
	attrs := []slog.Attr{slog.String("version", b.Version)}
	if b.Revision != "" {
		attrs = append(attrs, slog.String("revision", b.Revision), slog.String("time", b.Time),
			slog.Bool("modified", b.Modified))
	}
	return slog.GroupValue(append(attrs, slog.String("go", b.GoVersion), slog.String("os", b.OS),
		slog.String("arch", b.Arch))...)
}
