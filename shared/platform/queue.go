package platform

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/aws/aws-lambda-go/events"
)

// message is one queue or topic message, to be replayed as a request.
type message struct {
	source  string // notify.Origin.Source
	id      string
	attempt int // the delivery count; 0 when unknown
	body    []byte
}

// mnsTopicEvent is an MNS topic push in JSON format. The SDK's
// events.MnsTopicEvent is not used: its PublishTime is a time.Time, and MNS
// sends epoch milliseconds as a number.
type mnsTopicEvent struct {
	TopicOwner       string `json:"TopicOwner"`
	Message          string `json:"Message"`
	Subscriber       string `json:"Subscriber"`
	PublishTime      millis `json:"PublishTime"`
	SubscriptionName string `json:"SubscriptionName"`
	MessageMD5       string `json:"MessageMD5"`
	TopicName        string `json:"TopicName"`
	MessageID        string `json:"MessageId"`
}

// cloudEvent is an Aliyun EventBridge event (CloudEvents 1.0), as the MNS
// queue trigger delivers it. The SDK's events.MnsQueueEvent would do for the
// documented shape, but its times are time.Time and data must be MNS's.
type cloudEvent struct {
	ID          string          `json:"id"`
	Source      string          `json:"source"`
	SpecVersion string          `json:"specversion"`
	Type        string          `json:"type"`
	Subject     string          `json:"subject"`
	Data        json.RawMessage `json:"data"`
}

// mnsData is the data of an MNS queue CloudEvent.
type mnsData struct {
	RequestID   string  `json:"requestId"`
	MessageID   string  `json:"messageId"`
	MessageBody *string `json:"messageBody"`
}

// decodeQueue reads the messages of a queue or topic event of kind k.
func decodeQueue(k Kind, payload []byte) ([]message, error) {
	switch k {
	case SQS:
		var ev events.SQSEvent
		if err := json.Unmarshal(payload, &ev); err != nil {
			return nil, err
		}
		ms := make([]message, 0, len(ev.Records))
		for _, r := range ev.Records {
			n, _ := strconv.Atoi(r.Attributes["ApproximateReceiveCount"])
			ms = append(ms, message{source: "sqs", id: r.MessageId, attempt: n, body: []byte(r.Body)})
		}
		return ms, nil
	case EventBridge:
		var ev events.EventBridgeEvent
		if err := json.Unmarshal(payload, &ev); err != nil {
			return nil, err
		}
		return []message{{source: "eventbridge", id: ev.ID, body: ev.Detail}}, nil
	case MNSTopic:
		var ev mnsTopicEvent
		if err := json.Unmarshal(payload, &ev); err != nil {
			return nil, err
		}
		return []message{{source: "mns-topic", id: ev.MessageID, body: mnsBody([]byte(ev.Message))}}, nil
	case MNSTopicStream:
		return []message{{source: "mns-topic", body: mnsBody(payload)}}, nil
	case CloudEvent:
		var ev cloudEvent
		if err := json.Unmarshal(payload, &ev); err != nil {
			return nil, err
		}
		m, err := ev.message()
		if err != nil {
			return nil, err
		}
		return []message{m}, nil
	case CloudEvents:
		var evs []cloudEvent
		if err := json.Unmarshal(payload, &evs); err != nil {
			return nil, err
		}
		ms := make([]message, 0, len(evs))
		for i, ev := range evs {
			m, err := ev.message()
			if err != nil {
				return nil, fmt.Errorf("event %d of %d: %w", i, len(evs), err)
			}
			ms = append(ms, m)
		}
		return ms, nil
	}
	return nil, fmt.Errorf("%s is no queue event", k)
}

// message returns the request body that e carries: data.messageBody for an
// MNS queue message, else data itself (a custom EventBridge event).
func (e cloudEvent) message() (message, error) {
	m := message{source: "eventbridge", id: e.ID}
	if strings.HasPrefix(e.Type, "mns:") {
		m.source = "mns-queue"
	}
	var d mnsData
	if json.Unmarshal(e.Data, &d) == nil && d.MessageBody != nil {
		m.body = []byte(*d.MessageBody)
		if m.source == "mns-queue" {
			m.body = mnsBody(m.body)
		}
		if d.MessageID != "" {
			m.id = d.MessageID
		}
		return m, nil
	}
	var s string
	if json.Unmarshal(e.Data, &s) == nil {
		m.body = []byte(s)
		return m, nil
	}
	if len(e.Data) == 0 || string(e.Data) == "null" {
		return m, fmt.Errorf("cloudevent %q has no data", short(e.ID))
	}
	m.body = e.Data
	return m, nil
}

// mnsBody returns the request an MNS message body b carries: b, or, when b
// is the Base64 of a JSON object, that object. MNS's clients offer to
// encode a body in Base64 (the Java client's setMessageBody does, where
// setMessageBodyAsRawString does not), and the triggers hand bodies over
// as sent (IsBase64Decode false in s.yaml), so a producer's request comes
// either way. The two cannot be confused: a JSON object starts with "{",
// which Base64 never has. Anything else is b, for the handler to refuse.
func mnsBody(b []byte) []byte {
	t := bytes.TrimSpace(b)
	if len(t) == 0 || t[0] == '{' {
		return b
	}
	d, err := base64.StdEncoding.AppendDecode(nil, t)
	if err != nil {
		return b
	}
	if d = bytes.TrimSpace(d); len(d) == 0 || d[0] != '{' || !json.Valid(d) {
		return b
	}
	return d
}

// verdict is what becomes of a message after the handler answered it.
type verdict uint8

const (
	done      verdict = iota // handled; 2xx
	retry                    // may work later: 408, 409, 425, 429, 5xx
	permanent                // will never work: any other status; dropped
)

func (v verdict) String() string {
	return [...]string{"done", "retry", "permanent"}[v]
}

// classify maps the handler's status for a message to its verdict.
func classify(status int) verdict {
	switch {
	case status >= 200 && status < 300:
		return done
	case status == 408, status == 409, status == 425, status == 429, status >= 500:
		return retry
	}
	return permanent
}

// reason pulls a short explanation out of a handler's error reply: the
// message field of a JSON body ({"Code":"ERROR","Message":...} and the
// like), else the start of the body.
func reason(body []byte) string {
	var m map[string]any
	if json.Unmarshal(body, &m) == nil {
		for _, k := range []string{"Message", "message", "error", "Error", "reason", "Reason", "msg"} {
			if s, ok := m[k].(string); ok && s != "" {
				return clip(s)
			}
		}
	}
	return clip(string(body))
}

func clip(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return strings.ToValidUTF8(s, "?")
}
