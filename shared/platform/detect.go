package platform

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Kind names the shape of an event payload.
type Kind string

// The events a function understands.
const (
	HTTPAPI        Kind = "apigw-http"       // API Gateway HTTP API, payload format 2.0
	RESTAPI        Kind = "apigw-rest"       // API Gateway REST API (and HTTP API payload 1.0)
	FunctionURL    Kind = "function-url"     // Lambda function URL, BUFFERED invoke mode
	SQS            Kind = "sqs"              // a batch of SQS messages
	EventBridge    Kind = "eventbridge"      // an AWS EventBridge event; detail is the request body
	FCHTTP         Kind = "fc-http"          // an FC3 HTTP trigger event, version v1
	MNSTopic       Kind = "mns-topic-json"   // an MNS topic push in JSON format
	MNSTopicStream Kind = "mns-topic-stream" // an MNS topic push in STREAM format: the message body itself
	CloudEvent     Kind = "cloudevent"       // one Aliyun EventBridge CloudEvent (an MNS queue message)
	CloudEvents    Kind = "cloudevent-batch" // a batch of Aliyun EventBridge CloudEvents
	Timer          Kind = "timer"            // an FC timer trigger, or an AWS scheduled event: scheduled work
)

// eventKeys are top-level keys that only events have. A JSON object that
// carries one of them but matches no event is a malformed event, not a
// STREAM-format message body.
var eventKeys = []string{
	"Records", "requestContext", "rawPath", "routeKey", "httpMethod", "resource",
	"detail-type", "detail", "specversion", "TopicOwner", "TopicName", "MessageMD5",
	"triggerTime", "triggerName",
}

// Detect reports which event payload is. A JSON object that is none of the
// events, and has none of their distinctive keys, is taken for the body of a
// STREAM-format MNS topic message: FC delivers those raw. So is the Base64
// of a JSON object (mnsBody). Anything else is an error that names what
// arrived without repeating it.
func Detect(payload []byte) (Kind, error) {
	p := bytes.TrimSpace(payload)
	if len(p) == 0 {
		return "", errors.New("platform: unrecognised event: empty payload")
	}
	switch p[0] {
	case '{':
		var m map[string]json.RawMessage
		if err := json.Unmarshal(p, &m); err != nil {
			return "", fmt.Errorf("platform: unrecognised event: a JSON object that does not parse (%d bytes): %w", len(p), err)
		}
		return detectObject(m)
	case '[':
		var a []json.RawMessage
		if err := json.Unmarshal(p, &a); err != nil {
			return "", fmt.Errorf("platform: unrecognised event: a JSON array that does not parse (%d bytes): %w", len(p), err)
		}
		return detectArray(a)
	}
	if json.Valid(p) {
		return "", fmt.Errorf("platform: unrecognised event: a JSON %s, not an object", jsonType(p[0]))
	}
	if b := mnsBody(p); len(b) > 0 && b[0] == '{' {
		// A STREAM push of a body its producer encoded in Base64.
		return MNSTopicStream, nil
	}
	return "", fmt.Errorf("platform: unrecognised event: not JSON (%d bytes)", len(p))
}

func detectObject(m map[string]json.RawMessage) (Kind, error) {
	has := func(k string) bool { _, ok := m[k]; return ok }
	switch {
	case has("Records"):
		var ev struct {
			Records []struct {
				EventSource string `json:"eventSource"`
			} `json:"Records"`
		}
		if err := json.Unmarshal(m["Records"], &ev.Records); err != nil || len(ev.Records) == 0 {
			return "", unrecognised(m)
		}
		for _, r := range ev.Records {
			if r.EventSource != "aws:sqs" {
				return "", fmt.Errorf("platform: unrecognised event: Records from %q, not aws:sqs", short(r.EventSource))
			}
		}
		return SQS, nil
	case has("specversion") && has("data"):
		return CloudEvent, nil
	case has("triggerTime") && has("triggerName"):
		return Timer, nil // FC's timer trigger
	case has("detail-type") && scheduled(m):
		return Timer, nil
	case has("detail-type") && has("detail"):
		return EventBridge, nil
	case has("requestContext"):
		switch stringField(m, "version") {
		case "2.0":
			var rc struct {
				DomainName string `json:"domainName"`
			}
			_ = json.Unmarshal(m["requestContext"], &rc)
			if strings.Contains(rc.DomainName, ".lambda-url.") {
				return FunctionURL, nil
			}
			return HTTPAPI, nil
		case "v1":
			return FCHTTP, nil
		case "", "1.0":
			if has("httpMethod") {
				return RESTAPI, nil
			}
		}
		return "", unrecognised(m)
	case has("Message") && (has("TopicOwner") || has("TopicName")):
		return MNSTopic, nil
	}
	for _, k := range eventKeys {
		if has(k) {
			return "", unrecognised(m)
		}
	}
	return MNSTopicStream, nil
}

func detectArray(a []json.RawMessage) (Kind, error) {
	if len(a) == 0 {
		return "", errors.New("platform: unrecognised event: an empty JSON array")
	}
	for i, el := range a {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(el, &m); err != nil {
			return "", fmt.Errorf("platform: unrecognised event: element %d of a JSON array of %d is not an object", i, len(a))
		}
		if _, ok := m["specversion"]; !ok {
			return "", fmt.Errorf("platform: unrecognised event: element %d of a JSON array of %d is no CloudEvent: top-level keys %v", i, len(a), keys(m))
		}
		if _, ok := m["data"]; !ok {
			return "", fmt.Errorf("platform: unrecognised event: element %d of a JSON array of %d is a CloudEvent without data", i, len(a))
		}
	}
	return CloudEvents, nil
}

// scheduled reports whether an EventBridge event is a schedule's rather
// than a message for the queue path: a classic rule's schedule
// (aws.events), or the Input our EventBridge Scheduler schedule sends in
// the same shape (aws.scheduler). Any other source is a message, whatever
// its detail-type.
func scheduled(m map[string]json.RawMessage) bool {
	if stringField(m, "detail-type") != "Scheduled Event" {
		return false
	}
	src := stringField(m, "source")
	return src == "aws.events" || src == "aws.scheduler"
}

// unrecognised names the top-level keys of an object that is no event we
// know; the values are left out, for they may hold secrets.
func unrecognised(m map[string]json.RawMessage) error {
	return fmt.Errorf("platform: unrecognised event: top-level keys %v", keys(m))
}

// keys returns m's keys, sorted, at most 20 of them and each cut to 40 bytes.
func keys(m map[string]json.RawMessage) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, short(k))
	}
	slices.Sort(ks)
	if len(ks) > 20 {
		ks = append(ks[:20], fmt.Sprintf("...(%d more)", len(ks)-20))
	}
	return ks
}

func short(s string) string {
	if len(s) > 40 {
		s = s[:40] + "..."
	}
	return strings.ToValidUTF8(s, "?")
}

// stringField returns m[k] when it is a JSON string, else "".
func stringField(m map[string]json.RawMessage, k string) string {
	var s string
	_ = json.Unmarshal(m[k], &s)
	return s
}

func jsonType(first byte) string {
	switch first {
	case '"':
		return "string"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	}
	return "number"
}
