package platform

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// sampleKinds maps the file names under events/ to the kind each must be
// detected as.
var sampleKinds = map[string]Kind{
	"apigw-http.json":            HTTPAPI,
	"apigw-rest.json":            RESTAPI,
	"function-url.json":          FunctionURL,
	"sqs.json":                   SQS,
	"eventbridge.json":           EventBridge,
	"fc-http.json":               FCHTTP,
	"mns-topic-json.json":        MNSTopic,
	"mns-topic-stream.json":      MNSTopicStream,
	"mns-queue-cloudevent.json":  CloudEvent,
	"mns-queue-batch.json":       CloudEvents,
	"fc-timer.json":              Timer,
	"scheduler.json":             Timer,
	"eventbridge-scheduled.json": Timer,
}

// sampleRoutes and sampleBodies are each function's route and the request
// body its sample events carry (the legacy API's for sms, tts and mail:
// docs/legacy.md).
var (
	sampleRoutes = map[string]string{
		"sms": "/sms", "tts": "/tts", "mail": "/mail", "callback": "/callback/TOKEN/aliyun/sms-report",
	}
	sampleBodies = map[string]string{
		"sms":  `{"GroupID":"demo","PhoneNumbers":"13800138000","SignName":"notify","TemplateCode":"SMS_0001","TemplateParam":"123456"}`,
		"tts":  `{"GroupID":"demo","CalledNumber":"13800138000","TtsCode":"TTS_0001","TtsParam":{"code":"123456"}}`,
		"mail": `{"group_id":"demo","subject":"Hello","to":["someone@example.com"],"body":"Hello from notify"}`,
		"callback": `[{"phone_number":"13800138000","send_time":"2024-01-01 12:00:00","report_time":"2024-01-01 12:00:05",` +
			`"success":true,"err_code":"DELIVERED","err_msg":"用户接收成功","sms_size":"1","biz_id":"123456789012345678^0",` +
			`"out_id":"0190c0ffee0000000000000000000001"}]`,
	}
)

// TestSampleEvents checks every file in events/: the detector must name its
// kind after its file name, and running it must hand the function's handler
// a POST of the function's route carrying the sample body, or, for a timer
// event, call its Tick once with the invocation's deadline and answer null.
func TestSampleEvents(t *testing.T) {
	files, err := filepath.Glob("../../events/*/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no sample events: %v", err)
	}
	counts := map[string]int{}
	for _, file := range files {
		fn, name := filepath.Base(filepath.Dir(file)), filepath.Base(file)
		counts[fn]++
		t.Run(fn+"/"+name, func(t *testing.T) {
			want, ok := sampleKinds[name]
			if !ok {
				t.Fatalf("unexpected sample file name %s", name)
			}
			route, ok := sampleRoutes[fn]
			if !ok {
				t.Fatalf("unexpected function directory %s", fn)
			}
			payload, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			got, err := Detect(payload)
			if err != nil || got != want {
				t.Fatalf("Detect = %q, %v; want %q", got, err, want)
			}
			rec := &recorder{}
			f, err := New(rec, Options{Name: fn, QueuePath: route})
			if err != nil {
				t.Fatal(err)
			}
			inv := invocation{host: onLambda, requestID: "req-sample"}
			if strings.HasPrefix(name, "fc-") || strings.HasPrefix(name, "mns-") {
				inv.host = onFC
			}
			ctx, cancel := context.WithDeadline(context.Background(), fixedDeadline)
			defer cancel()
			reply, err := f.invoke(ctx, payload, inv)
			if err != nil {
				t.Fatalf("invoke: %v", err)
			}
			reqs := rec.requestsInOrder(payload)
			if want == Timer {
				ticks := rec.ticked()
				if len(ticks) != 1 || ticks[0].RequestID != "req-sample" || ticks[0].Deadline != fixedDeadline.Format(time.RFC3339) ||
					len(reqs) != 0 || string(reply) != "null" {
					t.Errorf("ticks %+v, requests %+v, reply %s; want one tick with the request id and deadline, no request, null",
						ticks, reqs, reply)
				}
				return
			}
			if len(reqs) == 0 {
				t.Fatal("the handler saw no request")
			}
			first := reqs[0]
			if first.Method != "POST" || first.Path != route {
				t.Errorf("request = %s %s, want POST %s", first.Method, first.Path, route)
			}
			if !jsonEqual(first.Body, sampleBodies[fn]) {
				t.Errorf("body = %s\nwant %s", first.Body, sampleBodies[fn])
			}
			if want == SQS || want == CloudEvents {
				if len(reqs) != 2 {
					t.Errorf("a batch sample made %d requests, want 2", len(reqs))
				}
			}
		})
	}
	wantCounts := map[string]int{"sms": 10, "tts": 10, "mail": 10, "callback": 7}
	if !reflect.DeepEqual(counts, wantCounts) {
		t.Errorf("sample files per function = %v, want %v", counts, wantCounts)
	}
}

func jsonEqual(a, b string) bool {
	var x, y any
	if json.Unmarshal([]byte(a), &x) != nil || json.Unmarshal([]byte(b), &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}
