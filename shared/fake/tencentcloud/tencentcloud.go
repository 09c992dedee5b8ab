// Package tencentcloud is a fake Tencent Cloud SMS service (API 3.0,
// SendSms 2021-01-11) for tests and local runs: a server on 127.0.0.1 that
// speaks the real wire protocol, TC3-HMAC-SHA256 signature included, so a
// client talks to it unchanged but for its endpoint. It records every send
// it accepted (Sends) and can be told to fail in each way the real service
// and the network in front of it fail (Fail, and the Fault values).
// docs/fakes.md says what it checks and what it does not do.
//
//	fake := tencentcloud.Start(t, tencentcloud.Config{SecretID: "AKIDtest", SecretKey: "key", SDKAppID: "1400006666"})
//	// point a client at fake.URL() ...
//	got := fake.Sends()
package tencentcloud

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"github.com/seed4ddb146e/notify/shared/fake/internal/china"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/seed4ddb146e/notify/shared/fake/internal/faults"
)

// The API the fake serves: SendSms, and PullSmsSendStatusByPhoneNumber
// (PullAction), which answers for the numbers it sent.
const (
	Service    = "sms"
	Action     = "SendSms"
	PullAction = "PullSmsSendStatusByPhoneNumber"
	Version    = "2021-01-11"
)

// maxBody bounds the request bodies the fake reads.
const maxBody = 1 << 20

// Config is the fake's account.
type Config struct {
	SecretID  string
	SecretKey string
	// SDKAppID is the SMS application the account owns; "" accepts any.
	SDKAppID string
	// Now is the fake's clock for timestamp checks; nil is time.Now.
	Now func() time.Time
}

// Server is the fake service. Its methods are safe for concurrent use.
type Server struct {
	c        Config
	srv      *httptest.Server
	requests atomic.Int64
	serials  atomic.Uint64
	faults   faults.Queue[refusal]
	mu       sync.Mutex
	sends    []Send
	reports  map[string]Report // by SerialNo; a number sent without one is reported delivered
	pulls    int               // PullSmsSendStatusByPhoneNumber requests answered
}

// Report is what PullSmsSendStatusByPhoneNumber says of one number's SMS:
// ReportStatus SUCCESS or FAIL, or "" for none yet (it is left out).
type Report struct {
	ReportStatus string
	Description  string
}

// SetReport sets what the pull says of the SMS of serialNo.
func (s *Server) SetReport(serialNo string, r Report) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.reports == nil {
		s.reports = map[string]Report{}
	}
	s.reports[serialNo] = r
}

// Pulls counts the PullSmsSendStatusByPhoneNumber requests answered.
func (s *Server) Pulls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pulls
}

// Send is one SendSms the fake accepted: at least one of its numbers was
// sent.
type Send struct {
	RequestID      string
	Region         string
	Body           []byte   // the request body as it arrived
	PhoneNumbers   []string // PhoneNumberSet, as the request gave it
	SmsSdkAppID    string
	SignName       string
	TemplateID     string
	TemplateParams []string // TemplateParamSet; nil when the request had none
	SessionContext string
	ExtendCode     string
	SenderID       string
	Statuses       []Status // the answer for each number, in request order
	At             time.Time
}

// Status is the answer for one number, as SendStatusSet carries it: Code
// "Ok" and a SerialNo when it was sent.
type Status struct {
	SerialNo       string `json:"SerialNo"`
	PhoneNumber    string `json:"PhoneNumber"`
	Fee            int    `json:"Fee"`
	SessionContext string `json:"SessionContext"`
	Code           string `json:"Code"`
	Message        string `json:"Message"`
	IsoCode        string `json:"IsoCode"`
}

// New starts a fake service for the account c on 127.0.0.1, for a local
// run or a test; Close stops it.
func New(c Config) *Server {
	if c.Now == nil {
		c.Now = time.Now
	}
	s := &Server{c: c}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// Start starts a fake service for the account c that stops at the end of
// the test.
func Start(tb testing.TB, c Config) *Server {
	tb.Helper()
	s := New(c)
	tb.Cleanup(s.Close)
	return s
}

// URL returns the service's base URL, http://127.0.0.1:port.
func (s *Server) URL() string { return s.srv.URL }

// Close closes the clients' connections, which ends slow answers, and
// stops the service.
func (s *Server) Close() {
	s.srv.CloseClientConnections()
	s.srv.Close()
}

// Requests returns how many requests have reached the service, answered or
// not.
func (s *Server) Requests() int { return int(s.requests.Load()) }

// Sends returns the sends accepted so far, oldest first.
func (s *Server) Sends() []Send {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Send(nil), s.sends...)
}

