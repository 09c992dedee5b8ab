// Package aliyunvoice places text-to-speech calls through Aliyun's Dyvmsapi
// (SingleCallByTts), with the official SDK
// github.com/alibabacloud-go/dyvmsapi-20170525/v2, which signs with RPC v1
// HMAC-SHA1.
//
// New checks a Config and returns a Client, whose Call places one call and
// Query asks about one; it makes the same choices as package aliyunsms.
// docs/providers.md (Aliyun Dyvmsapi) has the wire format and the two ways
// in which this SDK's errors and answers need handling of their own.
package aliyunvoice

import (
	"context"

	dyvms "github.com/alibabacloud-go/dyvmsapi-20170525/v2/client"
	util "github.com/alibabacloud-go/tea-utils/service"
	"github.com/alibabacloud-go/tea/tea"

	"github.com/seed4ddb146e/notify/shared/notify"
	"github.com/seed4ddb146e/notify/shared/provider/internal/aliyun"
)

// DefaultEndpoint is Aliyun's voice endpoint, used over https when
// Config.Endpoint is empty.
const DefaultEndpoint = "dyvmsapi.aliyuncs.com"

const opCall = "aliyunvoice.SingleCallByTts"

// Config configures a Client, as aliyunsms.Config does; "" as Endpoint is
// DefaultEndpoint.
type Config = aliyun.Config

// Client places voice calls through Aliyun. It is safe for concurrent use.
type Client struct {
	runtime *util.RuntimeOptions
	api     *aliyun.Pool[*dyvms.Client] // SDK clients, one per call in progress
}

var _ notify.Caller = (*Client)(nil)

// New checks c and returns a Client. It makes no connection.
func New(c Config) (*Client, error) {
	s, err := aliyun.Check("aliyunvoice", DefaultEndpoint, c)
	if err != nil {
		return nil, err
	}
	return &Client{runtime: new(util.RuntimeOptions).SetAutoretry(false), api: aliyun.NewPool(s, dyvms.NewClient)}, nil
}

// Call places v with one SingleCallByTts request. The acceptance's ProviderID
// is Aliyun's CallId. Errors are *notify.Error values.
func (c *Client) Call(ctx context.Context, v notify.VoiceCall) (notify.Acceptance, error) {
	req := &dyvms.SingleCallByTtsRequest{
		CalledNumber:     tea.String(v.CalledNumber),
		TtsCode:          tea.String(v.TtsCode),
		CalledShowNumber: optional(v.CalledShowNumber),
		TtsParam:         optional(v.Params),
		OutId:            optional(v.OutID),
		PlayTimes:        int32p(v.PlayTimes),
		Volume:           int32p(v.Volume),
		Speed:            int32p(v.Speed),
	}
	return aliyun.Do(ctx, opCall, c.api, func(api *dyvms.Client) (aliyun.Answer, error) {
		resp, err := api.SingleCallByTtsWithOptions(req, c.runtime)
		if err != nil || resp.Body == nil {
			return aliyun.Answer{}, err
		}
		b := resp.Body
		return aliyun.Answer{Code: tea.StringValue(b.Code), Message: tea.StringValue(b.Message),
			RequestID: tea.StringValue(b.RequestId), ID: tea.StringValue(b.CallId)}, nil
	})
}

// optional returns nil for "": the parameter is left out.
func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func int32p(n *int) *int32 {
	if n == nil {
		return nil
	}
	return tea.Int32(int32(*n))
}
