package tts_test

import (
	"testing"
	"time"
)

// BenchmarkTTSPath is the whole POST /tts path: decode, authorize, record,
// SingleCallByTts through the SDK to the fake Dyvmsapi, record, reply.
func BenchmarkTTSPath(b *testing.B) {
	g := newGateway(b, nil)
	b.ReportAllocs()
	for b.Loop() {
		if status, rep := g.post(b, seedBody, 10*time.Second); status != 200 {
			b.Fatalf("reply %d %+v", status, rep)
		}
	}
}
