package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/seed4ddb146e/notify/shared/notify"
)

// The legacy Alidayu gateway's routes, for callers still written against
// it, served by the normal send path (docs/alidayu.md). A caller names its
// group in X-Ca-Key and presents the group's key in X-Ca-Secret;
// parameters come in the query string or a form body, GET or POST.
var AlidayuRoutes = []string{
	"GET /gw/alidayu/sendSms",
	"POST /gw/alidayu/sendSms",
	"GET /gw/alidayu/querySmsDetail",
	"POST /gw/alidayu/querySmsDetail",
}

// Alidayu's limits.
const (
	alidayuMaxNumbers  = 200 // rec_num of one sendSms
	alidayuMaxPageSize = 50  // page_size of querySmsDetail: its error table's bound
	alidayuQueryDays   = 30  // query_date: the last 30 days
)

// Alidayu's business error codes: a refusal of the request itself, told
// with HTTP 200 and "success":false.
const (
	alidayuSuspended       = "50001" // the account is suspended (out of balance, out of service)
	alidayuNotSubscribed   = "50002" // the product, or the channel, is not open to the caller
	alidayuNoAccount       = "50003"
	alidayuAccountAbnormal = "50004"
	alidayuBadNumber       = "50009"
	alidayuTooManyNumbers  = "50010"
	alidayuBadTemplate     = "70001"
	alidayuBadSignName     = "70002"
	alidayuMissingParam    = "70003"
	alidayuBadQueryDate    = "80001"
	alidayuBadPaging       = "80002"
	alidayuBadParameter    = "99998"
)

// alidayuSent is sendSms's reply: success and refusals alike.
type alidayuSent struct {
	Code    string `json:"code"`
	Model   string `json:"model"`
	Success bool   `json:"success"`
	Msg     string `json:"msg"`
}

// alidayuSystemError is the reply of a system error: a non-200 status.
type alidayuSystemError struct {
	ErrorCode    string `json:"errorCode"`
	ErrorMessage string `json:"errorMessage"`
}

// alidayuRoute serves one Alidayu route.
type alidayuRoute struct {
	svc    *notify.Service
	log    *slog.Logger
	handle func(ctx context.Context, c notify.Credentials, p params) (any, error)
}

func (ar *alidayuRoute) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		w.Header().Set("Allow", "GET, POST")
		writeAlidayuError(w, r, ar.log, &httpError{status: http.StatusMethodNotAllowed, err: &notify.Error{Op: "decode",
			Kind: notify.Invalid, Reason: notify.ReasonMethodNotAllowed, Err: errMethod(r.Method, "GET or POST")}})
		return
	}
	c := notify.Credentials{GroupID: strings.TrimSpace(r.Header.Get("X-Ca-Key")),
		Key: notify.Secret(strings.TrimSpace(r.Header.Get("X-Ca-Secret")))}
	if c.GroupID == "" {
		writeAlidayuError(w, r, ar.log, &httpError{status: http.StatusUnauthorized, err: &notify.Error{Op: "authorize",
			Kind: notify.Unauthenticated, Field: "X-Ca-Key", Reason: notify.ReasonMissingKey, Err: errors.New("is required")}})
		return
	}
	// The caller first: a stranger learns nothing of its parameters.
	if err := ar.svc.Authorize(c, notify.SMS); err != nil {
		writeAlidayuError(w, r, ar.log, &httpError{err: notify.AsError(err)})
		return
	}
	p, _, he := readParams(w, r, MaxBodyBytes, true)
	if he != nil {
		writeAlidayuError(w, r, ar.log, he)
		return
	}
	rep, err := ar.handle(r.Context(), c, p)
	if err != nil {
		writeAlidayuError(w, r, ar.log, &httpError{err: notify.AsError(err)})
		return
	}
	writeJSON(w, http.StatusOK, rep)
}

// writeAlidayuError replies to a refused request: a business error with
// HTTP 200 and Alidayu's code, or a system error with its status.
func writeAlidayuError(w http.ResponseWriter, r *http.Request, log *slog.Logger, he *httpError) {
	e := he.err
	if code := alidayuCode(e); code != "" && (he.status == 0 || he.status == http.StatusBadRequest) {
		log.InfoContext(r.Context(), "request refused", "route", r.Pattern, "status", http.StatusOK, "alidayu_code", code,
			"reason", reasonOf(e), "field", e.Field, "err", e)
		writeJSON(w, http.StatusOK, alidayuSent{Code: code, Msg: alidayuMessage(e)})
		return
	}
	status := refuse(w, r, log, he, "")
	writeJSON(w, status, alidayuSystemError{ErrorCode: reasonOf(e), ErrorMessage: alidayuMessage(e)})
}

