package aliyunsms

import (
	"context"
	"strings"
	"time"

	dysms "github.com/alibabacloud-go/dysmsapi-20170525/v3/client"
	"github.com/alibabacloud-go/tea/tea"

	"github.com/seed4ddb146e/notify/shared/notify"
	"github.com/seed4ddb146e/notify/shared/provider/internal/aliyun"
)

const opQuery = "aliyunsms.QuerySendDetails"

// MaxQueried is how many recipients of one message Query asks about:
// QuerySendDetails answers for one number at a time.
const MaxQueried = 20

var _ notify.Querier = (*Client)(nil)

var china = time.FixedZone("CST", 8*3600)

// Query asks QuerySendDetails what became of message m, for each of its
// first MaxQueried recipients, and returns a Report for each the provider
// has settled (SendStatus 3 delivered, 2 failed); one still waiting for its
// receipt (1) gives none.
func (c *Client) Query(ctx context.Context, m *notify.Message) ([]notify.Report, error) {
	var reports []notify.Report
	for _, phone := range m.Recipients[:min(len(m.Recipients), MaxQueried)] {
		api, err := c.api.Get()
		if err != nil {
			return reports, notify.E(opQuery, notify.Internal, err)
		}
		req := &dysms.QuerySendDetailsRequest{PhoneNumber: tea.String(phoneNumbers([]string{phone})),
			BizId: tea.String(m.ProviderID), SendDate: tea.String(m.CreatedAt.In(china).Format("20060102")),
			PageSize: tea.Int64(10), CurrentPage: tea.Int64(1)}
		var details []*dysms.QuerySendDetailsResponseBodySmsSendDetailDTOsSmsSendDetailDTO
		_, err = aliyun.Do(ctx, opQuery, func() (aliyun.Answer, error) {
			defer c.api.Put(api) // once the SDK is done with it, whenever that is
			resp, err := api.QuerySendDetailsWithOptions(req, c.runtime)
			if err != nil || resp.Body == nil {
				return aliyun.Answer{}, err
			}
			b := resp.Body
			if b.SmsSendDetailDTOs != nil {
				details = b.SmsSendDetailDTOs.SmsSendDetailDTO
			}
			return aliyun.Answer{Code: tea.StringValue(b.Code), Message: tea.StringValue(b.Message),
				RequestID: tea.StringValue(b.RequestId), ID: m.ProviderID}, nil
		})
		if err != nil {
			return reports, err
		}
		for _, d := range details {
			r := notify.Report{Provider: Name, Channel: notify.SMS, ProviderID: m.ProviderID, Recipient: phone,
				Code: tea.StringValue(d.ErrCode), OutID: tea.StringValue(d.OutId)}
			switch tea.Int64Value(d.SendStatus) {
			case 3:
				r.Status = notify.Delivered
			case 2:
				r.Status = notify.Failed
			default:
				continue
			}
			if at, err := time.ParseInLocation("2006-01-02 15:04:05", strings.TrimSpace(tea.StringValue(d.ReceiveDate)), china); err == nil {
				r.At = at
			}
			reports = append(reports, r)
		}
	}
	return reports, nil
}
