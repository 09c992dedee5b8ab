package httpapi

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/seed4ddb146e/notify/shared/notify"
)

// Routes are the routes each function serves, by function name: what
// template.yaml and s.yaml must route to it.
var Routes = map[string][]string{
	"sms":      {"POST /sms"},
	"tts":      {"POST /tts"},
	"mail":     {"POST /mail"},
	"callback": CallbackRoutes,
}

// CallbackRoutes are the routes the callback function will serve: one
// delivery-receipt push per provider, behind a secret path token.
var CallbackRoutes = []string{
	"POST /callback/{token}/aliyun/sms-report",
	"POST /callback/{token}/aliyun/sms-up",
	"POST /callback/{token}/aliyun/voice-report",
	"POST /callback/{token}/tencent/sms",
	"POST /callback/{token}/cloopen/sms",
}

// Callback returns the callback function's handler. Receipts are not taken
// yet: every route answers 404 with a body that says so, and the path
// (which carries a secret token) is never echoed or logged.
func Callback(log *slog.Logger) http.Handler {
	log = logOrDiscard(log)
	err := &notify.Error{Op: "callback", Kind: notify.Invalid, Reason: "receipts_not_served",
		Err: errors.New("delivery receipts are not taken yet by this release; nothing was recorded")}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, r, log, &httpError{status: http.StatusNotFound, err: err}, "", "")
	})
}
