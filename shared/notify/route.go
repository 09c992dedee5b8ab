package notify

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"
)

// Route is one SMS provider messages may go through.
type Route struct {
	Name   string // "aliyun", "tencent", "cloopen", "sandbox"
	Sender SMSSender
	// Positional routes take a template's variables as TextMessage.ParamList
	// (Tencent, Cloopen); the others as the Params object (Aliyun).
	Positional bool
	// Any marks a route that sends any template code as it is, with no
	// registry entry (Aliyun, whose ids the legacy API's callers name; the
	// sandbox).
	Any bool
	// Sandbox marks the sandbox, which stands in for every provider when
	// none is configured: it takes every message, whatever the group's or
	// the template's order of providers.
	Sandbox bool
}

// RetryPolicy is how a provider is tried again after a Transient error:
// at most Attempts tries in all, waiting a random time between 0 and
// min(Max, Base·2^n) before try n+1 (capped exponential backoff with full
// jitter), and never past the context's deadline. Zero fields take the
// defaults: 3 attempts, 100 ms, 1 s.
type RetryPolicy struct {
	Attempts  int
	Base, Max time.Duration
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.Attempts <= 0 {
		p.Attempts = 3
	}
	if p.Base <= 0 {
		p.Base = 100 * time.Millisecond
	}
	if p.Max <= 0 {
		p.Max = time.Second
	}
	return p
}

// backoff returns the wait before try n+1 (n ≥ 1).
func (p RetryPolicy) backoff(n int) time.Duration {
	ceil := p.Max
	if n < 31 {
		ceil = min(p.Max, p.Base<<(n-1))
	}
	return rand.N(ceil + 1)
}

// failsOver reports whether an error of kind k means the provider certainly
// did not accept the message, for a reason another provider may not share:
// it is down (Transient), it holds the message back (Throttled), its
// account needs an operator (Account), or it cannot take this message at
// all (Invalid: a number or template it does not serve, found before any
// request). A Rejected message fails everywhere; an Ambiguous one may have
// been sent and is never sent again.
func failsOver(k Kind) bool {
	switch k {
	case Transient, Throttled, Account, Invalid:
		return true
	}
	return false
}

// routes returns the routes a message of template t (nil: an unregistered
// code) from group g may take, in order: the template's order, else the
// group's, else the gateway's; only the configured routes that can send it.
func (s *Service) routes(g *Group, t *Template) []Route {
	if len(s.d.SMSRoutes) == 1 && s.d.SMSRoutes[0].Sandbox {
		return s.d.SMSRoutes
	}
	order := g.Providers
	if t != nil && len(t.Providers) > 0 {
		order = t.Providers
	}
	// A registry template goes only where it has an id: under its
	// logical name, Aliyun would refuse it as a template it does not have,
	// and not fail over.
	usable := func(r Route) bool {
		if t == nil {
			return r.Any
		}
		return t.IDs[r.Name] != ""
	}
	var out []Route
	if len(order) == 0 {
		for _, r := range s.d.SMSRoutes {
			if usable(r) {
				out = append(out, r)
			}
		}
		return out
	}
	for _, name := range order {
		i := slices.IndexFunc(s.d.SMSRoutes, func(r Route) bool { return r.Name == name })
		if i >= 0 && usable(s.d.SMSRoutes[i]) {
			out = append(out, s.d.SMSRoutes[i])
		}
	}
	return out
}

// FirstSMSRoute names the provider an SMS of group groupID with template
// code template is sent through first: the first of the routes it may
// take, in the template's order, else the group's, else the gateway's
// (routes); "" when the group is unknown or no route can send it. A
// message that another provider sent failed over to it.
func (s *Service) FirstSMSRoute(groupID, template string) string {
	g := s.d.Groups[groupID]
	if g == nil {
		return ""
	}
	rs := s.routes(g, s.d.Templates.Lookup(strings.TrimSpace(template)))
	if len(rs) == 0 {
		return ""
	}
	return rs[0].Name
}