// tcError is an error answer: {"Response":{"Error":{...},"RequestId":...}}.
type tcError struct {
	Code    string `json:"Code"`
	Message string `json:"Message"`
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.requests.Add(1)
	id := newRequestID()
	f := s.faults.Next()
	// The body is read first, whatever the fault: a client has then
	// written its whole request, as it would have to reach Tencent.
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if f.Intercept(w, stgw{}) {
		return
	}
	if err != nil {
		writeError(w, id, &tcError{Code: "InvalidParameter", Message: "The request body could not be read."})
		return
	}
	if !f.Wait(w, r, nil) {
		return
	}
	if r.Header.Get("X-TC-Action") == PullAction {
		s.servePull(w, r, id, body, f)
		return
	}
	req, e := s.check(r, body)
	if e == nil {
		e = apiError(f)
	}
	if e != nil {
		writeError(w, id, e)
		return
	}
	statuses := s.send(id, r.Header.Get("X-TC-Region"), body, req, f)
	if !f.Accepted(w, r, nil) {
		return
	}
	writeJSON(w, struct {
		SendStatusSet []Status `json:"SendStatusSet"`
		RequestID     string   `json:"RequestId"`
	}{statuses, id})
}

// check checks the request's method, common parameters and signature, and
// returns its SendSms parameters.
func (s *Server) check(r *http.Request, body []byte) (sendRequest, *tcError) {
	if e := s.checkCommon(r, body, Action); e != nil {
		return sendRequest{}, e
	}
	return parseSendSms(body, s.c.SDKAppID)
}

// checkCommon checks the request's method, common parameters and
// signature for action.
func (s *Server) checkCommon(r *http.Request, body []byte, action string) *tcError {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); r.Method != http.MethodPost || err != nil || mt != "application/json" {
		return &tcError{Code: "InvalidParameter",
			Message: "The fake serves POST requests with Content-Type application/json only."}
	}
	for _, p := range [...]struct{ header, name string }{
		{"X-TC-Action", "Action"}, {"X-TC-Version", "Version"}, {"X-TC-Timestamp", "Timestamp"}, {"X-TC-Region", "Region"},
	} {
		if r.Header.Get(p.header) == "" {
			return missing(p.name)
		}
	}
	switch {
	case r.Header.Get("X-TC-Action") != action:
		return errAction
	case r.Header.Get("X-TC-Version") != Version:
		return errVersion
	case !smsRegion(r.Header.Get("X-TC-Region")):
		return errRegion
	}
	return verify(r, body, Service, s.c.SecretID, s.c.SecretKey, s.c.Now())
}

// pullStatus is one PullSmsSendStatus of the answer.
type pullStatus struct {
	UserReceiveTime  string `json:"UserReceiveTime"`
	CountryCode      string `json:"CountryCode"`
	SubscriberNumber string `json:"SubscriberNumber"`
	PhoneNumber      string `json:"PhoneNumber"`
	SerialNo         string `json:"SerialNo"`
	ReportStatus     string `json:"ReportStatus"`
	Description      string `json:"Description"`
	SessionContext   string `json:"SessionContext"`
}

// servePull answers PullSmsSendStatusByPhoneNumber: the reports of the
// SMS sent to its number from BeginTime to EndTime (now when absent),
// oldest first, at most Limit.
func (s *Server) servePull(w http.ResponseWriter, r *http.Request, id string, body []byte, f Fault) {
	e := s.checkCommon(r, body, PullAction)
	var q pullRequest
	if e == nil {
		q, e = parsePull(body, s.c.SDKAppID, s.c.Now())
	}
	if e == nil {
		e = apiError(f)
	}
	if e != nil {
		writeError(w, id, e)
		return
	}
	set := []pullStatus{}
	s.mu.Lock()
	s.pulls++
	for _, sent := range s.sends {
		if at := sent.At.Unix(); at < q.begin.Unix() || at > q.end.Unix() { // in whole seconds, as the times are given
			continue
		}
		for _, st := range sent.Statuses {
			if st.PhoneNumber != q.phone || st.SerialNo == "" || len(set) == q.limit {
				continue
			}
			rep, ok := s.reports[st.SerialNo]
			if !ok {
				rep = Report{ReportStatus: "SUCCESS", Description: "用户短信送达成功"}
			}
			if rep.ReportStatus == "" {
				continue
			}
			cc, sub := "86", strings.TrimPrefix(st.PhoneNumber, "+86")
			if !isMainlandE164(st.PhoneNumber) {
				cc, sub = "", strings.TrimPrefix(st.PhoneNumber, "+")
			}
			set = append(set, pullStatus{UserReceiveTime: sent.At.In(china.Beijing).Format("2006-01-02 15:04:05"),
				CountryCode: cc, SubscriberNumber: sub, PhoneNumber: st.PhoneNumber, SerialNo: st.SerialNo,
				ReportStatus: rep.ReportStatus, Description: rep.Description, SessionContext: sent.SessionContext})
		}
	}
	s.mu.Unlock()
	writeJSON(w, struct {
		PullSmsSendStatusSet []pullStatus `json:"PullSmsSendStatusSet"`
		RequestID            string       `json:"RequestId"`
	}{set, id})
}