// alidayuMessage is the msg of a refusal: the field and the problem, or
// the provider's own message.
func alidayuMessage(e *notify.Error) string {
	msg := messageOf(e)
	if e.Field != "" {
		if name, ok := alidayuNames[e.Field]; ok {
			msg = strings.Replace(msg, e.Field, name, 1)
		}
	}
	return msg
}

// alidayuNames are the Alidayu names of the fields the send path names.
var alidayuNames = map[string]string{
	"PhoneNumbers":  "rec_num",
	"SignName":      "sms_free_sign_name",
	"TemplateCode":  "sms_template_code",
	"TemplateParam": "sms_param",
	"OutId":         "extend",
	"GroupID":       "X-Ca-Key",
	"Authorization": "X-Ca-Secret",
}

// alidayuCode is the business error code of e, ""
// for a system error (unauthorized, throttled, a provider or the store
// unavailable, an outcome in doubt).
func alidayuCode(e *notify.Error) string {
	switch e.Kind {
	case notify.Invalid, notify.NotFound:
		switch {
		case e.Reason == notify.ReasonMissingParameter:
			return alidayuMissingParam
		case e.Reason == notify.ReasonTooMany && e.Field == "PhoneNumbers":
			return alidayuTooManyNumbers
		case e.Reason == notify.ReasonInvalidPhone:
			return alidayuBadNumber
		case e.Field == "query_date":
			return alidayuBadQueryDate
		case e.Field == "current_page" || e.Field == "page_size" || e.Field == "Page" || e.Field == "PageSize":
			return alidayuBadPaging
		case e.Reason == notify.ReasonMethodNotAllowed || e.Reason == notify.ReasonBodyTooLarge || e.Reason == notify.ReasonUnsupportedMediaType:
			return ""
		}
		return alidayuBadParameter
	case notify.Forbidden:
		switch e.Reason {
		case notify.ReasonTemplateNotAllowed:
			return alidayuBadTemplate
		case notify.ReasonSignNameNotAllowed:
			return alidayuBadSignName
		}
		return alidayuNotSubscribed // the channel is not open to the group
	case notify.Rejected:
		return providerCode(e.Code)
	case notify.Account:
		switch e.Code {
		case "isv.PRODUCT_UN_SUBSCRIPT", "isv.PRODUCT_UNSUBSCRIBE":
			return alidayuNotSubscribed
		case "isv.ACCOUNT_NOT_EXISTS":
			return alidayuNoAccount
		case "isv.ACCOUNT_ABNORMAL":
			return alidayuAccountAbnormal
		}
		return alidayuSuspended
	}
	return ""
}

// providerCode is the Alidayu code of a provider's refusal of a message.
func providerCode(code string) string {
	switch code {
	case "isv.MOBILE_NUMBER_ILLEGAL", "isv.BLACK_KEY_CONTROL_LIMIT", "InvalidParameterValue.IncorrectPhoneNumber",
		"FailedOperation.PhoneNumberInBlacklist":
		return alidayuBadNumber
	case "isv.MOBILE_COUNT_OVER_LIMIT", "LimitExceeded.PhoneNumberCountLimit":
		return alidayuTooManyNumbers
	case "isv.TEMPLATE_MISSING_PARAMETERS", "isv.TEMPLATE_PARAMS_ILLEGAL", "InvalidParameterValue.TemplateParameterFormatError",
		"FailedOperation.TemplateParamSetNotMatchApprovedTemplate":
		return alidayuMissingParam
	case "isv.SMS_TEMPLATE_ILLEGAL", "isv.SMS_TEMPLATE_NOT_EXISTS", "FailedOperation.TemplateIncorrectOrUnapproved",
		"FailedOperation.MissingTemplateToModify":
		return alidayuBadTemplate
	case "isv.SMS_SIGNATURE_ILLEGAL", "isv.SIGN_NAME_ILLEGAL", "FailedOperation.SignatureIncorrectOrUnapproved":
		return alidayuBadSignName
	}
	return alidayuBadParameter
}

