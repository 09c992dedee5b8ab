// Package aliyunsms sends SMS through Aliyun's Dysmsapi (SendSms), with the
// official SDK github.com/alibabacloud-go/dysmsapi-20170525/v3, which signs
// with ACS3-HMAC-SHA256.
//
// New checks a Config and returns a Client, whose SendSMS sends one message
// and classifies every outcome into a notify Kind; the SDK's retry is off,
// and a send returns when its context is done. docs/providers.md (Aliyun
// Dysmsapi) has the wire format, the client's choices and why, and the
// table of how Aliyun's codes are classified.
package aliyunsms

import (
	"cmp"
	"context"
	"strings"

	dysms "github.com/alibabacloud-go/dysmsapi-20170525/v3/client"
	util "github.com/alibabacloud-go/tea-utils/v2/service"
	"github.com/alibabacloud-go/tea/tea"

	"github.com/seed4ddb146e/notify/shared/notify"
	"github.com/seed4ddb146e/notify/shared/provider/internal/aliyun"
)

// DefaultEndpoint is Aliyun's SMS endpoint, used over https when
// Config.Endpoint is empty.
const DefaultEndpoint = "dysmsapi.aliyuncs.com"

const opSend = "aliyunsms.SendSms"

// Config configures a Client: AccessKeyID and AccessKeySecret are required;
// SecurityToken is set with STS credentials; Endpoint is a host, host:port
// (https) or an http(s) URL without a path, "" for DefaultEndpoint; Timeout
// bounds one request, 0 for 10 seconds.
type Config = aliyun.Config

// Client sends SMS through Aliyun. It is safe for concurrent use.
type Client struct {
	runtime *util.RuntimeOptions
	api     *aliyun.Pool[*dysms.Client] // SDK clients, one per call in progress
}

var _ notify.SMSSender = (*Client)(nil)

// New checks c and returns a Client. It makes no connection.
func New(c Config) (*Client, error) {
	s, err := aliyun.Check("aliyunsms", DefaultEndpoint, c)
	if err != nil {
		return nil, err
	}
	return &Client{runtime: new(util.RuntimeOptions).SetAutoretry(false), api: aliyun.NewPool(s, dysms.NewClient)}, nil
}

// SendSMS sends m to all its numbers in one SendSms request. The acceptance's
// ProviderID is Aliyun's BizId. Errors are *notify.Error values.
func (c *Client) SendSMS(ctx context.Context, m notify.TextMessage) (notify.Acceptance, error) {
	req := &dysms.SendSmsRequest{
		PhoneNumbers: tea.String(phoneNumbers(m.PhoneNumbers)),
		SignName:     tea.String(m.SignName),
		TemplateCode: tea.String(m.TemplateCode),
	}
	if m.Params != "" {
		req.TemplateParam = tea.String(m.Params)
	}
	if outID := cmp.Or(m.OutID, m.ID); outID != "" {
		req.OutId = tea.String(outID)
	}
	return aliyun.Do(ctx, opSend, c.api, func(api *dysms.Client) (aliyun.Answer, error) {
		resp, err := api.SendSmsWithOptions(req, c.runtime)
		if err != nil || resp.Body == nil {
			return aliyun.Answer{}, err
		}
		b := resp.Body
		return aliyun.Answer{Code: tea.StringValue(b.Code), Message: tea.StringValue(b.Message),
			RequestID: tea.StringValue(b.RequestId), ID: tea.StringValue(b.BizId)}, nil
	})
}

// phoneNumbers joins numbers with commas, in Aliyun's forms: mainland
// numbers as they are, E.164 numbers as 00 and the digits.
func phoneNumbers(numbers []string) string {
	var b strings.Builder
	for i, n := range numbers {
		if i > 0 {
			b.WriteByte(',')
		}
		if d, ok := strings.CutPrefix(n, "+"); ok {
			b.WriteString("00")
			n = d
		}
		b.WriteString(n)
	}
	return b.String()
}