// send answers an accepted SendSms for each number and records it when a
// number was sent.
func (s *Server) send(id, region string, body []byte, req sendRequest, f Fault) []Status {
	statuses := make([]Status, len(req.PhoneNumberSet))
	sent := false
	for i, n := range req.PhoneNumberSet {
		e164, ok := canonical(n)
		refused := numberError(f, e164)
		st := Status{PhoneNumber: n, SessionContext: req.SessionContext, IsoCode: "DEF"}
		if ok {
			st.PhoneNumber, st.IsoCode = e164, isoCode(e164)
		}
		switch {
		case !ok:
			st.Code, st.Message = "InvalidParameterValue.IncorrectPhoneNumber", "incorrect phone number"
		case isMainlandE164(e164) && req.SignName == "":
			st.Code, st.Message = "FailedOperation.SignatureIncorrectOrUnapproved",
				"signature format is incorrect or signature is not approved"
		case refused != nil:
			st.Code, st.Message = refused.Code, refused.Message
		default:
			st.SerialNo = serialNo(s.serials.Add(1))
			st.Fee, st.Code, st.Message = 1, "Ok", "send success"
			sent = true
		}
		statuses[i] = st
	}
	if sent {
		s.mu.Lock()
		s.sends = append(s.sends, Send{RequestID: id, Region: region, Body: body, PhoneNumbers: req.PhoneNumberSet,
			SmsSdkAppID: req.SmsSdkAppID, SignName: req.SignName, TemplateID: req.TemplateID,
			TemplateParams: req.TemplateParamSet, SessionContext: req.SessionContext, ExtendCode: req.ExtendCode,
			SenderID: req.SenderID, Statuses: statuses, At: s.c.Now()})
		s.mu.Unlock()
	}
	return statuses
}

// smsRegion reports whether SMS is served in region.
func smsRegion(region string) bool {
	switch region {
	case "ap-guangzhou", "ap-beijing", "ap-nanjing":
		return true
	}
	return false
}

// serialNo makes the n-th SerialNo, shaped like Tencent's
// "2433:1045710669157053657849499619".
func serialNo(n uint64) string {
	const first = 157053657849499618
	b := []byte("2433:1045710669000000000000000000")
	v := first + n
	for i := len(b) - 1; v > 0; i-- {
		b[i] = byte('0' + v%10)
		v /= 10
	}
	return string(b)
}

func writeError(w http.ResponseWriter, id string, e *tcError) {
	writeJSON(w, struct {
		Error     *tcError `json:"Error"`
		RequestID string   `json:"RequestId"`
	}{e, id})
}

// writeJSON writes {"Response": v} with HTTP 200, as the service answers
// everything.
func writeJSON(w http.ResponseWriter, v any) {
	b, err := json.Marshal(struct {
		Response any `json:"Response"`
	}{v})
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(b)
}

// newRequestID returns a RequestId shaped like Tencent's:
// a0aabda6-cf91-4f3e-a81f-9198114a2279.
func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var s [36]byte
	hex.Encode(s[0:8], b[0:4])
	hex.Encode(s[9:13], b[4:6])
	hex.Encode(s[14:18], b[6:8])
	hex.Encode(s[19:23], b[8:10])
	hex.Encode(s[24:36], b[10:16])
	s[8], s[13], s[18], s[23] = '-', '-', '-', '-'
	return string(s[:])
}
