// Package callback wires the callback function, which takes the providers'
// delivery receipts and Aliyun's inbound SMS, pushed over HTTP behind the
// secret path tokens of its configuration or delivered from a queue, and
// keeps them in the store, where they settle the messages they name.
package callback

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/seed4ddb146e/notify/shared/config"
	"github.com/seed4ddb146e/notify/shared/httpapi"
	"github.com/seed4ddb146e/notify/shared/notify"
)

// New builds the callback function's handler over st, which must keep
// receipts (notify.ReportStore). Without any callback token it warns at
// cold start: every push over HTTP is then refused, and only queue messages
// are taken.
func New(ctx context.Context, cfg config.Config, st notify.Store, log *slog.Logger) (http.Handler, error) {
	rs, ok := st.(notify.ReportStore)
	if !ok {
		return nil, fmt.Errorf("callback: the store (%T) does not keep delivery receipts", st)
	}
	cb := cfg.Callback
	if !cb.Configured() {
		log.WarnContext(ctx, "no NOTIFY_CALLBACK_TOKEN: every receipt pushed over HTTP is answered 404 and lost; "+
			"only queue messages are taken")
	}
	return httpapi.Callback(rs, httpapi.CallbackTokens{Aliyun: cb.Aliyun, Tencent: cb.Tencent, Cloopen: cb.Cloopen}, log), nil
}
