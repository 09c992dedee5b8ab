package acs

import (
	"io"
	"net/http"
	"net/url"
	"sync/atomic"
	"time"

	"github.com/seed4ddb146e/notify/shared/fake/internal/faults"
)

// maxBody bounds the request bodies a Service reads.
const maxBody = 1 << 20

// Action answers one API action: it gets the request id and the business
// parameters of a request whose signature checked out, and returns the
// success body (which embeds OK) or an error answer.
type Action func(requestID string, p url.Values) (any, *Error)

// Product describes a fake product to NewService.
type Product struct {
	Name    string // "Dysmsapi": names the product in Recommend links
	Host    string // "dysmsapi.aliyuncs.com": the HostId of gateway errors
	Version string // "2017-05-25"
	Signing Signing
	Actions map[string]Action
	// Now is the fake's clock for timestamp checks; nil is time.Now.
	Now func() time.Time
}

// Service is an http.Handler serving a Product behind a fake gateway. Its
// methods are safe for concurrent use.
type Service struct {
	p        Product
	c        atomic.Pointer[Credentials]
	requests atomic.Int64
	faults   faults.Queue[Error]
	clock    atomic.Pointer[func() time.Time] // SetClock's
}

// SetClock makes now the time the product takes what it is sent at from
// here on (TakenAt: a send's, a call's, and so the day a query finds it
// under), as Aliyun's clock; nil is time.Now. Request timestamps are
// still checked against Product.Now, the clock the SDK signs with.
func (s *Service) SetClock(now func() time.Time) {
	if now == nil {
		now = time.Now
	}
	s.clock.Store(&now)
}

// TakenAt is the time of what the product takes now: see SetClock.
func (s *Service) TakenAt() time.Time {
	if now := s.clock.Load(); now != nil {
		return (*now)()
	}
	return time.Now()
}

// NewService returns a Service for p that accepts the credentials c.
func NewService(p Product, c Credentials) *Service {
	if p.Now == nil {
		p.Now = time.Now
	}
	s := &Service{p: p}
	s.c.Store(&c)
	return s
}

// Rotate makes the service accept c and nothing else, as Aliyun does once
// an STS token it replaced has expired.
func (s *Service) Rotate(c Credentials) { s.c.Store(&c) }

// Requests returns how many requests have reached the service, answered or
// not.
func (s *Service) Requests() int { return int(s.requests.Load()) }

// ServeHTTP answers one API request.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.requests.Add(1)
	id := newRequestID()
	f := s.faults.Next()
	if f.Intercept(w, tengine{}) {
		return
	}
	// Read the body first: the server notices a client going away only
	// once the body is read.
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		s.writeError(w, id, errBody)
		return
	}
	if !f.Wait(w, r, nil) {
		return
	}
	c, e := s.verify(r, body)
	if a, ok := f.Refusal(); e == nil && ok {
		e = &a
	}
	if e != nil {
		s.writeError(w, id, e)
		return
	}
	action := s.p.Actions[c.action]
	if action == nil {
		s.writeError(w, id, errAPI)
		return
	}
	if c.version != s.p.Version {
		s.writeError(w, id, errVersion)
		return
	}
	v, e := action(id, c.params)
	if e != nil {
		s.writeError(w, id, e)
		return
	}
	if f.Accepted(w, r, nil) {
		writeJSON(w, http.StatusOK, v)
	}
}

// verify checks the request's signature and credentials.
func (s *Service) verify(r *http.Request, body []byte) (*call, *Error) {
	if s.p.Signing == RPC {
		return verifyRPC(r, body, *s.c.Load(), s.p.Now())
	}
	return verifyACS3(r, body, *s.c.Load(), s.p.Now())
}

// writeError writes e as a business error (status 200) or a gateway error.
func (s *Service) writeError(w http.ResponseWriter, id string, e *Error) {
	if e.Status == http.StatusOK {
		writeJSON(w, e.Status, businessError{RequestID: id, Code: e.Code, Message: e.Message})
		return
	}
	writeJSON(w, e.Status, gatewayError{RequestID: id, HostID: s.p.Host, Code: e.Code, Message: e.Message,
		Recommend: recommend(s.p.Name, e.Code, id)})
}
