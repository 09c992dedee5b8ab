package platform

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"log/slog"
	"strings"
)

type requestIDKey struct{}

// WithRequestID returns ctx carrying the platform's request id. Start puts
// one into the context of every request it serves; tests and in-process
// callers of Invoke use it to choose their own.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestID returns the platform's request id carried by ctx, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// newRequestID returns 32 random hex digits, for requests that arrive
// without an id of their own.
func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Logger returns a logger that writes JSON lines to w at level and up, each
// line logged with a context carrying a request id (see LogHandler) with a
// request_id attribute. Functions log to os.Stderr, which both Lambda and FC
// collect.
func Logger(w io.Writer, level slog.Leveler) *slog.Logger {
	return slog.New(LogHandler(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level})))
}

// LogHandler wraps h so that every record logged with a context carrying a
// request id (the ...Context methods of slog.Logger) gets a request_id
// attribute. Under a group made by WithGroup the attribute lands in that
// group.
func LogHandler(h slog.Handler) slog.Handler {
	if _, ok := h.(logHandler); ok {
		return h
	}
	return logHandler{h}
}

type logHandler struct{ slog.Handler }

func (h logHandler) Handle(ctx context.Context, r slog.Record) error {
	if id := RequestID(ctx); id != "" {
		r = r.Clone()
		r.AddAttrs(slog.String("request_id", id))
	}
	return h.Handler.Handle(ctx, r)
}

func (h logHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return logHandler{h.Handler.WithAttrs(as)}
}

func (h logHandler) WithGroup(name string) slog.Handler {
	return logHandler{h.Handler.WithGroup(name)}
}

// LogLevel is the level a function logs at: NOTIFY_LOG_LEVEL (debug, info,
// warn or error), else the level Lambda's logging configuration gives
// (AWS_LAMBDA_LOG_LEVEL: TRACE and DEBUG are debug, FATAL is error), else
// info. A value it does not know is info: config.Load reports a bad
// NOTIFY_LOG_LEVEL.
func LogLevel(getenv func(string) string) slog.Level {
	for _, v := range []string{getenv("NOTIFY_LOG_LEVEL"), getenv("AWS_LAMBDA_LOG_LEVEL")} {
		if l, ok := ParseLogLevel(v); ok && v != "" {
			return l
		}
	}
	return slog.LevelInfo
}

// ParseLogLevel reads a level name in any case: trace and debug, info,
// warn or warning, error and fatal; "" is info.
func ParseLogLevel(v string) (slog.Level, bool) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "trace", "debug":
		return slog.LevelDebug, true
	case "", "info":
		return slog.LevelInfo, true
	case "warn", "warning":
		return slog.LevelWarn, true
	case "error", "fatal":
		return slog.LevelError, true
	}
	return slog.LevelInfo, false
}
