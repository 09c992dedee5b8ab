package platform

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/aliyun/fc-runtime-go-sdk/fc"
	"github.com/aliyun/fc-runtime-go-sdk/fccontext"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/seed4ddb146e/notify/shared/notify"
)

// Options say how Start serves a function.
type Options struct {
	// Name is the function's name (sms, tts, mail, callback), for logs and
	// errors.
	Name string
	// QueuePath is the route a queue message's body is POSTed to, such as
	// "/sms"; "" means the function has no queue trigger and refuses queue
	// events.
	QueuePath string
	// Log receives the platform's own log lines; nil is JSON on stderr at
	// level info. Its handler is wrapped with LogHandler when it is not one.
	Log *slog.Logger
	// Getenv reads the environment; nil is os.Getenv.
	Getenv func(string) string
	// Ready tells whether the function can serve: the local server's GET
	// /readyz answers 200 when it returns nil within a second, else 503.
	// Nil is always ready. GET /healthz answers 200 while the process is up.
	Ready func(context.Context) error
	// AccessKeys, when set, is given the credentials of the function's
	// role that Aliyun FC hands each invocation (its x-fc-access-key-id,
	// x-fc-access-key-secret and x-fc-security-token), before the
	// invocation runs: those FC put in the environment at the instance's
	// start expire 36 hours after it, and an instance may live longer.
	AccessKeys func(notify.AccessKeys)
}

// listenAddr is where the local HTTP server listens: $NOTIFY_HOST:$PORT,
// by default 127.0.0.1:8010. This machine only, unless NOTIFY_HOST says
// otherwise: a local run authorizes a group without keys by its id alone,
// and may hold the developer's own provider keys. (Not HOST, which some
// shells set to the machine's name.) Spaces around either are dropped,
// as config.Load drops them.
func listenAddr(getenv func(string) string) string {
	host, port := strings.TrimSpace(getenv("NOTIFY_HOST")), strings.TrimSpace(getenv("PORT"))
	if host == "" {
		host = "127.0.0.1"
	}
	if port == "" {
		port = "8010"
	}
	return net.JoinHostPort(host, port)
}

// CheckHost checks NOTIFY_HOST, the address the local HTTP server
// listens on: unset, an IP address, or a host name. A name is not looked
// up: that is for the listen.
func CheckHost(getenv func(string) string) error {
	h := strings.TrimSpace(getenv("NOTIFY_HOST"))
	if h == "" || net.ParseIP(h) != nil {
		return nil
	}
	// An IPv6 address with its zone (fe80::1%eth0), as net.Listen takes
	// a link-local one.
	if ip, zone, ok := strings.Cut(h, "%"); ok && zone != "" && strings.Contains(ip, ":") && net.ParseIP(ip) != nil {
		return nil
	}
	name := true
	digits := true // digits and dots alone (999.1.1.1) are no name: they would be an IP address
	for _, label := range strings.Split(strings.TrimSuffix(h, "."), ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			name = false
		}
		for _, c := range []byte(label) {
			// '_' as the resolver takes it: Docker names containers
			// project_service_1.
			if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
				name = false
			}
			if c < '0' || c > '9' {
				digits = false
			}
		}
	}
	if !name || digits || len(h) > 253 {
		return fmt.Errorf("NOTIFY_HOST: %q is not an IP address or a host name; want 127.0.0.1 (the default), 0.0.0.0 or ::", h)
	}
	return nil
}

// Start serves h on the runtime the environment names, and returns only
// when serving ends:
//
//   - AWS_LAMBDA_RUNTIME_API set: the AWS Lambda runtime loop (aws-lambda-go),
//     which never returns;
//   - FC_RUNTIME_API set: the Aliyun FC 3 go1 runtime loop
//     (fc-runtime-go-sdk), which never returns;
//   - neither: an HTTP server on $NOTIFY_HOST:$PORT (127.0.0.1:8010 when
//     unset) until SIGINT or SIGTERM, after which it finishes the requests
//     in flight and returns nil. A handler that is a Ticker is ticked meanwhile by RunTicker,
//     every NOTIFY_TICK_EVERY (see TickEvery). It also answers GET /healthz
//     and GET /readyz (see Options.Ready).
//
// Nothing slow happens before the runtime loop starts.
func Start(h http.Handler, o Options) error {
	f, err := New(h, o)
	if err != nil {
		return err
	}
	if o.Log == nil {
		f.log = Logger(os.Stderr, slog.LevelInfo)
	}
	getenv := o.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	switch RuntimeOf(getenv) {
	case Lambda:
		lambda.StartWithOptions(f.lambdaHandler)
		return errors.New("platform: the Lambda runtime loop ended")
	case FC:
		fc.Start(f.fcHandler)
		return errors.New("platform: the FC runtime loop ended")
	}
	t, ticks := h.(Ticker)
	var every time.Duration
	if ticks {
		if every, err = TickEvery(getenv); err != nil {
			return err
		}
	}
	if err := CheckHost(getenv); err != nil {
		return err
	}
	addr := listenAddr(getenv)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("platform: listen on %s: %w", addr, err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if ticks && every > 0 {
		ticking := make(chan struct{})
		go func() {
			defer close(ticking)
			RunTicker(ctx, t, every, f.log.With("function", f.name))
		}()
		defer func() { stop(); <-ticking }()
	}
	return f.Serve(ctx, ln)
}

// lambdaHandler is the handler given to aws-lambda-go.
func (f *Function) lambdaHandler(ctx context.Context, ev json.RawMessage) (json.RawMessage, error) {
	inv := invocation{host: onLambda}
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		inv.requestID = lc.AwsRequestID
	}
	return f.invoke(ctx, ev, inv)
}

// fcHandler is the handler given to fc-runtime-go-sdk. A []byte argument
// gets the raw payload, which an MNS topic in STREAM format needs; the
// result is json.Marshal'ed, which leaves a json.RawMessage as it is.
func (f *Function) fcHandler(ctx context.Context, ev []byte) (json.RawMessage, error) {
	inv := invocation{host: onFC}
	if fctx, ok := fccontext.FromContext(ctx); ok {
		inv.requestID = fctx.RequestID
		inv.attempt = 1 + fctx.RetryCount
		if c := fctx.Credentials; f.keys != nil && c.AccessKeyId != "" {
			f.keys(notify.AccessKeys{AccessKeyID: c.AccessKeyId, AccessKeySecret: notify.Secret(c.AccessKeySecret),
				SecurityToken: notify.Secret(c.SecurityToken)})
		}
	}
	return f.invoke(ctx, ev, inv)
}
