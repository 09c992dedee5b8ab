package platform

import (
	"context"
	"strings"
	"testing"
)

func TestDetectRejects(t *testing.T) {
	tests := []struct {
		name, payload, want string
	}{
		{"empty", "  \n", "platform: unrecognised event: empty payload"},
		{"text", "hello topic", "platform: unrecognised event: not JSON (11 bytes)"},
		{"string", `"hello"`, "platform: unrecognised event: a JSON string, not an object"},
		{"number", `42`, "platform: unrecognised event: a JSON number, not an object"},
		{"broken object", `{"a":`, "platform: unrecognised event: a JSON object that does not parse (5 bytes)"},
		{"empty array", `[]`, "platform: unrecognised event: an empty JSON array"},
		{"array of numbers", `[1,2]`, "platform: unrecognised event: element 0 of a JSON array of 2 is not an object"},
		{"array of objects", `[{"specversion":"1.0","data":{}},{"foo":1}]`,
			"platform: unrecognised event: element 1 of a JSON array of 2 is no CloudEvent: top-level keys [foo]"},
		{"cloudevent without data", `[{"specversion":"1.0"}]`,
			"platform: unrecognised event: element 0 of a JSON array of 1 is a CloudEvent without data"},
		{"sns", `{"Records":[{"EventSource":"aws:sns","Sns":{"Message":"secret"}}]}`,
			`platform: unrecognised event: Records from "aws:sns", not aws:sqs`},
		{"no records", `{"Records":[]}`, "platform: unrecognised event: top-level keys [Records]"},
		{"http api v3", `{"version":"3.0","requestContext":{},"body":"x"}`,
			"platform: unrecognised event: top-level keys [body requestContext version]"},
		{"rest without method", `{"requestContext":{},"path":"/sms"}`,
			"platform: unrecognised event: top-level keys [path requestContext]"},
		{"stray event key", `{"detail":{"a":1},"password":"hunter2"}`,
			"platform: unrecognised event: top-level keys [detail password]"},
		{"timer without a name", `{"triggerTime":"2023-12-26T07:49:00Z","payload":"secret"}`,
			"platform: unrecognised event: top-level keys [payload triggerTime]"},
		{"schedule of another detail-type", `{"detail-type":"Scheduled Events","source":"aws.events"}`,
			"platform: unrecognised event: top-level keys [detail-type source]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, err := Detect([]byte(tt.payload))
			if err == nil {
				t.Fatalf("Detect(%s) = %q, want error %q", tt.payload, k, tt.want)
			}
			if !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("Detect(%s) error = %q, want %q", tt.payload, err, tt.want)
			}
			for _, secret := range []string{"hunter2", "secret"} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error %q repeats a value of the payload", err)
				}
			}
		})
	}
}

func TestDetectKinds(t *testing.T) {
	tests := []struct {
		payload string
		want    Kind
	}{
		{`{"version":"2.0","requestContext":{"domainName":"x.execute-api.us-east-1.amazonaws.com"}}`, HTTPAPI},
		{`{"version":"2.0","requestContext":{"domainName":"x.lambda-url.us-east-1.on.aws"}}`, FunctionURL},
		{`{"version":"1.0","httpMethod":"GET","requestContext":{}}`, RESTAPI},
		{`{"httpMethod":"GET","requestContext":{}}`, RESTAPI},
		{`{"version":"v1","rawPath":"/","requestContext":{}}`, FCHTTP},
		{`{"Records":[{"eventSource":"aws:sqs"},{"eventSource":"aws:sqs"}]}`, SQS},
		{`{"detail-type":"x","source":"y","detail":{}}`, EventBridge},
		{`{"detail-type":"Scheduled Event","source":"notify.sms","detail":{}}`, EventBridge},
		{`{"detail-type":"Scheduled Event","source":"aws.events","detail":{}}`, Timer},
		{`{"detail-type":"Scheduled Event","source":"aws.scheduler","time":"2024-01-01T12:00:00Z","detail":{}}`, Timer},
		{`{"detail-type":"Scheduled Event","source":"aws.scheduler"}`, Timer},
		{`{"triggerTime":"2023-12-26T07:49:00Z","triggerName":"timer","payload":""}`, Timer},
		{`{"triggerTime":"2023-12-26T07:49:00Z","triggerName":"timer"}`, Timer},
		{`{"TopicOwner":"1","Message":"{}","PublishTime":1}`, MNSTopic},
		{`{"TopicName":"t","Message":"{}","PublishTime":"1"}`, MNSTopic},
		{`{"specversion":"1.0","data":{"messageBody":"{}"}}`, CloudEvent},
		{` [{"specversion":"1.0","data":{}}] `, CloudEvents},
		{`{"GroupID":"demo"}`, MNSTopicStream},
		{`{}`, MNSTopicStream},
	}
	for _, tt := range tests {
		if got, err := Detect([]byte(tt.payload)); err != nil || got != tt.want {
			t.Errorf("Detect(%s) = %q, %v; want %q", tt.payload, got, err, tt.want)
		}
	}
}

// A JSON object that is no event is a STREAM-format topic message only on
// FC, and only for a function with a queue trigger.
func TestStreamOnlyOnFC(t *testing.T) {
	payload := []byte(`{"foo":1,"bar":"hunter2"}`)
	const want = "platform: unrecognised event: top-level keys [bar foo]"
	tests := []struct {
		name      string
		host      host
		queuePath string
		wantErr   bool
	}{
		{"lambda", onLambda, "/sms", true},
		{"fc without queue", onFC, "", true},
		{"fc with queue", onFC, "/sms", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{}
			f, err := New(rec, Options{Name: "sms", QueuePath: tt.queuePath})
			if err != nil {
				t.Fatal(err)
			}
			_, err = f.invoke(context.Background(), payload, invocation{host: tt.host})
			if tt.wantErr {
				if err == nil || err.Error() != want {
					t.Errorf("invoke error = %v, want %q", err, want)
				}
				if n := len(rec.requests()); n != 0 {
					t.Errorf("the handler saw %d requests, want none", n)
				}
				return
			}
			if err != nil {
				t.Fatalf("invoke: %v", err)
			}
			if reqs := rec.requests(); len(reqs) != 1 || reqs[0].Body != string(payload) {
				t.Errorf("handler saw %+v, want one request with the payload as body", reqs)
			}
		})
	}
}

func TestQueueEventWithoutQueueTrigger(t *testing.T) {
	f, err := New(&recorder{}, Options{Name: "callback"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.Invoke(context.Background(), []byte(`{"Records":[{"eventSource":"aws:sqs","messageId":"1","body":"{}"}]}`))
	const want = "platform: function callback has no queue trigger, but a sqs event arrived"
	if err == nil || err.Error() != want {
		t.Errorf("Invoke error = %v, want %q", err, want)
	}
}

func TestNewRejects(t *testing.T) {
	if _, err := New(nil, Options{}); err == nil {
		t.Error("New(nil handler) succeeded")
	}
	for _, p := range []string{"sms", "http://x/sms", "/%zz"} {
		if _, err := New(&recorder{}, Options{Name: "sms", QueuePath: p}); err == nil {
			t.Errorf("New with QueuePath %q succeeded", p)
		}
	}
}
