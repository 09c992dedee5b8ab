package notify

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// noSender is a route's sender for tests of the choice of routes alone.
type noSender struct{}

func (noSender) SendSMS(context.Context, TextMessage) (Acceptance, error) { return Acceptance{}, nil }

func routeService() *Service {
	return NewService(Deps{
		SMSRoutes: []Route{{Name: "aliyun", Sender: noSender{}, Any: true},
			{Name: "tencent", Sender: noSender{}, Positional: true}, {Name: "cloopen", Sender: noSender{}, Positional: true}},
		Templates: NewTemplates([]Template{{Name: "login_code", Kind: VerificationSMS,
			Variables: []Variable{{Name: "code", MaxLen: 6, Chars: "digits"}},
			IDs:       map[string]string{"aliyun": "SMS_1", "tencent": "101", "cloopen": "7"}},
			{Name: "tc_only", IDs: map[string]string{"tencent": "102"}, Providers: []string{"tencent"}}}),
	})
}

func TestRoutes(t *testing.T) {
	s := routeService()
	names := func(rs []Route) (out []string) {
		for _, r := range rs {
			out = append(out, r.Name)
		}
		return out
	}
	for _, tc := range []struct {
		name      string
		providers []string // the group's
		code      string
		want      []string
	}{
		{"registered, gateway order", nil, "login_code", []string{"aliyun", "tencent", "cloopen"}},
		{"by aliyun id", nil, "SMS_1", []string{"aliyun", "tencent", "cloopen"}},
		{"group order", []string{"cloopen", "aliyun"}, "login_code", []string{"cloopen", "aliyun"}},
		{"unregistered: aliyun alone", nil, "SMS_9", []string{"aliyun"}},
		{"unregistered, group without aliyun", []string{"tencent"}, "SMS_9", nil},
		{"template order wins", []string{"aliyun"}, "tc_only", []string{"tencent"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := names(s.routes(&Group{ID: "g", Providers: tc.providers}, s.d.Templates.Lookup(tc.code)))
			if len(got) != len(tc.want) || (len(got) > 0 && !equal(got, tc.want)) {
				t.Errorf("routes = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestFirstSMSRoute: the first provider of a group's SMS is its template's
// first route, else its group's, else the gateway's; "" for an unknown
// group or a template no route can send.
func TestFirstSMSRoute(t *testing.T) {
	s := routeService()
	s.d.Groups = Groups{"plain": {ID: "plain"}, "tc": {ID: "tc", Providers: []string{"tencent", "aliyun"}}}
	for _, tc := range []struct{ group, code, want string }{
		{"plain", "login_code", "aliyun"},
		{"tc", "login_code", "tencent"},
		{"tc", " SMS_1 ", "tencent"}, // the template's aliyun id, as the caller spelled it
		{"tc", "SMS_9", "aliyun"},    // unregistered: aliyun alone sends it
		{"plain", "tc_only", "tencent"},
		{"nobody", "login_code", ""},
	} {
		if got := s.FirstSMSRoute(tc.group, tc.code); got != tc.want {
			t.Errorf("FirstSMSRoute(%q, %q) = %q; want %q", tc.group, tc.code, got, tc.want)
		}
	}
}

func equal(a, b []string) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return len(a) == len(b)
}

func TestBackoff(t *testing.T) {
	p := RetryPolicy{}.withDefaults()
	for n, ceil := range map[int]time.Duration{1: 100 * time.Millisecond, 2: 200 * time.Millisecond, 4: 800 * time.Millisecond,
		5: time.Second, 40: time.Second} {
		seen := time.Duration(0)
		for range 2000 {
			d := p.backoff(n)
			if d < 0 || d > ceil {
				t.Fatalf("backoff(%d) = %v, want within [0, %v]", n, d, ceil)
			}
			seen = max(seen, d)
		}
		if seen < ceil/2 {
			t.Errorf("backoff(%d) never above %v in 2000 draws; want full jitter up to %v", n, seen, ceil)
		}
	}
}

// BenchmarkRouteDecision is the routing decision of one send: find the
// template, check and order its variables, and pick the group's routes.
func BenchmarkRouteDecision(b *testing.B) {
	s := routeService()
	g := &Group{ID: "g", Providers: []string{"tencent", "aliyun", "cloopen"}}
	params := map[string]string{"code": "123456"}
	b.ReportAllocs()
	for b.Loop() {
		t := s.d.Templates.Lookup("SMS_1")
		if _, err := t.values(params, "TemplateParam"); err != nil {
			b.Fatal(err)
		}
		if rs := s.routes(g, t); len(rs) != 3 {
			b.Fatal(rs)
		}
	}
}

// BenchmarkLimitQuotas is the quotas one verification send to one number
// counts, before the store's TakeQuotas.
func BenchmarkLimitQuotas(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if qs := DefaultLimits.quotas("shop", VerificationSMS, "SMS_1", []string{"13800138000"}); len(qs) != 4 {
			b.Fatal(qs)
		}
	}
}

func TestRoutesAfter(t *testing.T) {
	routes := []Route{{Name: "aliyun"}, {Name: "tencent"}, {Name: "cloopen"}}
	for _, tc := range []struct {
		after string
		want  string
	}{
		{"aliyun", "[tencent cloopen]"},
		{"tencent", "[cloopen aliyun]"},
		{"cloopen", "[aliyun tencent]"},
		{"sandbox", "[aliyun tencent cloopen]"},
	} {
		var names []string
		for _, r := range routesAfter(routes, tc.after) {
			names = append(names, r.Name)
		}
		if got := fmt.Sprint(names); got != tc.want {
			t.Errorf("routesAfter(%s) = %s, want %s", tc.after, got, tc.want)
		}
	}
	if fmt.Sprint(routes) != fmt.Sprint([]Route{{Name: "aliyun"}, {Name: "tencent"}, {Name: "cloopen"}}) {
		t.Errorf("routesAfter changed its argument: %v", routes)
	}
	if got := routesAfter([]Route{{Name: "aliyun"}}, "aliyun"); len(got) != 0 {
		t.Errorf("routesAfter of the only route = %v, want none", got)
	}
}
