package httpapi

import (
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/seed4ddb146e/notify/shared/notify"
)

// TestReplyOfKind checks the status, Reason and Message that an error's
// Kind (and, for Unavailable, Unsent) give a reply.
func TestReplyOfKind(t *testing.T) {
	storeDown := errors.New("connection refused")
	for _, tc := range []struct {
		name        string
		err         *notify.Error
		status      int
		reason, msg string
	}{
		{"unsent", &notify.Error{Op: "sms.record", Kind: notify.Unavailable, Reason: notify.ReasonStoreUnavailable,
			Unsent: true, Err: storeDown},
			503, "store_unavailable", "the message store is unavailable; nothing was sent. Retry later"},
		{"read", &notify.Error{Op: "status.find", Kind: notify.Unavailable, Reason: notify.ReasonStoreUnavailable,
			Err: storeDown},
			503, "store_unavailable", "the message store is unavailable. Retry later"},
		{"not found", &notify.Error{Op: "saas.start", Kind: notify.NotFound, Field: "task_id",
			Reason: notify.ReasonNotFound, Err: errors.New("no such task")},
			400, "not_found", "task_id: no such task"},
	} {
		r := httptest.NewRequest(http.MethodPost, "/sms", nil)
		if got := statusOf(r, tc.err); got != tc.status {
			t.Errorf("%s: statusOf = %d, want %d", tc.name, got, tc.status)
		}
		if got := reasonOf(tc.err); got != tc.reason {
			t.Errorf("%s: reasonOf = %q, want %q", tc.name, got, tc.reason)
		}
		if got := messageOf(tc.err); got != tc.msg {
			t.Errorf("%s: messageOf = %q, want %q", tc.name, got, tc.msg)
		}
	}
}

// TestSaaSNotFound checks that a NotFound error is 404 on the SaaS routes.
func TestSaaSNotFound(t *testing.T) {
	w := httptest.NewRecorder()
	r := httptest.NewRequest(http.MethodPost, "/sms/task/start", nil)
	writeSaaSError(w, r, slog.New(slog.DiscardHandler), &httpError{err: &notify.Error{Op: "saas.start",
		Kind: notify.NotFound, Field: "task_id", Reason: notify.ReasonNotFound, Err: errors.New("no such task")}})
	if want := `{"code":40400,"msg":"task_id: no such task","data":null}` + "\n"; w.Code != 404 || w.Body.String() != want {
		t.Errorf("writeSaaSError(NotFound) = %d %s, want 404 %s", w.Code, w.Body, want)
	}
}
