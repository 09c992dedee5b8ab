package dyvmsapi

import (
	"encoding/json"
	"net/url"
	"strconv"
	"testing"
)

// FuzzActions feeds SingleCallByTts and QueryCallDetailByCallId any
// parameters: they never panic, a call is recorded exactly when it is
// accepted, and the query then finds it with Data as JSON.
func FuzzActions(f *testing.F) {
	f.Add("13800138000", `{"AckNum":"1"}`, "3", "100", "-500", "abcdefgh", "11000000300006")
	f.Add("+8613800138000", `{"a":1}`, "0", "101", "501", "abcdefghijklmnop", "1")
	f.Add("", `null`, "x", "", "", "", "")
	f.Fuzz(func(t *testing.T, number, param, play, volume, speed, outID, prod string) {
		s := New(Config{})
		p := url.Values{"CalledNumber": {number}, "TtsCode": {"TTS_1"}, "TtsParam": {param}, "OutId": {outID}}
		for k, v := range map[string]string{"PlayTimes": play, "Volume": volume, "Speed": speed} {
			if v != "" {
				p.Set(k, v)
			}
		}
		_, e := s.singleCallByTts("id", p)
		calls := s.Calls()
		if (e == nil) != (len(calls) == 1) {
			t.Fatalf("singleCallByTts(%v) = %v with %d calls recorded", p, e, len(calls))
		}
		q := url.Values{"CallId": {number}, "ProdId": {prod}, "QueryDate": {play}}
		if e == nil {
			q = url.Values{"CallId": {calls[0].CallID}, "ProdId": {"11000000300006"},
				"QueryDate": {strconv.FormatInt(calls[0].At.UnixMilli(), 10)}}
		}
		v, qe := s.queryCallDetail("id", q)
		if e != nil {
			return
		}
		var d callDetail
		if qe != nil || json.Unmarshal([]byte(v.(detailReply).Data), &d) != nil || d.CallID != calls[0].CallID {
			t.Fatalf("queryCallDetail(%v) = %+v, %v; want the call", q, v, qe)
		}
	})
}
