package tts_test

import (
	"testing"
	"time"
)

// BenchmarkTTSPath is the whole POST /tts path: decode, authorize, record,
// SingleCallByTts through the SDK to the fake Dyvmsapi, record, reply.
func BenchmarkTTSPath(b *testing.B) {
	// The legacy caller's group with its voice limits off and a daily cap
	// b.N does not reach: by default a number gets one call a minute, and
	// the second op was refused.
	g := newGateway(b, map[string]string{"NOTIFY_GROUPS": `[{"id":"bc-fmb","channels":["tts"],"templates":["TTS_134311476"],
 "limits":{"voice":{"per_minute":0,"per_hour":0,"per_day":0},"daily_cap":100000000}}]`})
	b.ReportAllocs()
	for b.Loop() {
		if status, rep := g.post(b, seedBody, 10*time.Second); status != 200 {
			b.Fatalf("reply %d %+v", status, rep)
		}
	}
}
