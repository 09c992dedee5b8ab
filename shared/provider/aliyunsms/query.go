package aliyunsms

import (
	"context"
	"strconv"
	"strings"
	"time"

	dysms "github.com/alibabacloud-go/dysmsapi-20170525/v3/client"
	"github.com/alibabacloud-go/tea/tea"

	"github.com/seed4ddb146e/notify/shared/notify"
	"github.com/seed4ddb146e/notify/shared/provider/internal/aliyun"
)

const opQuery = "aliyunsms.QuerySendDetails"

// MaxQueried is how many recipients of one message Query asks about:
// QuerySendDetails answers for one number at a time. MaxLookedUp is how
// many it looks up of a message without a BizId, which takes pages of a
// day's SMS each: one found shows the provider took the send, and each
// recipient's report still settles it.
const (
	MaxQueried  = 20
	MaxLookedUp = 3
)

var _ notify.Querier = (*Client)(nil)

// Query asks QuerySendDetails what became of message m, for each of its
// first MaxQueried recipients, and returns a Report for each the provider
// has settled (SendStatus 3 delivered, 2 failed); one still waiting for its
// report (1) gives none.
//
// The day asked about (SendDate) is the one m was recorded on; for a
// message recorded so close to midnight, Beijing time, that its send may
// have reached Aliyun the next day, that day too when the first has none
// of it.
//
// A message without a BizId (its send's answer was never recorded) is
// looked up, for its first MaxLookedUp recipients, by number and day
// without one, and found by the OutId it went out with: our message id.
// One sent with the caller's own OutId cannot be told from other SMS of
// the account (of any group) with that OutId: it gives a *notify.NoLookup. A
// lookup also gives a Submitted report for a recipient the provider has
// but has not settled.
func (c *Client) Query(ctx context.Context, m *notify.Message) ([]notify.Report, error) {
	n := MaxQueried
	if m.ProviderID == "" {
		if m.OutID != "" {
			return nil, &notify.NoLookup{Why: "it went out with the caller's OutId, which any SMS of the account, of any group, may share"}
		}
		n = MaxLookedUp
	}
	var reports []notify.Report
	for _, phone := range m.Recipients[:min(len(m.Recipients), n)] {
		var details []*detail
		for _, day := range aliyun.TakenDays(m.CreatedAt) {
			list, err := c.details(ctx, m, phone, day.Format("20060102"))
			if err != nil {
				return reports, err
			}
			if m.ProviderID == "" {
				list = sentAs(m, list)
			}
			if details = list; len(details) > 0 {
				break
			}
		}
		for _, d := range details {
			r := notify.Report{Provider: Name, Channel: notify.SMS, ProviderID: m.ProviderID, Recipient: phone,
				Code: tea.StringValue(d.ErrCode), OutID: tea.StringValue(d.OutId)}
			switch tea.Int64Value(d.SendStatus) {
			case 3:
				r.Status = notify.Delivered
			case 2:
				r.Status = notify.Failed
			case 1:
				if m.ProviderID != "" {
					continue
				}
				r.Status = notify.Submitted
			default:
				continue
			}
			if at, err := time.ParseInLocation("2006-01-02 15:04:05", strings.TrimSpace(tea.StringValue(d.ReceiveDate)), notify.Beijing); err == nil {
				r.At = at
			}
			reports = append(reports, r)
		}
	}
	return reports, nil
}

// detail is one SMS QuerySendDetails lists.
type detail = dysms.QuerySendDetailsResponseBodySmsSendDetailDTOsSmsSendDetailDTO

// lookupPages bounds the pages read to find a message without a BizId: the
// SMS of one number on one day, 50 a page.
const lookupPages = 2

// details lists the SMS to phone on day (SendDate): those of m's BizId,
// or, without one, every one of that day.
func (c *Client) details(ctx context.Context, m *notify.Message, phone, day string) ([]*detail, error) {
	var all []*detail
	for page := int64(1); page <= lookupPages; page++ {
		req := &dysms.QuerySendDetailsRequest{PhoneNumber: tea.String(phoneNumbers([]string{phone})),
			SendDate: tea.String(day), PageSize: tea.Int64(10), CurrentPage: tea.Int64(page)}
		if m.ProviderID != "" {
			req.BizId = tea.String(m.ProviderID)
		} else {
			req.PageSize = tea.Int64(50)
		}
		var (
			list  []*detail
			total int64
		)
		_, err := aliyun.Do(ctx, opQuery, c.api, func(api *dysms.Client) (aliyun.Answer, error) {
			resp, err := api.QuerySendDetailsWithOptions(req, c.runtime)
			if err != nil || resp.Body == nil {
				return aliyun.Answer{}, err
			}
			b := resp.Body
			if b.SmsSendDetailDTOs != nil {
				list = b.SmsSendDetailDTOs.SmsSendDetailDTO
			}
			total, _ = strconv.ParseInt(tea.StringValue(b.TotalCount), 10, 64)
			return aliyun.Answer{Code: tea.StringValue(b.Code), Message: tea.StringValue(b.Message),
				RequestID: tea.StringValue(b.RequestId), ID: m.ProviderID}, nil
		})
		if err != nil {
			return all, err
		}
		all = append(all, list...)
		if m.ProviderID != "" || len(list) == 0 || int64(len(all)) >= total {
			break
		}
	}
	return all, nil
}

// sentAs keeps the details of the SMS m went out as: those with m's id as
// their OutId and m's template.
func sentAs(m *notify.Message, ds []*detail) []*detail {
	var out []*detail
	for _, d := range ds {
		if tea.StringValue(d.OutId) == m.ID && tea.StringValue(d.TemplateCode) == m.Template {
			out = append(out, d)
		}
	}
	return out
}
