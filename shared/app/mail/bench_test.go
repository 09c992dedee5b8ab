package mail_test

import (
	"testing"
	"time"

	"github.com/seed4ddb146e/notify/shared/fake/smtpd"
)

// BenchmarkMailPath is the whole POST /mail path: decode, authorize,
// record, an SMTP session (AUTH, MAIL, RCPT, DATA) with the real server in
// the test, record, reply.
func BenchmarkMailPath(b *testing.B) {
	g := newGateway(b, smtpd.Faults{}, nil)
	b.ReportAllocs()
	for b.Loop() {
		if status, rep := g.post(b, seedBody, 10*time.Second); status != 200 {
			b.Fatalf("reply %d %+v", status, rep)
		}
		g.smtp.Reset()
	}
}
