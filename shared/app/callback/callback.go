// Package callback wires the callback function, which will take delivery
// receipts from the providers. For now it builds, deploys, and answers
// every request with a clear 404.
package callback

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/seed4ddb146e/notify/shared/config"
	"github.com/seed4ddb146e/notify/shared/httpapi"
	"github.com/seed4ddb146e/notify/shared/notify"
)

// New builds the callback function's handler.
func New(_ context.Context, _ config.Config, _ notify.Store, log *slog.Logger) (http.Handler, error) {
	return httpapi.Callback(log), nil
}