// routesAfter returns routes rotated to start after the route named
// provider, without it: the routes after it, then those before it. When
// no route has that name, it returns them all, in order.
func routesAfter(routes []Route, provider string) []Route {
	i := slices.IndexFunc(routes, func(r Route) bool { return r.Name == provider })
	if i < 0 {
		return routes
	}
	return append(slices.Clone(routes[i+1:]), routes[:i]...)
}

// deliverSMS sends tm through routes in order: each is tried up to the
// retry policy's attempts while it fails Transient, and the next is tried
// only when the last certainly did not accept the message (failsOver). It
// returns the report and the name of the route that took the message, or
// the last error and the name of the route that gave it. When the last
// route cannot take the message at all (Invalid: a number or a count it
// does not serve) after an earlier one failed for a while (down, flow
// control, its account), the earlier error is the one returned: the
// message is sound, and may go through later.
func (s *Service) deliverSMS(ctx context.Context, m *Message, routes []Route, tm TextMessage, t *Template, values []string) (Acceptance, string, error) {
	var failed []string
	var earlier error // the most retryable failure of an earlier route
	earlierName := ""
	for i, r := range routes {
		msg := tm
		if t != nil {
			if id := t.IDs[r.Name]; id != "" {
				msg.TemplateCode = id
			}
			if r.Positional {
				msg.ParamList = values
			}
		}
		rc, err := s.try(ctx, r, msg)
		if err == nil {
			if len(failed) > 0 {
				s.d.Log.InfoContext(ctx, "sent after failing over", "message_id", m.ID, "channel", SMS, "provider", r.Name,
					"failed", failed)
			}
			return rc, r.Name, nil
		}
		k := KindOf(err)
		if !failsOver(k) || i == len(routes)-1 {
			if k == Invalid && earlier != nil {
				e := *AsError(earlier)
				e.Err = fmt.Errorf("%s failed before (%s: %w); %s could not take it: %v",
					strings.Join(failed, ", "), earlierName, earlier, r.Name, err)
				return Acceptance{}, earlierName, &e
			}
			if len(failed) > 0 {
				e := *AsError(err)
				e.Err = fmt.Errorf("%s failed before: %w", strings.Join(failed, ", "), err)
				err = &e
			}
			return Acceptance{}, r.Name, err
		}
		if retryRank(k) > retryRank(KindOf(earlier)) {
			earlier, earlierName = err, r.Name
		}
		failed = append(failed, r.Name)
		s.d.Log.WarnContext(ctx, "provider did not take the message; failing over", "message_id", m.ID,
			"provider", r.Name, "next", routes[i+1].Name, "kind", k, "code", AsError(err).Code)
	}
	return Acceptance{}, "", &Error{Op: "sms.route", Kind: Internal, Err: errors.New("no route")}
}

// retryRank orders the kinds of a route's failure by how soon the message
// may go through if sent again: a provider down, then one holding it back,
// then one whose account needs an operator; anything else is 0.
func retryRank(k Kind) int {
	switch k {
	case Transient:
		return 3
	case Throttled:
		return 2
	case Account:
		return 1
	}
	return 0
}

// try sends msg through r, again after each Transient error, as the retry
// policy allows and the deadline leaves time for. The provider signs every
// request afresh (new timestamp and nonce).
func (s *Service) try(ctx context.Context, r Route, msg TextMessage) (Acceptance, error) {
	p := s.d.Retry.withDefaults()
	for n := 1; ; n++ {
		rc, err := r.Sender.SendSMS(ctx, msg)
		if err == nil || KindOf(err) != Transient || n == p.Attempts {
			return rc, err
		}
		wait := p.backoff(n)
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < 2*wait+minSendTime {
			return rc, err // no time for another try: let the next provider have it
		}
		s.d.Log.InfoContext(ctx, "provider failed transiently; trying again", "provider", r.Name, "attempt", n,
			"wait_ms", wait.Milliseconds(), "code", AsError(err).Code)
		if err := s.d.Sleep(ctx, wait); err != nil {
			return rc, err
		}
	}
}

// minSendTime is the least time left worth another try at a provider.
const minSendTime = 500 * time.Millisecond

// sleep waits d, or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return E("sms.retry", Transient, fmt.Errorf("not sent: %w", ctx.Err()))
	case <-t.C:
		return nil
	}
}