// DecodeAlidayuSend turns sendSms's parameters into an SMSRequest
// (credentials aside).
func DecodeAlidayuSend(p params) (notify.SMSRequest, error) {
	var r notify.SMSRequest
	for _, f := range []struct {
		name string
		dst  *string
	}{{"sms_template_code", &r.TemplateCode}, {"sms_free_sign_name", &r.SignName}, {"extend", &r.OutID}} {
		var err error
		if *f.dst, err = p.str(f.name); err != nil {
			return r, err
		}
	}
	switch typ, err := p.str("sms_type"); {
	case err != nil:
		return r, err
	case typ == "":
		return r, notify.Invalidf("sms_type", notify.ReasonMissingField, "is required: normal")
	case typ != "normal":
		return r, notify.Invalidf("sms_type", notify.ReasonInvalidField, "must be normal")
	}
	numbers, err := phoneList(p["rec_num"], "rec_num")
	if err != nil {
		return r, err
	}
	if len(numbers) > alidayuMaxNumbers {
		return r, &notify.Error{Op: "decode", Kind: notify.Invalid, Field: "PhoneNumbers", Reason: notify.ReasonTooMany,
			Err: fmt.Errorf("has %d numbers; at most %d", len(numbers), alidayuMaxNumbers)}
	}
	r.PhoneNumbers = numbers
	if raw := bytes.TrimSpace(p["sms_param"]); len(raw) > 0 && raw[0] == '{' {
		// A JSON body may hold the object itself.
		r.Params, err = templateParams(raw, "sms_param")
		return r, err
	}
	raw, err := p.str("sms_param")
	if err != nil {
		return r, err
	}
	if r.Params, err = alidayuParams(raw); err != nil {
		return r, err
	}
	return r, nil
}

// alidayuParams reads sms_param as callers send it: a JSON object, or the
// same written with single quotes, as Alidayu's own Java sample does
// ({'code':'1234','product':'alidayu'}).
func alidayuParams(s string) (map[string]string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	if !strings.HasPrefix(s, "{") {
		return nil, notify.Invalidf("sms_param", notify.ReasonInvalidField, "must be a JSON object such as {\"code\":\"1234\"}")
	}
	if !json.Valid([]byte(s)) {
		s = doubleQuoted(s)
	}
	raw, _ := json.Marshal(s) // the object, held in a JSON string, as templateParams takes it
	out, err := templateParams(raw, "sms_param")
	if err != nil {
		return nil, err
	}
	return out, nil
}

