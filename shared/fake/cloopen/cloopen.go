// Package cloopen is a fake Ronglian (容联云, Cloopen) REST API serving
// TemplateSMS, for tests and local runs: a real HTTP server on 127.0.0.1
// that checks requests the way app.cloopen.com:8883 does (signature,
// timestamp, app, numbers, reqId), records every message it accepts and
// every request it receives, and can be told to fail in each way the real
// service and the network in front of it fail (see Fail and Fault).
//
//	fake := cloopen.New(cloopen.Config{AccountSID: sid, AuthToken: token, AppID: app})
//	defer fake.Close()
//	// POST fake.URL() + "/2013-12-26/Accounts/" + sid + "/SMS/TemplateSMS?sig=..."
//
// docs/fakes.md lists its checks in order, with their codes, and what it
// does differently from the service, and why.
package cloopen

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"github.com/seed4ddb146e/notify/shared/fake/internal/china"
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
	day := now.In(china.Beijing).Format("20060102")
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
		DateCreated:   now.In(china.Beijing).Format(TimestampLayout),
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
