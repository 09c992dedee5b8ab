// Package mnsopen is a fake of the management API of Aliyun's Simple
// Message Queue (formerly MNS), mns-open 2022-01-19: CreateQueue,
// GetQueueAttributes and SetQueueAttributes, which the real SDK
// (darabonba-openapi v2) reaches unchanged. It checks the
// ACS3-HMAC-SHA256 signature and the credentials as the real gateway does,
// validates the attributes within the documented ranges, and keeps the
// queues it made.
package mnsopen

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"sync"

	"github.com/seed4ddb146e/notify/shared/fake/aliyun/acs"
)

// Queue is a queue the fake keeps, with its attributes.
type Queue struct {
	Name                   string
	MessageRetentionPeriod int // seconds, 60..604800; 345600 when not given
	VisibilityTimeout      int // seconds, 1..43200; 30 when not given
	MaximumMessageSize     int // bytes, 1024..65536; 65536 when not given
	Updates                int // SetQueueAttributes calls that reached it
}

// Server is the fake service. Its methods are safe for concurrent use.
type Server struct {
	*acs.Service // ServeHTTP, Fail, Requests, Rotate

	mu     sync.Mutex
	queues map[string]*Queue
}

// New returns a fake queue service accepting the keys c.
func New(c acs.Credentials) *Server {
	s := &Server{queues: map[string]*Queue{}}
	s.Service = acs.NewService(acs.Product{
		Name:    "Mns-open",
		Host:    "mns-open.cn-hangzhou.aliyuncs.com",
		Version: "2022-01-19",
		Signing: acs.ACS3,
		Actions: map[string]acs.Action{
			"CreateQueue":        s.createQueue,
			"GetQueueAttributes": s.getQueueAttributes,
			"SetQueueAttributes": s.setQueueAttributes,
		},
	}, c)
	return s
}

// Queues returns the queues, by name.
func (s *Server) Queues() []Queue {
	s.mu.Lock()
	defer s.mu.Unlock()
	var qs []Queue
	for _, q := range s.queues {
		qs = append(qs, *q)
	}
	sort.Slice(qs, func(i, j int) bool { return qs[i].Name < qs[j].Name })
	return qs
}

// Put adds a queue as if it had been made before, such as by hand.
func (s *Server) Put(q Queue) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.queues[q.Name] = &q
}

// answer is mns-open's answer: Code and Status are the HTTP status, Data
// the result.
type answer struct {
	RequestID string `json:"RequestId"`
	Code      int    `json:"Code"`
	Status    string `json:"Status"`
	Message   string `json:"Message"`
	Success   bool   `json:"Success"`
	Data      any    `json:"Data"`
}

func ok(id string, data any) answer {
	return answer{RequestID: id, Code: 200, Status: "200", Message: "operation success", Success: true, Data: data}
}

var queueName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9-]{0,119}$`)

var (
	errNotExist = &acs.Error{Status: http.StatusNotFound, Code: "QueueNotExist", Message: "The queue name you provided is not exist."}
	errExists   = &acs.Error{Status: http.StatusConflict, Code: "QueueAlreadyExist", Message: "The queue you want to create already exists."}
)

func invalid(name string) *acs.Error {
	return &acs.Error{Status: http.StatusBadRequest, Code: "InvalidArgument", Message: "The value of " + name + " is out of range."}
}

// attributes sets on q the attributes p gives, checked.
func attributes(q *Queue, p url.Values) *acs.Error {
	for _, a := range []struct {
		name     string
		min, max int
		field    *int
	}{
		{"MessageRetentionPeriod", 60, 604800, &q.MessageRetentionPeriod},
		{"VisibilityTimeout", 1, 43200, &q.VisibilityTimeout},
		{"MaximumMessageSize", 1024, 65536, &q.MaximumMessageSize},
	} {
		v := p.Get(a.name)
		if v == "" {
			continue
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < a.min || n > a.max {
			return invalid(a.name)
		}
		*a.field = n
	}
	return nil
}

func (s *Server) createQueue(id string, p url.Values) (any, *acs.Error) {
	name := p.Get("QueueName")
	if !queueName.MatchString(name) {
		return nil, &acs.Error{Status: http.StatusBadRequest, Code: "InvalidQueueName", Message: "The queue name you provided is invalid."}
	}
	q := &Queue{Name: name, MessageRetentionPeriod: 345600, VisibilityTimeout: 30, MaximumMessageSize: 65536}
	if e := attributes(q, p); e != nil {
		return nil, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.queues[name]; ok {
		return nil, errExists
	}
	s.queues[name] = q
	return ok(id, "http://1234567890123456.mns.cn-hangzhou.aliyuncs.com/queues/"+name), nil
}

func (s *Server) getQueueAttributes(id string, p url.Values) (any, *acs.Error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q, found := s.queues[p.Get("QueueName")]
	if !found {
		return nil, errNotExist
	}
	return ok(id, map[string]any{"QueueName": q.Name, "MessageRetentionPeriod": q.MessageRetentionPeriod,
		"VisibilityTimeout": q.VisibilityTimeout, "MaximumMessageSize": q.MaximumMessageSize,
		"DelaySeconds": 0, "PollingWaitSeconds": 0, "LoggingEnabled": false}), nil
}

func (s *Server) setQueueAttributes(id string, p url.Values) (any, *acs.Error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	q, found := s.queues[p.Get("QueueName")]
	if !found {
		return nil, errNotExist
	}
	next := *q
	if e := attributes(&next, p); e != nil {
		return nil, e
	}
	next.Updates++
	*q = next
	return ok(id, json.RawMessage("null")), nil
}