// doubleQuoted rewrites JSON written with single quotes as JSON: a quote
// delimits a string (\' inside one is an apostrophe), and a double quote
// inside one is escaped. Text that is not such JSON comes out as text that
// is not JSON either.
func doubleQuoted(s string) string {
	var b strings.Builder
	in := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case in && c == '\\' && i+1 < len(s) && s[i+1] == '\'':
			b.WriteByte('\'')
			i++
		case in && c == '\\' && i+1 < len(s):
			b.WriteString(s[i : i+2])
			i++
		case c == '\'':
			b.WriteByte('"')
			in = !in
		case in && c == '"':
			b.WriteString(`\"`)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// alidayuRoutes adds the Alidayu routes to mux.
func alidayuRoutes(mux *http.ServeMux, svc *notify.Service, log *slog.Logger) {
	mux.Handle("/gw/alidayu/sendSms", &alidayuRoute{svc: svc, log: log,
		handle: func(ctx context.Context, c notify.Credentials, p params) (any, error) {
			req, err := DecodeAlidayuSend(p)
			if err != nil {
				return nil, err
			}
			req.Credentials = c
			sent, err := svc.SendSMS(ctx, req)
			if err != nil {
				return nil, err
			}
			return alidayuSent{Code: "0", Model: sent.ProviderID, Success: true, Msg: "成功"}, nil
		}})
	mux.Handle("/gw/alidayu/querySmsDetail", &alidayuRoute{svc: svc, log: log,
		handle: func(ctx context.Context, c notify.Credentials, p params) (any, error) {
			req, err := decodeAlidayuQuery(p, svc.Now())
			if err != nil {
				return nil, err
			}
			req.Credentials = c
			page, err := svc.Status(ctx, req)
			if err != nil {
				return nil, err
			}
			return alidayuDetails(page, req.Recipient), nil
		}})
	mux.HandleFunc("/gw/", func(w http.ResponseWriter, r *http.Request) {
		writeAlidayuError(w, r, log, &httpError{status: http.StatusNotFound, err: &notify.Error{Op: "route",
			Kind: notify.Invalid, Reason: notify.ReasonNoSuchRoute, Err: errors.New("no such API; this gateway serves " +
				"/gw/alidayu/sendSms and /gw/alidayu/querySmsDetail")}})
	})
}

// decodeAlidayuQuery turns querySmsDetail's parameters into a status
// query of one number's messages of one day, checked as Alidayu did:
// the last 30 days, at most 50 to a page.
func decodeAlidayuQuery(p params, now time.Time) (notify.StatusRequest, error) {
	r := notify.StatusRequest{Channel: notify.SMS, ProviderIDField: "biz_id", RecipientField: "rec_num"}
	var err error
	if r.ProviderID, err = p.str("biz_id"); err != nil {
		return r, err
	}
	if r.Recipient, err = p.str("rec_num"); err != nil {
		return r, err
	}
	if r.Recipient == "" {
		return r, notify.Invalidf("rec_num", notify.ReasonMissingField, "is required")
	}
	number, ok := notify.NormalizePhone(r.Recipient)
	if !ok {
		return r, notify.Invalidf("rec_num", notify.ReasonInvalidPhone, "%q is not a phone number", truncateText(r.Recipient, 32))
	}
	r.Recipient = number
	if r.SendDate, err = p.str("query_date"); err != nil {
		return r, err
	}
	day, err := time.ParseInLocation("20060102", r.SendDate, notify.Beijing)
	today := now.In(notify.Beijing)
	today = time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, notify.Beijing)
	if err != nil || day.After(today) || day.Before(today.AddDate(0, 0, -alidayuQueryDays)) {
		return r, notify.Invalidf("query_date", notify.ReasonInvalidField, "must be a day of the last %d days, as yyyyMMdd", alidayuQueryDays)
	}
	for _, f := range []struct {
		name string
		dst  *int
		max  int64
	}{{"current_page", &r.Page, 10000}, {"page_size", &r.PageSize, alidayuMaxPageSize}} {
		n, _, err := p.int(f.name, true)
		if err != nil || n < 1 || n > f.max {
			return r, notify.Invalidf(f.name, notify.ReasonOutOfRange, "must be a whole number from 1 to %d", f.max)
		}
		*f.dst = int(n)
	}
	return r, nil
}

// alidayuDetailsReply is querySmsDetail's reply.
type alidayuDetailsReply struct {
	CurrentPage int             `json:"current_page"`
	PageSize    int             `json:"page_size"`
	TotalCount  int             `json:"total_count"`
	TotalPage   int             `json:"total_page"`
	Values      []alidayuDetail `json:"values"`
}

// alidayuDetail is one number's part of one message.
type alidayuDetail struct {
	Extend       string `json:"extend"`
	RecNum       string `json:"rec_num"`
	ResultCode   string `json:"result_code"`
	SMSCode      string `json:"sms_code"`
	SMSContent   string `json:"sms_content"`
	ReceiverTime string `json:"sms_receiver_time"`
	SendTime     string `json:"sms_send_time"`
	Status       int    `json:"sms_status"`
}

// Alidayu's sms_status.
const (
	alidayuWaiting   = 1
	alidayuFailed    = 2
	alidayuDelivered = 3
)

// alidayuDetails is the reply of a page of number's messages. The text of
// a message is not kept (only its template and variables, which may hold a
// code): sms_content is empty.
func alidayuDetails(page notify.StatusPage, number string) alidayuDetailsReply {
	rep := alidayuDetailsReply{CurrentPage: page.Page, PageSize: page.PageSize, TotalCount: page.Total,
		TotalPage: (page.Total + page.PageSize - 1) / page.PageSize, Values: []alidayuDetail{}}
	for _, m := range page.Messages {
		for _, rs := range m.Recipients {
			if rs.Recipient != number {
				continue
			}
			d := alidayuDetail{Extend: m.OutID, RecNum: strings.TrimPrefix(rs.Recipient, "+"), ResultCode: rs.Code,
				SMSCode: m.Template, SendTime: notify.FormatBeijing(m.CreatedAt), Status: alidayuWaiting}
			switch rs.Status {
			case notify.Delivered:
				d.Status = alidayuDelivered
			case notify.Failed:
				d.Status = alidayuFailed
			}
			if !rs.At.IsZero() && rs.Status == notify.Delivered {
				d.ReceiverTime = notify.FormatBeijing(rs.At)
			}
			rep.Values = append(rep.Values, d)
		}
	}
	return rep
}
