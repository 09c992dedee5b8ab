// Package cloopen is a fake Ronglian (容联云, Cloopen) REST API serving
// TemplateSMS, for tests and local runs: a real HTTP server on 127.0.0.1
// that checks requests the way app.cloopen.com:8883 does, records every
// message it accepts and every request it receives, and can be told to
// fail in each way the real service and the network in front of it fail
// (see Fail and Fault).
//
//	fake := cloopen.New(cloopen.Config{AccountSID: sid, AuthToken: token, AppID: app})
//	defer fake.Close()
//	// POST fake.URL() + "/2013-12-26/Accounts/" + sid + "/SMS/TemplateSMS?sig=..."
//
// The wire format is that of docs/providers.md (Cloopen):
//
//	POST /2013-12-26/Accounts/{accountSid}/SMS/TemplateSMS?sig=SIG
//	Authorization: base64(accountSid ":" ts)    ts = yyyyMMddHHmmss, Beijing time
//	SIG = hex(MD5(accountSid + authToken + ts))
//	{"to":"13800000000,13900000000","appId":...,"templateId":"1","datas":["123456","5"]}
//
// Every answer of the service is HTTP 200 with a JSON body: the success
// shape {"statusCode":"000000","templateSMS":{"dateCreated":...,
// "smsMessageSid":...}} or {"statusCode":...,"statusMsg":...}. The checks,
// in the order the fake makes them, with their codes (the messages are the
// service's, as collected from code that calls it):
//
//	method not POST, path not .../Accounts/{sid}/SMS/TemplateSMS  HTTP 405, 404 (no JSON)
//	version not 2013-12-26                  111110
//	Authorization missing                   111101
//	not base64 (standard or URL-safe)       111102
//	no ":"                                  111103
//	account id / timestamp empty            111104 / 111105
//	account id differs from the path's      111107
//	sig missing                             111108
//	account unknown                         111141
//	timestamp not yyyyMMddHHmmss            111113
//	timestamp off by more than 24 hours     111106
//	sig wrong                               111109
//	body empty / not the JSON request       160030 / 160031
//	appId empty / not the account's app     111169 / 111181
//	to empty                                112300
//	templateId empty / not digits           112307 / 160057
//	more than 200 numbers                   160048
//	a number not 11 mainland digits         160042
//	reqId longer than 32 / used today       160055 / 160054
//
// Choices, and why:
//
//   - sig is compared without regard to case: Cloopen's documents ask for
//     upper case and the python and java SDKs send it, but the official Go
//     SDK sends lower-case hex.
//   - The timestamp is valid for 24 hours either way, as Cloopen's
//     documents say (时间戳有效时间为24小时). That also explains why the official Go
//     SDK works from a UTC machine: it formats ts in the local zone, eight
//     hours off Beijing. The code 111106 is from one third-party list.
//   - The fake speaks JSON only; a request whose Content-Type names XML is
//     refused with 160031, where the real service would answer in XML.
//   - A reqId (optional) is refused when an accepted send of the same
//     natural day (Beijing) had it, as Cloopen's documents describe.
//   - Numbers are mainland mobile numbers, 11 digits starting with 1,
//     without a prefix: international sending needs an account permission
//     (160058) the fake's account does not have, and its number format is
//     not documented where we looked.
package cloopen

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"

	"github.com/seed4ddb146e/notify/shared/fake/internal/faults"
)

// The service's constants.
const (
	Version           = "2013-12-26"   // the REST API version in every path
	MaxPhoneNumbers   = 200            // numbers in one TemplateSMS
	MaxReqIDLen       = 32             // bytes of a reqId
	TimestampValidity = 24 * time.Hour // how far ts may be from the service's clock
	TimestampLayout   = "20060102150405"
	// Success is the statusCode of an accepted request.
	Success = "000000"
)

// Beijing is the zone of the service's timestamps (UTC+8, no daylight
// saving): a fixed zone, so that no tzdata is needed.
var Beijing = time.FixedZone("CST", 8*60*60)

// maxBody bounds the request bodies the fake reads.
const maxBody = 1 << 20

// Config is the fake's account: the one account, token and app it knows.
type Config struct {
	AccountSID string
	AuthToken  string
	AppID      string
	// Now is the service's clock, for timestamp checks and dateCreated;
	// nil is time.Now.
	Now func() time.Time
}

