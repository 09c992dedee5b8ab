package platform

import (
	"context"
	"log/slog"
	"maps"
	"slices"
)

// Metrics without an SDK: the log lines that count something carry their
// numbers as fields, and on AWS Lambda the CloudWatch Embedded Metric
// Format metadata that makes CloudWatch Logs take them for metrics
// (namespace MetricsNamespace). On FC the same fields are there for SLS to
// chart. The lines are the core's own, unchanged but for the fields:
//
//	"sent", "send failed"     messages (1) and latency_ms, by channel, provider and status
//	"sent after failing over" failovers (1), by channel
//	"reports recorded"       reports (records), by push (provider and kind)
//
// README's Deploy section lists them with the alarms the template sets.

// MetricsNamespace is the CloudWatch namespace of the metrics.
const MetricsNamespace = "notify"

// metric is how one log message is counted.
type metric struct {
	dims    []string          // the record's attributes it is counted by
	units   map[string]string // metric field -> CloudWatch unit
	counted string            // a field the handler sets to 1, "" for none
}

var metrics = map[string]metric{
	"sent":                    {dims: []string{"channel", "provider", "status"}, units: map[string]string{"messages": "Count", "latency_ms": "Milliseconds"}, counted: "messages"},
	"send failed":             {dims: []string{"channel", "provider", "status"}, units: map[string]string{"messages": "Count", "latency_ms": "Milliseconds"}, counted: "messages"},
	"sent after failing over": {dims: []string{"channel"}, units: map[string]string{"failovers": "Count"}, counted: "failovers"},
	"reports recorded":        {dims: []string{"push"}, units: map[string]string{"records": "Count"}},
}

// WithMetrics returns log with the metric fields, and, when emf is set
// (AWS Lambda), the Embedded Metric Format metadata on the lines that
// count something.
func WithMetrics(log *slog.Logger, emf bool) *slog.Logger {
	return slog.New(metricsHandler{h: log.Handler(), emf: emf})
}

type metricsHandler struct {
	h   slog.Handler
	emf bool
}

func (m metricsHandler) Enabled(ctx context.Context, l slog.Level) bool { return m.h.Enabled(ctx, l) }

func (m metricsHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return metricsHandler{h: m.h.WithAttrs(as), emf: m.emf}
}

func (m metricsHandler) WithGroup(name string) slog.Handler {
	return metricsHandler{h: m.h.WithGroup(name), emf: m.emf}
}

func (m metricsHandler) Handle(ctx context.Context, r slog.Record) error {
	mt, ok := metrics[r.Message]
	if !ok {
		return m.h.Handle(ctx, r)
	}
	r = r.Clone()
	if mt.counted != "" {
		r.AddAttrs(slog.Int(mt.counted, 1))
	}
	if m.emf {
		ms := make([]map[string]string, 0, len(mt.units))
		for _, name := range slices.Sorted(maps.Keys(mt.units)) {
			ms = append(ms, map[string]string{"Name": name, "Unit": mt.units[name]})
		}
		r.AddAttrs(slog.Any("_aws", map[string]any{
			"Timestamp": r.Time.UnixMilli(),
			"CloudWatchMetrics": []map[string]any{{
				"Namespace":  MetricsNamespace,
				"Dimensions": [][]string{mt.dims},
				"Metrics":    ms,
			}},
		}))
	}
	return m.h.Handle(ctx, r)
}
