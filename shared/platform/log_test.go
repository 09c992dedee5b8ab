package platform

import (
	"bytes"
	"context"
	"encoding/json"
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

// TestMetrics: a line that counts something carries its numbers and, on
// Lambda, Embedded Metric Format metadata naming dimensions the line has;
// other lines are as they were.
func TestMetrics(t *testing.T) {
	var buf bytes.Buffer
	log := WithMetrics(Logger(&buf, slog.LevelInfo), true)
	log.With("message_id", "m1", "channel", "sms", "provider", "aliyun", "status", "submitted", "latency_ms", 42).
		Info("sent", "provider_id", "p1")
	log.Info("something else", "x", 1)
	lines := bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n"))
	if len(lines) != 2 {
		t.Fatalf("%d lines: %s", len(lines), buf.String())
	}
	var sent map[string]any
	if err := json.Unmarshal(lines[0], &sent); err != nil {
		t.Fatal(err)
	}
	aws, _ := sent["_aws"].(map[string]any)
	cw, _ := aws["CloudWatchMetrics"].([]any)
	if sent["messages"] != 1.0 || sent["latency_ms"] != 42.0 || len(cw) != 1 || aws["Timestamp"] == nil {
		t.Fatalf("the sent line: %s", lines[0])
	}
	d := cw[0].(map[string]any)
	if d["Namespace"] != MetricsNamespace {
		t.Errorf("namespace %v", d["Namespace"])
	}
	for _, dim := range d["Dimensions"].([]any)[0].([]any) {
		if _, ok := sent[dim.(string)].(string); !ok {
			t.Errorf("dimension %v is not a string field of the line", dim)
		}
	}
	for _, m := range d["Metrics"].([]any) {
		if _, ok := sent[m.(map[string]any)["Name"].(string)].(float64); !ok {
			t.Errorf("metric %v is not a number field of the line", m)
		}
	}
	if bytes.Contains(lines[1], []byte("_aws")) {
		t.Errorf("a line that counts nothing got metrics: %s", lines[1])
	}
	buf.Reset()
	WithMetrics(Logger(&buf, slog.LevelInfo), false).With("channel", "sms").Info("sent after failing over")
	if !bytes.Contains(buf.Bytes(), []byte(`"failovers":1`)) || bytes.Contains(buf.Bytes(), []byte("_aws")) {
		t.Errorf("on FC, the failover line: %s; want its count and no EMF metadata", buf.String())
	}
}