// Send is one message the fake accepted.
type Send struct {
	SMSMessageSID string   // 32 hex digits
	DateCreated   string   // yyyyMMddHHmmss, Beijing time
	To            []string // the numbers, split at the commas
	AppID         string
	TemplateID    string
	Datas         []string // nil when the request had none
	ReqID         string
	At            time.Time
}

// Request is one request the fake received, whatever became of it.
type Request struct {
	Method string
	Path   string
	Sig    string // the sig query parameter
	Header http.Header
	Body   []byte
}

// Server is the fake service, serving on 127.0.0.1. Its methods are safe
// for concurrent use.
type Server struct {
	cfg    Config
	srv    *httptest.Server
	done   chan struct{} // closed by Close: slow answers give up
	close  sync.Once
	faults faults.Queue[refusal]

	mu       sync.Mutex
	requests []Request
	sends    []Send
	reqIDs   map[string]string // reqId -> the Beijing day it was accepted
}

// New starts a fake service with the account c on a free port of
// 127.0.0.1; Close stops it.
func New(c Config) *Server {
	if c.Now == nil {
		c.Now = time.Now
	}
	s := &Server{cfg: c, done: make(chan struct{}), reqIDs: make(map[string]string)}
	s.srv = httptest.NewServer(s)
	return s
}

// URL is the service's base URL, http://127.0.0.1:port, without a path:
// the fake's stand-in for https://app.cloopen.com:8883.
func (s *Server) URL() string { return s.srv.URL }

// Close ends the slow answers in progress, closes the client connections
// and stops the server.
func (s *Server) Close() {
	s.close.Do(func() { close(s.done) })
	s.srv.CloseClientConnections()
	s.srv.Close()
}

// Sends returns the messages accepted so far, oldest first.
func (s *Server) Sends() []Send {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Send(nil), s.sends...)
}

// Requests returns the requests received so far, oldest first, answered or
// not.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// ServeHTTP answers one request. New serves it; a local server may mount
// it too.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, readErr := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	s.mu.Lock()
	s.requests = append(s.requests, Request{Method: r.Method, Path: r.URL.Path, Sig: r.URL.Query().Get("sig"),
		Header: r.Header.Clone(), Body: body})
	s.mu.Unlock()

	f := s.faults.Next()
	if f.Intercept(w, nginx{}) || !f.Wait(w, r, s.done) {
		return
	}

	if status := checkRoute(r); status != http.StatusOK {
		nginx{}.Page(w, status)
		return
	}
	now := s.cfg.Now()
	if e := s.authenticate(r, now); e != nil {
		writeJSON(w, e)
		return
	}
	if e, ok := f.Refusal(); ok {
		writeJSON(w, &e)
		return
	}
	if readErr != nil {
		writeJSON(w, errParse)
		return
	}
	req, e := s.parse(r.Header.Get("Content-Type"), body)
	if e != nil {
		writeJSON(w, e)
		return
	}
	m, e := s.accept(req, now)
	switch {
	case e != nil:
		writeJSON(w, e)
	case f.Accepted(w, r, s.done):
		writeJSON(w, successAnswer{StatusCode: Success, TemplateSMS: templateSMS{DateCreated: m.DateCreated,
			SMSMessageSID: m.SMSMessageSID}})
	}
}

// accept records req as sent, unless its reqId was used today.
func (s *Server) accept(req *sendRequest, now time.Time) (Send, *refusal) {
	day := now.In(Beijing).Format("20060102")
	s.mu.Lock()
	defer s.mu.Unlock()
	if req.ReqID != "" {
		if s.reqIDs[req.ReqID] == day {
			return Send{}, errDuplicate
		}
		s.reqIDs[req.ReqID] = day
	}
	m := Send{
		SMSMessageSID: newSID(),
		DateCreated:   now.In(Beijing).Format(TimestampLayout),
		To:            req.numbers,
		AppID:         req.AppID,
		TemplateID:    req.TemplateID,
		Datas:         req.Datas,
		ReqID:         req.ReqID,
		At:            now,
	}
	s.sends = append(s.sends, m)
	return m, nil
}

type templateSMS struct {
	DateCreated   string `json:"dateCreated"`
	SMSMessageSID string `json:"smsMessageSid"`
}

type successAnswer struct {
	StatusCode  string      `json:"statusCode"`
	TemplateSMS templateSMS `json:"templateSMS"`
}

func writeJSON(w http.ResponseWriter, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json;charset=utf-8")
	_, _ = w.Write(b)
}

// newSID returns an smsMessageSid: 32 lower-case hex digits.
func newSID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
