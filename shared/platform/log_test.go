package platform

import (
	"bytes"
	"context"
	"log/slog"
	"testing"
)

func TestLoggerRequestID(t *testing.T) {
	var buf bytes.Buffer
	log := Logger(&buf, slog.LevelInfo).With("function", "sms")
	ctx := WithRequestID(context.Background(), "req-1")
	log.InfoContext(ctx, "with id")
	log.Info("without id")
	log.DebugContext(ctx, "below level")
	log.WithGroup("g").InfoContext(ctx, "grouped", "k", "v")
	lines := logLines(t, &buf)
	if len(lines) != 3 {
		t.Fatalf("got %d lines, want 3:\n%s", len(lines), buf.String())
	}
	if got := lines[0]["request_id"]; got != "req-1" {
		t.Errorf("line 1 request_id = %v, want req-1", got)
	}
	if got := lines[0]["function"]; got != "sms" {
		t.Errorf("line 1 function = %v, want sms", got)
	}
	if _, ok := lines[1]["request_id"]; ok {
		t.Errorf("line 2 has a request_id without one in its context: %v", lines[1])
	}
	g, _ := lines[2]["g"].(map[string]any)
	if g["request_id"] != "req-1" || g["k"] != "v" {
		t.Errorf("grouped line = %v, want request_id and k in group g", lines[2])
	}
}

func TestLogHandlerWrapsOnce(t *testing.T) {
	h := LogHandler(slog.DiscardHandler)
	if LogHandler(h) != h {
		t.Error("LogHandler wrapped a handler that already adds request ids")
	}
}

func TestLogLevel(t *testing.T) {
	for _, tt := range []struct {
		notify, lambda string
		want           slog.Level
	}{
		{"", "", slog.LevelInfo},
		{"debug", "", slog.LevelDebug},
		{"", "DEBUG", slog.LevelDebug},
		{"", "TRACE", slog.LevelDebug},
		{"", "FATAL", slog.LevelError},
		{"warn", "DEBUG", slog.LevelWarn}, // ours first
		{"loud", "ERROR", slog.LevelError},
	} {
		env := map[string]string{"NOTIFY_LOG_LEVEL": tt.notify, "AWS_LAMBDA_LOG_LEVEL": tt.lambda}
		if got := LogLevel(func(k string) string { return env[k] }); got != tt.want {
			t.Errorf("NOTIFY_LOG_LEVEL=%q AWS_LAMBDA_LOG_LEVEL=%q: %v; want %v", tt.notify, tt.lambda, got, tt.want)
		}
	}
}
