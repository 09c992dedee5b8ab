package notify

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Quota is a count of sends a key may make in a window: at most Max uses
// per fixed window of length Window. Day windows begin at midnight Beijing
// time (Aliyun's natural day); shorter ones on the minute or hour.
type Quota struct {
	Key    string // what is counted: "sms:verification:<group>:<number>", "group:<group>"
	Max    int    // uses per window, at least 1
	Window time.Duration
}

// WindowStart returns the start of q's window that holds t.
func (q Quota) WindowStart(t time.Time) time.Time {
	if q.Window%(24*time.Hour) == 0 {
		t = t.In(Beijing)
		day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, Beijing)
		return day.UTC()
	}
	return t.Truncate(q.Window).UTC()
}

// LimitStore counts sends against quotas, in the store every function
// instance shares, so that a limit holds across instances.
type LimitStore interface {
	// TakeQuotas counts one use of every quota in qs in its window at
	// now, all or none: when any of them is at its Max, it counts nothing
	// and returns that quota's index and the time until its window ends.
	// It returns -1 when it counted them all.
	TakeQuotas(ctx context.Context, now time.Time, qs []Quota) (refused int, retryAfter time.Duration, err error)
	// ReturnQuotas gives back one use of every quota in qs in its window
	// at taken, a TakeQuotas of a send that certainly did not happen. A use
	// is never returned below zero.
	ReturnQuotas(ctx context.Context, taken time.Time, qs []Quota) error
	// CreateMessageTakingQuotas is CreateMessage and TakeQuotas in one
	// transaction, all or none: when a quota is at its Max, it records
	// and counts nothing and returns the quota's index and the time until
	// its window ends; else -1. A send thus pays for one write before it
	// goes out, not two.
	CreateMessageTakingQuotas(ctx context.Context, m *Message, now time.Time, qs []Quota) (refused int, retryAfter time.Duration, err error)
}

// LimitKind is what a send counts as: Aliyun's defaults differ by kind.
type LimitKind string

// The kinds of sends with limits of their own.
const (
	VerificationSMS LimitKind = "verification"
	NotificationSMS LimitKind = "notification"
	VoiceLimit      LimitKind = "voice"
)

// Window is a limit's count per minute, hour and day; 0 is no limit for
// that window.
type Window struct {
	PerMinute, PerHour, PerDay int
}

// Limits are a group's per-number limits, by kind of send, and its daily
// cap on recipients over every channel but mail.
type Limits struct {
	Verification Window // per number, over every verification template
	Notification Window // per number and template
	Voice        Window // per number
	DailyCap     int    // recipients a day for the whole group; 0 is no cap
}

// DefaultLimits are Aliyun's defaults: verification 1/min, 5/h, 10/day per
// number; notification 50/day per template and number; voice 1/min, 5/h,
// 20/day per number; and a cap of 10,000 recipients a day per group, a
// guard against SMS pumping.
var DefaultLimits = Limits{
	Verification: Window{PerMinute: 1, PerHour: 5, PerDay: 10},
	Notification: Window{PerDay: 50},
	Voice:        Window{PerMinute: 1, PerHour: 5, PerDay: 20},
	DailyCap:     10000,
}

// quotas returns the quotas one send of kind to numbers (with template,
// for notifications) takes under l in group.
func (l Limits) quotas(group string, kind LimitKind, template string, numbers []string) []Quota {
	w := l.Verification
	switch kind {
	case NotificationSMS:
		w = l.Notification
	case VoiceLimit:
		w = l.Voice
	}
	var qs []Quota
	for _, n := range numbers {
		key := "sms:" + string(kind) + ":" + group + ":" + n
		switch kind {
		case NotificationSMS:
			key = "sms:notification:" + group + ":" + template + ":" + n
		case VoiceLimit:
			key = "tts:" + group + ":" + n
		}
		for _, p := range []struct {
			max    int
			window time.Duration
			name   string
		}{{w.PerMinute, time.Minute, "m"}, {w.PerHour, time.Hour, "h"}, {w.PerDay, 24 * time.Hour, "d"}} {
			if p.max > 0 {
				qs = append(qs, Quota{Key: key + ":" + p.name, Max: p.max, Window: p.window})
			}
		}
	}
	if l.DailyCap > 0 {
		for range numbers {
			qs = append(qs, Quota{Key: "group:" + group + ":d", Max: l.DailyCap, Window: 24 * time.Hour})
		}
	}
	return qs
}

// limited is what a send counts against: the group's limits for its kind
// and template, per recipient.
type limited struct {
	group    *Group
	kind     LimitKind
	template string
}

// quotas returns the quotas a send of l to numbers takes; none when limits
// are off.
func (s *Service) quotas(l *limited, numbers []string) []Quota {
	if l == nil {
		return nil
	}
	lim := DefaultLimits
	if l.group.Limits != nil {
		lim = *l.group.Limits
	}
	return lim.quotas(l.group.ID, l.kind, l.template, numbers)
}

// limitError is the refusal of a send over quota q of l, wait before its
// window ends: an *Error of kind Throttled with RetryAfter set. A group at
// its daily cap is logged as a warning.
func (s *Service) limitError(ctx context.Context, l *limited, q Quota, wait time.Duration) error {
	op := string(l.kind) + ".limit"
	wait = max(wait, time.Second)
	if strings.HasPrefix(q.Key, "group:") {
		s.d.Log.WarnContext(ctx, "group reached its daily cap: sends refused until midnight Beijing time",
			"group", l.group.ID, "cap", q.Max)
		return &Error{Op: op, Kind: Throttled, Reason: ReasonDailyCap, RetryAfter: wait,
			Err: fmt.Errorf("the group's daily cap of %d recipients is reached", q.Max)}
	}
	return &Error{Op: op, Kind: Throttled, Reason: ReasonRateLimited, RetryAfter: wait,
		Err: fmt.Errorf("a number is over its limit of %d %s sends per %s", q.Max, l.kind, windowName(q.Window))}
}

// returnLimits gives back the quotas of a send that certainly did not
// happen.
func (s *Service) returnLimits(ctx context.Context, taken time.Time, qs []Quota) {
	if len(qs) == 0 {
		return
	}
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := s.d.Store.ReturnQuotas(wctx, taken, qs); err != nil {
		s.d.Log.WarnContext(ctx, "give back the limits of a send that failed", "err", err)
	}
}

func windowName(d time.Duration) string {
	switch d {
	case time.Minute:
		return "minute"
	case time.Hour:
		return "hour"
	}
	return "day"
}
