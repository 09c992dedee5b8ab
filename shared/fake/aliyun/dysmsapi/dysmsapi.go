// Package dysmsapi is a fake Aliyun SMS service (Dysmsapi 2017-05-25) for
// tests and local runs: an http.Handler, served with httptest.NewServer,
// that the real SDK (dysmsapi v3 on darabonba-openapi/v2) talks to unchanged.
//
// It checks the ACS3-HMAC-SHA256 signature and the credentials as the real
// gateway does, validates SendSms and QuerySendDetails like the real service,
// records every accepted send, and can be told to fail in each way the real
// service and the network in front of it fail (see Fail and the faults of
// package acs). Point the SDK at it with the server's host:port as Endpoint
// and Protocol "http".
//
// Phone numbers it accepts: mainland 11-digit numbers (with or without a
// +86, 0086 or 86 prefix) and international numbers in Aliyun's "00" form
// (0085261234567). Every accepted message is reported DELIVERED by
// QuerySendDetails.
package dysmsapi

import (
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/seed4ddb146e/notify/shared/fake/aliyun/acs"
)

// MaxPhoneNumbers is how many numbers one SendSms takes.
const MaxPhoneNumbers = 1000

// Config is the fake's account: the keys it accepts.
type Config = acs.Credentials

// Send is one message the fake accepted.
type Send struct {
	BizID         string
	RequestID     string
	PhoneNumbers  []string // as sent, split at the commas
	SignName      string
	TemplateCode  string
	TemplateParam string // "" when the request had none
	OutID         string
	At            time.Time
}

// Server is the fake service. Its methods are safe for concurrent use.
type Server struct {
	*acs.Service // ServeHTTP, Fail, Heal, Requests, SetClock
	sends        acs.Log[Send]
	undelivered  sync.Map // canonical number -> the ErrCode QuerySendDetails gives its sends
}

// Undelivered makes QuerySendDetails say that every send to number failed
// to arrive, with errCode (as IS_CLOSE, a phone switched off), where it
// says they were delivered otherwise.
func (s *Server) Undelivered(number, errCode string) {
	c, _ := canonical(number)
	s.undelivered.Store(c, errCode)
}

// New returns a fake SMS service accepting the keys of c.
func New(c Config) *Server {
	s := &Server{}
	s.Service = acs.NewService(acs.Product{
		Name:    "Dysmsapi",
		Host:    "dysmsapi.aliyuncs.com",
		Version: "2017-05-25",
		Signing: acs.ACS3,
		Actions: map[string]acs.Action{
			"SendSms":          s.sendSms,
			"QuerySendDetails": s.querySendDetails,
		},
	}, c)
	return s
}

// Sends returns the messages accepted so far, oldest first.
func (s *Server) Sends() []Send { return s.sends.All() }

type sendReply struct {
	acs.OK
	BizID string `json:"BizId"`
}

// firstBizID makes BizIds look like Aliyun's: 18 digits, then "^0".
const firstBizID = 900619746936498440

func (s *Server) sendSms(id string, p url.Values) (any, *acs.Error) {
	if e := acs.Require(p, "PhoneNumbers", "SignName", "TemplateCode"); e != nil {
		return nil, e
	}
	phones := strings.Split(p.Get("PhoneNumbers"), ",")
	if len(phones) > MaxPhoneNumbers {
		return nil, acs.Errorf("isv.MOBILE_COUNT_OVER_LIMIT", "手机号码数量超过限制")
	}
	for _, ph := range phones {
		if _, ok := canonical(ph); !ok {
			return nil, acs.Errorf("isv.MOBILE_NUMBER_ILLEGAL", "非法手机号")
		}
	}
	if e := acs.JSONParam(p, "TemplateParam"); e != nil {
		return nil, e
	}

	m := s.sends.Add(func(n int) Send {
		return Send{
			BizID:         acs.ID(firstBizID+int64(n), 0),
			RequestID:     id,
			PhoneNumbers:  phones,
			SignName:      p.Get("SignName"),
			TemplateCode:  p.Get("TemplateCode"),
			TemplateParam: p.Get("TemplateParam"),
			OutID:         p.Get("OutId"),
			At:            s.TakenAt(),
		}
	})
	return sendReply{OK: acs.Success(id), BizID: m.BizID}, nil
}

// canonical returns a number the service accepts in one form for matching:
// mainland numbers as 11 digits, international ones as 00 and digits.
func canonical(n string) (string, bool) {
	if d, ok := strings.CutPrefix(n, "00"); ok && !strings.HasPrefix(d, "86") {
		return n, acs.Digits(d) && len(d) >= 7 && len(d) <= 15 && d[0] != '0'
	}
	return acs.Mainland(n)
}
