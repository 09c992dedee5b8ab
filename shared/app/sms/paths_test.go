package sms_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestUncleanPaths: a path with an empty, "." or ".." segment is no route:
// 404 no_such_route, and nothing is sent. ServeMux answered it 307 to the
// clean path, which no route of the OpenAPI document has, and a client
// that follows it sent the POST again, to /sms. The SaaS routes' trailing
// slashes are left to them.
func TestUncleanPaths(t *testing.T) {
	t.Parallel()
	g := newGateway(t, nil)
	for _, p := range []string{"//sms", "/sms/..", "/sms/./", "/x/../sms", "/sms/status/.", "//openapi.json"} {
		r := httptest.NewRequest(http.MethodPost, "http://gw"+p, strings.NewReader(seedBody))
		r.URL.Path = p // as an event's path reaches the handler, uncleaned
		r.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		g.Handler.ServeHTTP(w, r)
		var rep reply
		_ = json.Unmarshal(w.Body.Bytes(), &rep)
		if w.Code != http.StatusNotFound || rep.Reason != "no_such_route" || w.Header().Get("Location") != "" {
			t.Errorf("POST %s: %d %s (Location %q); want 404 no_such_route", p, w.Code, w.Body, w.Header().Get("Location"))
		}
	}
	if n := len(g.fake.Sends()); n != 0 {
		t.Errorf("the provider sent %d messages, want none", n)
	}
}
