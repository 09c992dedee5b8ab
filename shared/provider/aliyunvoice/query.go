package aliyunvoice

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	dyvms "github.com/alibabacloud-go/dyvmsapi-20170525/v2/client"
	"github.com/alibabacloud-go/tea/tea"

	"github.com/seed4ddb146e/notify/shared/notify"
	"github.com/seed4ddb146e/notify/shared/provider/internal/aliyun"
	"github.com/seed4ddb146e/notify/shared/report"
)

const opQuery = "aliyunvoice.QueryCallDetailByCallId"

// ProdVoiceNotice is QueryCallDetailByCallId's product for text-to-speech
// notice calls.
const ProdVoiceNotice = 11000000300006

var _ notify.Querier = (*Client)(nil)

// callDetail is the JSON string QueryCallDetailByCallId answers in Data.
type callDetail struct {
	CallID    string `json:"callId"`
	State     string `json:"state"`
	StateDesc string `json:"stateDesc"`
	Callee    string `json:"callee"`
	EndDate   string `json:"endDate"`
	StartDate string `json:"startDate"`
}

// Query asks QueryCallDetailByCallId what became of call m and returns its
// Report, or none while the call has no state yet. QueryDate names the
// day, Beijing time, Aliyun took the call on: the day m was recorded, or,
// for a call recorded within notify.InFlightFor (the longest a send runs)
// of midnight, the next day, asked when the first has no such call. A call
// without a CallId (its send's answer was never recorded) cannot be looked
// up: the API knows calls by CallId alone.
func (c *Client) Query(ctx context.Context, m *notify.Message) ([]notify.Report, error) {
	if m.ProviderID == "" {
		return nil, &notify.NoLookup{Why: "QueryCallDetailByCallId finds a call by its CallId alone, and this one has none"}
	}
	var data string
	for _, day := range aliyun.TakenDays(m.CreatedAt) {
		req := &dyvms.QueryCallDetailByCallIdRequest{CallId: tea.String(m.ProviderID), ProdId: tea.Int64(ProdVoiceNotice),
			QueryDate: tea.Int64(day.UnixMilli())}
		_, err := aliyun.Do(ctx, opQuery, c.api, func(api *dyvms.Client) (aliyun.Answer, error) {
			resp, err := api.QueryCallDetailByCallIdWithOptions(req, c.runtime)
			if err != nil || resp.Body == nil {
				return aliyun.Answer{}, err
			}
			b := resp.Body
			data = tea.StringValue(b.Data)
			return aliyun.Answer{Code: tea.StringValue(b.Code), Message: tea.StringValue(b.Message),
				RequestID: tea.StringValue(b.RequestId), ID: m.ProviderID}, nil
		})
		if err != nil {
			return nil, err
		}
		if strings.TrimSpace(data) != "" {
			break
		}
	}
	if strings.TrimSpace(data) == "" {
		return nil, nil
	}
	var d callDetail
	if err := json.Unmarshal([]byte(data), &d); err != nil {
		return nil, notify.E(opQuery, notify.Ambiguous, err)
	}
	if d.State == "" {
		return nil, nil
	}
	r := notify.Report{Provider: Name, Channel: notify.Voice, ProviderID: m.ProviderID, Status: report.CallStatus(d.State),
		Code: d.State, Text: d.StateDesc}
	if len(m.Recipients) > 0 {
		r.Recipient = m.Recipients[0] // the callee is masked in the answer
	}
	for _, t := range []string{d.EndDate, d.StartDate} {
		if at, err := time.ParseInLocation(time.DateTime, t, notify.Beijing); err == nil {
			r.At = at
			break
		}
	}
	return []notify.Report{r}, nil
}
