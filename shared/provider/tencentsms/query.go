package tencentsms

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/seed4ddb146e/notify/shared/notify"
)

// PullAction asks what became of the SMS sent to one number:
// PullSmsSendStatusByPhoneNumber, of the same API version.
const PullAction = "PullSmsSendStatusByPhoneNumber"

const opQuery = "tencentsms." + PullAction

// MaxQueried is how many recipients of one message Query asks about: one
// request each, of the 20 a second the action takes.
const MaxQueried = 20

var _ notify.Querier = (*Client)(nil)

// pullRequest is the body of PullSmsSendStatusByPhoneNumber.
type pullRequest struct {
	BeginTime   int64  `json:"BeginTime"`
	Offset      int    `json:"Offset"`
	Limit       int    `json:"Limit"`
	PhoneNumber string `json:"PhoneNumber"`
	SmsSdkAppID string `json:"SmsSdkAppId"`
	EndTime     int64  `json:"EndTime"`
}

// pullStatus is one report of the answer.
type pullStatus struct {
	UserReceiveTime string `json:"UserReceiveTime"`
	PhoneNumber     string `json:"PhoneNumber"`
	SerialNo        string `json:"SerialNo"`
	ReportStatus    string `json:"ReportStatus"`
	Description     string `json:"Description"`
	SessionContext  string `json:"SessionContext"`
}

// Query asks PullSmsSendStatusByPhoneNumber what became of message m, for
// each of its first MaxQueried recipients, and returns a Report for each
// SMS of the message the provider has a report of: SUCCESS delivered, FAIL
// failed, with the report status as the code and its description as the
// text. An SMS is the message's by its SessionContext, which SendSMS sets
// to our message id; so a message whose send never recorded its outcome
// (no SerialNo) is found the same way. The pull reaches back 7 days.
func (c *Client) Query(ctx context.Context, m *notify.Message) ([]notify.Report, error) {
	var reports []notify.Report
	begin := m.CreatedAt.Add(-time.Minute)
	for _, phone := range m.Recipients[:min(len(m.Recipients), MaxQueried)] {
		numbers, err := e164([]string{phone})
		if err != nil {
			continue // not a number SendSms takes: none was sent
		}
		set, err := c.pull(ctx, pullRequest{BeginTime: begin.Unix(), Limit: 100, PhoneNumber: numbers[0],
			SmsSdkAppID: c.appID, EndTime: c.now().Unix()})
		if err != nil {
			return reports, err
		}
		for _, st := range set {
			var status notify.Status
			switch st.ReportStatus {
			case "SUCCESS":
				status = notify.Delivered
			case "FAIL":
				status = notify.Failed
			}
			if st.SessionContext != m.ID || status == "" || st.SerialNo == "" {
				continue
			}
			r := notify.Report{Provider: Name, Channel: notify.SMS, ProviderID: st.SerialNo, Recipient: phone,
				Status: status, Code: st.ReportStatus, Text: st.Description}
			if at, err := time.ParseInLocation(time.DateTime, st.UserReceiveTime, notify.Beijing); err == nil {
				r.At = at
			}
			reports = append(reports, r)
		}
	}
	return reports, nil
}

// pull sends one PullSmsSendStatusByPhoneNumber and returns its reports.
func (c *Client) pull(ctx context.Context, q pullRequest) ([]pullStatus, error) {
	body, err := json.Marshal(q)
	if err != nil {
		return nil, notify.E(opQuery, notify.Internal, err)
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	b, err := c.post(ctx, PullAction, opQuery, body)
	if err != nil {
		return nil, err
	}
	return decodePull(b)
}

// decodePull reads an answer to PullSmsSendStatusByPhoneNumber: its reports,
// or its Error as an *notify.Error.
func decodePull(b []byte) ([]pullStatus, error) {
	var v struct {
		Response *struct {
			Error     *apiError    `json:"Error"`
			RequestID string       `json:"RequestId"`
			Set       []pullStatus `json:"PullSmsSendStatusSet"`
		} `json:"Response"`
	}
	if err := json.Unmarshal(b, &v); err != nil || v.Response == nil {
		return nil, notify.E(opQuery, notify.Transient, errors.New("the answer is not Tencent's JSON"))
	}
	if e := v.Response.Error; e != nil {
		return nil, &notify.Error{Op: opQuery, Kind: topKind(e.Code), Code: e.Code, Message: e.Message,
			RequestID: v.Response.RequestID, Err: fmt.Errorf("%s: %s", e.Code, e.Message)}
	}
	return v.Response.Set, nil
}
