package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	openapi "github.com/alibabacloud-go/darabonba-openapi/v2/client"
	util "github.com/alibabacloud-go/tea-utils/v2/service"
	"github.com/alibabacloud-go/tea/tea"
)

// aliyunQueue is an MNS queue s.yaml points at: each sending function's
// queue, which its EventBridge trigger reads, and the dead-letter queue its
// trigger puts an event in once it has given up on it.
type aliyunQueue struct {
	Name              string
	VisibilityTimeout int // seconds a message read stays hidden
}

// aliyunQueues are the queues `notify aliyun-queues` makes. Every queue
// keeps a message 7 days, the most MNS allows.
var aliyunQueues = []aliyunQueue{
	{"notify-sms", 60}, {"notify-sms-dlq", 30},
	{"notify-tts", 60}, {"notify-tts-dlq", 30},
	{"notify-mail", 60}, {"notify-mail-dlq", 30},
}

const queueRetention = 7 * 24 * 3600

// aliyunQueuesCmd makes the MNS queues s.yaml points at, or sets their
// attributes when they exist, through mns-open 2022-01-19 with the
// deployer's keys.
type aliyunQueuesCmd struct {
	Region   string `default:"cn-hangzhou" help:"The region of the functions (s.yaml's vars.region)."`
	Endpoint string `help:"The API endpoint (default mns-open.<region>.aliyuncs.com over https)." placeholder:"URL"`
}

func (c aliyunQueuesCmd) Run(ctx context.Context, std streams, getenv env) error {
	id, secret := getenv("ALIBABA_CLOUD_ACCESS_KEY_ID"), getenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET")
	if id == "" || secret == "" {
		return errors.New("aliyun-queues: set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET " +
			"(and ALIBABA_CLOUD_SECURITY_TOKEN with STS keys) to keys allowed mns:CreateQueue, mns:GetQueueAttributes and mns:SetQueueAttributes")
	}
	cfg := new(openapi.Config).SetAccessKeyId(id).SetAccessKeySecret(secret).
		SetEndpoint("mns-open." + c.Region + ".aliyuncs.com").SetProtocol("https").
		SetReadTimeout(10000).SetConnectTimeout(10)
	if t := getenv("ALIBABA_CLOUD_SECURITY_TOKEN"); t != "" {
		cfg.SetSecurityToken(t)
	}
	if c.Endpoint != "" {
		u, err := url.Parse(c.Endpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return usagef("--endpoint %q is not an http(s) URL", c.Endpoint)
		}
		cfg.SetEndpoint(u.Host).SetProtocol(u.Scheme)
		if h := u.Hostname(); h == "127.0.0.1" || h == "localhost" || h == "::1" {
			cfg.SetNoProxy(u.Host)
		}
	}
	api, err := openapi.NewClient(cfg)
	if err != nil {
		return fmt.Errorf("aliyun-queues: %w", err)
	}
	for _, q := range aliyunQueues {
		if err := ctx.Err(); err != nil {
			return err
		}
		done, err := ensureQueue(api, q)
		if err != nil {
			return fmt.Errorf("aliyun-queues: queue %s: %w", q.Name, err)
		}
		fmt.Fprintf(std.out, "%s %s (keeps messages %d days, visibility %d s)\n", q.Name, done,
			queueRetention/86400, q.VisibilityTimeout)
	}
	return nil
}

// ensureQueue makes q, or sets its attributes when it exists, and says
// which it did.
func ensureQueue(api *openapi.Client, q aliyunQueue) (string, error) {
	attrs := map[string]any{"QueueName": q.Name, "MessageRetentionPeriod": strconv.Itoa(queueRetention),
		"VisibilityTimeout": strconv.Itoa(q.VisibilityTimeout)}
	_, err := callMNS(api, "GetQueueAttributes", map[string]any{"QueueName": q.Name})
	switch {
	case err == nil:
		_, err = callMNS(api, "SetQueueAttributes", attrs)
		return "updated", err
	case errorCode(err) == "QueueNotExist":
		_, err = callMNS(api, "CreateQueue", attrs)
		return "created", err
	}
	return "", err
}

// callMNS calls an mns-open 2022-01-19 action, RPC style, signed
// ACS3-HMAC-SHA256 by the SDK.
func callMNS(api *openapi.Client, action string, query map[string]any) (map[string]any, error) {
	q := map[string]*string{}
	for k, v := range query {
		q[k] = tea.String(fmt.Sprint(v))
	}
	params := &openapi.Params{Action: tea.String(action), Version: tea.String("2022-01-19"), Protocol: tea.String("HTTPS"),
		Pathname: tea.String("/"), Method: tea.String("POST"), AuthType: tea.String("AK"), Style: tea.String("RPC"),
		ReqBodyType: tea.String("formData"), BodyType: tea.String("json")}
	return api.CallApi(params, &openapi.OpenApiRequest{Query: q}, new(util.RuntimeOptions).SetAutoretry(false))
}

// errorCode returns the service's error code of err, "" if it has none.
func errorCode(err error) string {
	var se *tea.SDKError
	if errors.As(err, &se) {
		return strings.TrimSpace(tea.StringValue(se.Code))
	}
	return ""
}
