package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"

	"github.com/seed4ddb146e/notify/shared/notify"
)

type cloopenRecord struct {
	Action      scalar `json:"action"`
	Content     scalar `json:"content"`
	FromNum     scalar `json:"fromNum"`
	DeliverCode scalar `json:"deliverCode"`
	RecvTime    scalar `json:"recvTime"`
	Status      scalar `json:"status"`
	ReqID       scalar `json:"reqId"`
}

// CloopenSMS parses a Ronglian (Cloopen) SMSArrived push, one record in
// {"Request":{...}} as the one known sample has it, or the record bare, or
// an array of either shape's records. content carries the smsMessageSid and
// fromNum the recipient; status "0" is delivered and any other failed, and
// without status deliverCode DELIVRD is delivered. reqId, the id a sender
// may set on TemplateSMS, is read as the out id. A record whose action is
// set and is not SMSArrived (an inbound SMS, say) is refused: its content
// would be a person's words, not an id.
//
// Only one third-party sample of this push is known (see
// docs/providers.md, Cloopen); the JSON form is assumed, not the XML one
// Ronglian's API also speaks.
func CloopenSMS(body []byte) ([]Report, error) {
	return parse("cloopen sms", unwrapRequest(body), func(r *cloopenRecord, raw json.RawMessage) (Report, error) {
		if err := check(field{"content", r.Content, maxID}, field{"action", r.Action, maxCode},
			field{"fromNum", r.FromNum, maxPhone}, field{"deliverCode", r.DeliverCode, maxCode},
			field{"recvTime", r.RecvTime, maxTime}, field{"status", r.Status, maxCode},
			field{"reqId", r.ReqID, maxOutID}); err != nil {
			return Report{}, err
		}
		if a := strings.TrimSpace(string(r.Action)); a != "" && !strings.EqualFold(a, "SMSArrived") {
			return Report{}, errors.New("action is not SMSArrived")
		}
		if err := require("content", r.Content); err != nil {
			return Report{}, err
		}
		st, err := cloopenStatus(r.Status, r.DeliverCode)
		if err != nil {
			return Report{}, err
		}
		code := r.DeliverCode
		if code == "" {
			code = r.Status
		}
		return Report{Provider: notify.ProviderCloopen, Channel: notify.SMS, ProviderID: string(r.Content),
			Recipient: phone(r.FromNum), Status: st, Code: string(code), OutID: string(r.ReqID),
			At: when(r.RecvTime), Raw: raw}, nil
	})
}

func cloopenStatus(status, deliverCode scalar) (notify.Status, error) {
	switch s := strings.TrimSpace(string(status)); s {
	case "0":
		return notify.Delivered, nil
	case "":
		switch strings.TrimSpace(string(deliverCode)) {
		case "DELIVRD":
			return notify.Delivered, nil
		case "":
			return "", errors.New("status missing")
		}
	}
	return notify.Failed, nil
}

// unwrapRequest returns what {"Request": ...} holds, or body when it is not
// such a wrapper.
func unwrapRequest(body []byte) []byte {
	b := bytes.TrimSpace(body)
	if len(b) > MaxBodyBytes || len(b) == 0 || b[0] != '{' {
		return body
	}
	var w struct {
		Request json.RawMessage `json:"Request"`
	}
	if err := json.Unmarshal(b, &w); err != nil || len(w.Request) == 0 || string(w.Request) == "null" {
		return body
	}
	return w.Request
}
