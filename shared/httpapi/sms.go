package httpapi

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"path"
	"strings"

	"github.com/seed4ddb146e/notify/shared/notify"
)

// smsBody is the legacy API's POST /sms request (docs/legacy.md). Every
// field is raw, because legacy callers send numbers where strings are
// documented.
type smsBody struct {
	GroupID       json.RawMessage
	PhoneNumbers  json.RawMessage
	SignName      json.RawMessage
	TemplateCode  json.RawMessage
	TemplateParam json.RawMessage
	OutID         json.RawMessage `json:"OutId"`
}

// smsReply is the legacy API's success reply: Aliyun's own values, plus our
// MessageId, and Sandbox when nothing left the machine. Code is "OK"
// whichever provider took the message; ProviderCode is that provider's own
// success code when it has another ("Ok" at Tencent, "000000" at Cloopen).
type smsReply struct {
	Code         string
	Message      string
	RequestId    string
	BizId        string
	MessageId    string
	Provider     string `json:",omitempty"` // the provider that took the message
	ProviderCode string `json:",omitempty"`
	Sandbox      bool   `json:",omitempty"`
	Warning      string `json:",omitempty"`
}

// successOf is the Code, ProviderCode and RequestId of the reply to a
// send that s answers: legacy callers test Code == "OK", so every
// provider's success says so; a provider without request ids (Cloopen)
// leaves ours, the MessageId, in RequestId.
func successOf(s notify.Sent) (code, providerCode, requestID string) {
	if s.Code != "OK" {
		providerCode = s.Code
	}
	requestID = s.RequestID
	if requestID == "" {
		requestID = s.MessageID
	}
	return "OK", providerCode, requestID
}

// DecodeSMS turns a POST /sms body into an SMSRequest (credentials aside).
// It accepts the legacy API's quirks: PhoneNumbers as a comma-separated
// string, a JSON number or a list; TemplateParam as an object, a string
// holding one, or a bare verification code.
func DecodeSMS(body []byte) (notify.SMSRequest, error) {
	var b smsBody
	if he := decodeObject(body, &b); he != nil {
		return notify.SMSRequest{}, he.err
	}
	var r notify.SMSRequest
	err := scalars(field{b.GroupID, "GroupID", &r.GroupID}, field{b.SignName, "SignName", &r.SignName},
		field{b.TemplateCode, "TemplateCode", &r.TemplateCode}, field{b.OutID, "OutId", &r.OutID})
	if err != nil {
		return r, err
	}
	if r.PhoneNumbers, err = phoneList(b.PhoneNumbers, "PhoneNumbers"); err != nil {
		return r, err
	}
	if r.Params, err = templateParams(b.TemplateParam, "TemplateParam"); err != nil {
		return r, err
	}
	return r, nil
}

// SMS returns the sms function's handler: POST /sms.
func SMS(svc *notify.Service, log *slog.Logger) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/sms", &endpoint{svc: svc, channel: notify.SMS, log: logOrDiscard(log), limit: MaxBodyBytes, idField: "BizId",
		send: func(r *http.Request, body []byte) (notify.Sent, error) {
			req, err := DecodeSMS(body)
			if err != nil {
				return notify.Sent{}, err
			}
			req.Key = bearerKey(r)
			return svc.SendSMS(r.Context(), req)
		},
		reply: func(s notify.Sent) any {
			code, providerCode, requestID := successOf(s)
			return smsReply{Code: code, Message: s.Message, RequestId: requestID, BizId: s.ProviderID,
				MessageId: s.MessageID, Provider: s.Provider, ProviderCode: providerCode, Sandbox: s.Sandbox,
				Warning: warning(s)}
		},
	})
	mux.Handle("/sms/status", &statusEndpoint{svc: svc, channel: notify.SMS, log: logOrDiscard(log),
		providerIDField: "BizId", recipientField: "PhoneNumber"})
	codeRoutes(mux, svc, logOrDiscard(log))
	openAPIRoute(mux, logOrDiscard(log))
	alidayuRoutes(mux, svc, logOrDiscard(log))
	routes := "POST /sms, GET /sms/status, POST /sms/code/send, POST /sms/code/verify, GET|POST /gw/alidayu/sendSms, " +
		"GET|POST /gw/alidayu/querySmsDetail, GET " + OpenAPIPath
	if svc.SaaSEnabled() {
		saasRoutes(mux, svc, logOrDiscard(log))
		routes += ", " + strings.Join(SaaSRoutes, ", ")
	}
	notFound := NotFound(logOrDiscard(log), routes)
	mux.HandleFunc("/", notFound)
	return CleanPaths(mux, notFound)
}

// CleanPaths serves h only the paths that are clean (as ServeMux cleans
// them: no empty, "." or ".." segment; a trailing slash kept), and answers
// notFound to the others. ServeMux would answer them a redirect to the
// clean path: a 307 that no route of the OpenAPI document has, and that
// sends a caller's POST "//sms" again, to /sms.
func CleanPaths(h http.Handler, notFound http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		c := path.Clean(p)
		if strings.HasSuffix(p, "/") && c != "/" {
			c += "/"
		}
		if p == "" || c != p {
			notFound(w, r)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// NotFound answers 404 no_such_route, in the gateway's error shape, to a
// path that is none of routes, which it names. It does not echo the path,
// which may carry a token.
func NotFound(log *slog.Logger, routes string) http.HandlerFunc {
	err := errors.New("no such route; this function serves " + routes)
	return func(w http.ResponseWriter, r *http.Request) {
		writeError(w, r, log, &httpError{status: http.StatusNotFound, err: &notify.Error{Op: "route", Kind: notify.Invalid,
			Reason: notify.ReasonNoSuchRoute, Err: err}}, "", "")
	}
}
