package httpapi

import (
	_ "embed"
	"log/slog"
	"net/http"

	"github.com/seed4ddb146e/notify/shared/notify"
)

// OpenAPI is the OpenAPI 3.1 document of every route the functions serve
// (openapi.json). Each function serves it whole at OpenAPIPath; the tests
// check every request and reply of the handler tests against it.
//
//go:embed openapi.json
var OpenAPI []byte

// OpenAPIPath is where each function, and the local server, serve OpenAPI.
const OpenAPIPath = "/openapi.json"

// openAPIRoute adds GET OpenAPIPath to mux.
func openAPIRoute(mux *http.ServeMux, log *slog.Logger) {
	mux.HandleFunc(OpenAPIPath, func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			writeError(w, r, log, &httpError{status: http.StatusMethodNotAllowed, err: &notify.Error{Op: "decode",
				Kind: notify.Invalid, Reason: notify.ReasonMethodNotAllowed, Err: errMethod(r.Method, "GET")}}, "", "")
			return
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		_, _ = w.Write(OpenAPI)
	})
}
