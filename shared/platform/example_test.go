package platform_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/seed4ddb146e/notify/shared/notify"
	"github.com/seed4ddb146e/notify/shared/platform"
)

// A function's main hands its handler to Start, which serves it on Lambda,
// on FC or locally, as the environment says.
func ExampleStart() {
	log := platform.Logger(os.Stderr, slog.LevelInfo)
	sms := http.NewServeMux()
	sms.HandleFunc("POST /sms", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, `{"Code":"OK"}`)
	})
	if err := platform.Start(sms, platform.Options{Name: "sms", QueuePath: "/sms", Log: log}); err != nil {
		log.Error("sms function stopped", "err", err)
		os.Exit(1)
	}
}

// Invoke runs an event in-process, as the runtimes do: here an SQS batch
// whose second message the handler refuses for a while (503), so SQS is
// asked to deliver that one again.
func ExampleFunction_Invoke() {
	var mu sync.Mutex
	var seen []string // the messages of a batch run at once, in any order
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o, _ := notify.OriginFrom(r.Context())
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		seen = append(seen, fmt.Sprintf("%s %s from %s message %s: %s", r.Method, r.URL.Path, o.Source, o.MessageID, body))
		mu.Unlock()
		if o.MessageID == "m2" {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	})
	f, err := platform.New(h, platform.Options{Name: "sms", QueuePath: "/sms"})
	if err != nil {
		panic(err)
	}
	event := `{"Records":[
		{"eventSource":"aws:sqs","messageId":"m1","body":"{\"GroupID\":\"demo\"}"},
		{"eventSource":"aws:sqs","messageId":"m2","body":"{\"GroupID\":\"demo\"}"}]}`
	reply, err := f.Invoke(platform.WithRequestID(context.Background(), "r1"), []byte(event))
	slices.Sort(seen)
	fmt.Println(strings.Join(seen, "\n"))
	fmt.Println(string(reply), err)
	// Output:
	// POST /sms from sqs message m1: {"GroupID":"demo"}
	// POST /sms from sqs message m2: {"GroupID":"demo"}
	// {"batchItemFailures":[{"itemIdentifier":"m2"}]} <nil>
}

// sweeper is a handler that also does scheduled work.
type sweeper struct{ http.Handler }

func (sweeper) Tick(ctx context.Context) error {
	_, ok := ctx.Deadline()
	fmt.Println("sweeping, with a deadline:", ok)
	return nil
}

// A timer event (here FC's) calls the handler's Tick, with the
// invocation's deadline, and the runtime gets null.
func ExampleTicker() {
	f, err := platform.New(sweeper{http.NotFoundHandler()}, platform.Options{Name: "callback"})
	if err != nil {
		panic(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	reply, err := f.Invoke(ctx, []byte(`{"triggerTime":"2023-12-26T07:49:00Z","triggerName":"timer","payload":""}`))
	fmt.Println(string(reply), err)
	// Output:
	// sweeping, with a deadline: true
	// null <nil>
}

// Locally, RunTicker stands in for the timer trigger until ctx is done.
func ExampleRunTicker() {
	every, err := platform.TickEvery(os.Getenv) // NOTIFY_TICK_EVERY, 1m when unset
	if err != nil || every == 0 {
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	platform.RunTicker(ctx, sweeper{}, every, platform.Logger(os.Stderr, slog.LevelInfo))
}

// Lines logged with a request's context carry its request id.
func ExampleLogHandler() {
	noTime := func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		return a
	}
	log := slog.New(platform.LogHandler(slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{ReplaceAttr: noTime})))
	ctx := platform.WithRequestID(context.Background(), "c0ffee")
	log.InfoContext(ctx, "sent", "channel", "sms")
	// Output: {"level":"INFO","msg":"sent","channel":"sms","request_id":"c0ffee"}
}

// Detect names the event a payload is.
func ExampleDetect() {
	for _, p := range []string{
		`{"version":"v1","rawPath":"/sms","requestContext":{"http":{"method":"POST"}}}`,
		`[{"specversion":"1.0","type":"mns:Queue:SendMessage","data":{"messageBody":"{}"}}]`,
		`{"foo":1,"Records":2}`,
	} {
		fmt.Println(platform.Detect([]byte(p)))
	}
	// Output:
	// fc-http <nil>
	// cloudevent-batch <nil>
	//  platform: unrecognised event: top-level keys [Records foo]
}
