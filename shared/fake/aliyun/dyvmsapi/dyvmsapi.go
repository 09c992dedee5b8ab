// Package dyvmsapi is a fake Aliyun voice service (Dyvmsapi 2017-05-25) for
// tests and local runs: an http.Handler, served with httptest.NewServer,
// that the real SDK (dyvmsapi v2 on darabonba-openapi v0.1.4) talks to
// unchanged. It checks the RPC v1 HMAC-SHA1 signature and the credentials,
// validates SingleCallByTts like the real service, records every accepted
// call, answers QueryCallDetailByCallId from them (every call answered,
// state 200000; the keys inside its Data are from Aliyun's documentation
// and unverified), and can be told to fail as package acs's faults say.
// Point the SDK at it with the server's host:port as Endpoint and
// Protocol "http".
package dyvmsapi

import (
	"encoding/json"
	"github.com/seed4ddb146e/notify/shared/fake/internal/china"
	"net/url"
	"strconv"
	"time"

	"github.com/seed4ddb146e/notify/shared/fake/aliyun/acs"
)

// Limits of SingleCallByTts.
const (
	MaxOutIDLen = 15 // bytes
	MaxSpeed    = 500
	MaxVolume   = 100
	MaxPlay     = 3
)

// Config is the fake's account: the keys it accepts.
type Config = acs.Credentials

// Call is one call the fake accepted. The optional numbers are nil when the
// request did not set them.
type Call struct {
	CallID           string
	RequestID        string
	CalledNumber     string
	CalledShowNumber string
	TtsCode          string
	TtsParam         string
	PlayTimes        *int
	Volume           *int
	Speed            *int
	OutID            string
	At               time.Time
}

// Server is the fake service. Its methods are safe for concurrent use.
type Server struct {
	*acs.Service // ServeHTTP, Fail, Heal, Requests, SetClock
	calls        acs.Log[Call]
}

// New returns a fake voice service accepting the keys of c.
func New(c Config) *Server {
	s := &Server{}
	s.Service = acs.NewService(acs.Product{
		Name:    "Dyvmsapi",
		Host:    "dyvmsapi.aliyuncs.com",
		Version: "2017-05-25",
		Signing: acs.RPC,
		Actions: map[string]acs.Action{
			"SingleCallByTts":         s.singleCallByTts,
			"QueryCallDetailByCallId": s.queryCallDetail,
		},
	}, c)
	return s
}

// Calls returns the calls accepted so far, oldest first.
func (s *Server) Calls() []Call { return s.calls.All() }

type callReply struct {
	acs.OK
	CallID string `json:"CallId"`
}

func invalid(name string) *acs.Error {
	return acs.Errorf("isv.INVALID_PARAMETERS", "参数不合法: "+name)
}

// number reads the optional integer parameter name, within [lo, hi].
func number(p url.Values, name string, lo, hi int) (*int, *acs.Error) {
	if _, ok := p[name]; !ok {
		return nil, nil
	}
	n, err := strconv.Atoi(p.Get(name))
	if err != nil || n < lo || n > hi {
		return nil, invalid(name)
	}
	return &n, nil
}

func (s *Server) singleCallByTts(id string, p url.Values) (any, *acs.Error) {
	if e := acs.Require(p, "CalledNumber", "TtsCode"); e != nil {
		return nil, e
	}
	c := Call{RequestID: id, CalledNumber: p.Get("CalledNumber"), CalledShowNumber: p.Get("CalledShowNumber"),
		TtsCode: p.Get("TtsCode"), TtsParam: p.Get("TtsParam"), OutID: p.Get("OutId"), At: s.TakenAt()}
	if _, ok := acs.Mainland(c.CalledNumber); !ok {
		return nil, acs.Errorf("isv.MOBILE_NUMBER_ILLEGAL", "号码格式非法")
	}
	if c.CalledShowNumber != "" && !acs.Digits(c.CalledShowNumber) {
		return nil, acs.Errorf("isv.DISPLAY_NUMBER_ILLEGAL", "主叫号码不合法")
	}
	if e := acs.JSONParam(p, "TtsParam"); e != nil {
		return nil, e
	}
	if _, ok := p["OutId"]; ok && (c.OutID == "" || len(c.OutID) > MaxOutIDLen) {
		return nil, invalid("OutId")
	}
	var e *acs.Error
	if c.PlayTimes, e = number(p, "PlayTimes", 1, MaxPlay); e != nil {
		return nil, e
	}
	if c.Volume, e = number(p, "Volume", 0, MaxVolume); e != nil {
		return nil, e
	}
	if c.Speed, e = number(p, "Speed", -MaxSpeed, MaxSpeed); e != nil {
		return nil, e
	}

	c = s.calls.Add(func(n int) Call {
		c.CallID = acs.ID(116012354148+int64(n), 102813780000+int64(n))
		return c
	})
	return callReply{OK: acs.Success(id), CallID: c.CallID}, nil
}

// The products of QueryCallDetailByCallId's ProdId.
const (
	prodVoiceNotice = 11000000300006
	prodVoiceCode   = 11010000138001
	prodIVR         = 11000000300005
)

type callDetail struct {
	CallID          string `json:"callId"`
	StartDate       string `json:"startDate"`
	State           string `json:"state"`
	EndDate         string `json:"endDate"`
	Duration        int    `json:"duration"`
	StateDesc       string `json:"stateDesc"`
	Callee          string `json:"callee"`
	Caller          string `json:"caller"`
	HangupDirection int    `json:"hangupDirection"`
}

type detailReply struct {
	acs.OK
	// Data is the detail as a JSON-encoded string, as the SDK requires;
	// absent when no call matches.
	Data string `json:",omitempty"`
}

func (s *Server) queryCallDetail(id string, p url.Values) (any, *acs.Error) {
	if e := acs.Require(p, "CallId", "ProdId", "QueryDate"); e != nil {
		return nil, e
	}
	switch prod, _ := strconv.ParseInt(p.Get("ProdId"), 10, 64); prod {
	case prodVoiceNotice, prodVoiceCode, prodIVR:
	default:
		return nil, invalid("ProdId")
	}
	ms, err := strconv.ParseInt(p.Get("QueryDate"), 10, 64)
	if err != nil {
		return nil, invalid("QueryDate")
	}
	day := time.UnixMilli(ms).In(china.Beijing).Format(time.DateOnly)

	r := detailReply{OK: acs.Success(id)}
	for _, c := range s.calls.All() {
		at := c.At.In(china.Beijing)
		if c.CallID != p.Get("CallId") || at.Format(time.DateOnly) != day {
			continue
		}
		caller := c.CalledShowNumber
		if caller == "" {
			caller = "057188773344" // the public pool
		}
		b, _ := json.Marshal(callDetail{
			CallID: c.CallID, StartDate: at.Format(time.DateTime), State: "200000",
			EndDate: at.Add(20 * time.Second).Format(time.DateTime), Duration: 20, StateDesc: "用户接听",
			Callee: mask(c.CalledNumber), Caller: mask(caller), HangupDirection: 2,
		})
		r.Data = string(b)
	}
	return r, nil
}

// mask hides the last four digits of a number, as the answers do.
func mask(n string) string {
	if len(n) <= 4 {
		return "****"
	}
	return n[:len(n)-4] + "****"
}
