// Package aliyunsms sends SMS through Aliyun's Dysmsapi (SendSms), with the
// official SDK github.com/alibabacloud-go/dysmsapi-20170525/v3, which signs
// with ACS3-HMAC-SHA256.
//
// Choices, and why:
//
//   - New only checks the configuration; the SDK client is made once, on the
//     first send, and reused: nothing slow happens at a function's cold start.
//   - The SDK's own retry is off (Autoretry false). Whether and when to
//     retry is the caller's decision, made on the error's notify.Kind.
//   - Every outcome is classified (docs/providers.md, the last table): flow control
//     (isv.BUSINESS_LIMIT_CONTROL, Throttling.*) is Throttled; quota, account
//     and credential problems (isv.AMOUNT_NOT_ENOUGH, SignatureDoesNotMatch,
//     InvalidAccessKeyId.*) are Account; request errors and unknown isv.*
//     codes are Rejected; 5xx, isp.SYSTEM_ERROR and a refused connection are
//     Transient. A timeout, a connection dropped after the request was
//     written, or an answer that is not JSON is Ambiguous: Aliyun may have
//     sent the message, so it must not be resent blindly. The provider's
//     Code, Message and RequestId are kept in the notify.Error.
//   - The SDK takes no context. Each send runs the SDK call in a goroutine
//     and returns when ctx is done (Ambiguous: the request may be out); the
//     goroutine ends at the SDK's timeout, Config.Timeout. That timeout is
//     fixed per Client and never varied per call: tea keeps one http.Client
//     per distinct timeout for the life of the process.
//   - tea honours HTTP_PROXY and HTTPS_PROXY; a loopback Endpoint (a fake)
//     is exempted through the SDK's NoProxy.
//   - Numbers outside the mainland go out in Aliyun's international form,
//     00 and the country code (+85261234567 -> 0085261234567).
//   - A message without the caller's OutId goes out with our message id as
//     its OutId, which Aliyun's receipts echo (out_id): a receipt then
//     finds a message whose outcome was unknown, which has no BizId.
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

// SendSMS sends m to all its numbers in one SendSms request. The receipt's
// ProviderID is Aliyun's BizId. Errors are *notify.Error values.
func (c *Client) SendSMS(ctx context.Context, m notify.TextMessage) (notify.Receipt, error) {
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
