package postgres

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/seed4ddb146e/notify/shared/notify"
	"github.com/seed4ddb146e/notify/shared/store/postgres/pgtest"
)

// waitCounter serves the PostgreSQL server at dbURL on a unix socket of
// its own, and counts the round trips its clients make: the messages
// after which a client waits for the server, Sync (the end of a batch of
// the extended protocol) and Query (a statement of the simple protocol).
// pgxpool's pings of idle connections are not counted.
type waitCounter struct {
	url   string
	waits atomic.Int64
}

func newWaitCounter(t *testing.T, dbURL string) *waitCounter {
	t.Helper()
	p := &waitCounter{}
	p.url = watchingProxy(t, dbURL, func() func([]byte) {
		var f frontend
		return func(chunk []byte) { p.waits.Add(int64(f.feed(chunk))) }
	})
	return p
}

// frontend reads a client's stream to a PostgreSQL server.
type frontend struct {
	started bool   // the startup message has passed
	buf     []byte // what is left of a message cut short
}

// feed reads p, the next bytes of the stream, and returns the number of
// Sync and Query messages in it, pings left out.
func (f *frontend) feed(p []byte) (waits int) {
	f.buf = append(f.buf, p...)
	for {
		if !f.started {
			// Untyped: length, then a code (SSLRequest and GSSENCRequest
			// come before the startup message).
			if len(f.buf) < 8 {
				return waits
			}
			n := int(binary.BigEndian.Uint32(f.buf))
			if len(f.buf) < n {
				return waits
			}
			code := binary.BigEndian.Uint32(f.buf[4:])
			f.started = code != 80877103 && code != 80877104
			f.buf = f.buf[n:]
			continue
		}
		if len(f.buf) < 5 {
			return waits
		}
		n := 1 + int(binary.BigEndian.Uint32(f.buf[1:]))
		if len(f.buf) < n {
			return waits
		}
		switch msg := f.buf[:n]; msg[0] {
		case 'S':
			waits++
		case 'Q':
			if !bytes.Equal(msg[5:], []byte("-- ping\x00")) {
				waits++
			}
		}
		f.buf = f.buf[n:]
	}
}

// TestReportRoundTrips counts the round trips of a delivery report on a
// connection that has run a report's statements before: three (BEGIN, the
// lock and the match; the insert and the final reports; the settling,
// the events and COMMIT), whether or not the group has a webhook; two for
// one recorded before, whose message has settled (the insert, which
// finds it, and COMMIT); three for an orphan (the match, the other two
// ways to find a message, the insert and COMMIT). On a new connection,
// each batch first describes its statements, at a round trip more.
func TestReportRoundTrips(t *testing.T) {
	proxy := newWaitCounter(t, testPG.Database(t))
	s, err := New(proxy.url+"&pool_max_conns=1", Options{Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	ctx := t.Context()
	now := time.Now()
	message := func(i int, hooked, orphan bool) notify.Report {
		t.Helper()
		if orphan {
			return notify.Report{Provider: "aliyun", Channel: notify.SMS, ProviderID: fmt.Sprintf("%018d^0", i),
				Recipient: "13800138000", Status: notify.Delivered, Code: "DELIVERED", At: now,
				OutID: fmt.Sprintf("%032x", i)}
		}
		m := &notify.Message{ID: fmt.Sprintf("%032x", i), GroupID: "ops", Channel: notify.SMS,
			Recipients: []string{"13800138000"}, Provider: "aliyun", Status: notify.Accepted,
			CreatedAt: now, UpdatedAt: now, Webhook: hooked}
		if err := s.CreateMessage(ctx, m); err != nil {
			t.Fatal(err)
		}
		o := notify.Outcome{Status: notify.Submitted, Provider: "aliyun", ProviderID: fmt.Sprintf("%018d^0", i), At: now}
		if err := s.FinishMessage(ctx, m.ID, o); err != nil {
			t.Fatal(err)
		}
		return notify.Report{Provider: "aliyun", Channel: notify.SMS, ProviderID: o.ProviderID,
			Recipient: m.Recipients[0], Status: notify.Delivered, Code: "DELIVERED", At: now}
	}
	for i, tc := range []struct {
		name                string
		hooked, dup, orphan bool
		want                int64
	}{
		{"first report on the connection", true, false, false, 6},
		{"report of a group with a webhook", true, false, false, 3},
		{"report", false, false, false, 3},
		{"report recorded before", false, true, false, 2},
		{"first orphan", false, false, true, 4},
		{"orphan", false, false, true, 3},
	} {
		r := message(i, tc.hooked, tc.orphan)
		if tc.dup {
			if _, err := s.RecordReport(ctx, r); err != nil {
				t.Fatal(err)
			}
		}
		before := proxy.waits.Load()
		res, err := s.RecordReport(ctx, r)
		got := proxy.waits.Load() - before
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		switch {
		case tc.orphan && res != (notify.ReportResult{}):
			t.Errorf("%s: %+v; want an orphan", tc.name, res)
		case !tc.orphan && (res.Status != notify.Delivered || res.Duplicate != tc.dup):
			t.Errorf("%s: %+v; want delivered, duplicate %v", tc.name, res, tc.dup)
		}
		if got != tc.want {
			t.Errorf("%s: %d round trips; want %d", tc.name, got, tc.want)
		}
	}
}

// TestReportGivenUpIsNotCommitted: a report without a provider id takes
// no report lock, and its insert waits for another transaction's insert of
// the same report. Its call gives up meanwhile, and fails; pgx closes the
// connection, and its cancel request is lost on the way (the proxy drops
// it, as a network that failed would). Once the other transaction rolls
// back, the server must not commit the report the call said it failed to
// record, as it would if COMMIT went out in the insert's batch.
func TestReportGivenUpIsNotCommitted(t *testing.T) {
	db := testPG.Database(t)
	url := pgtest.Proxy(t, proxySocket(t), db, func(c, s net.Conn) {
		// A cancel request is a connection's only message: length 16,
		// code 80877102.
		head := make([]byte, 8)
		if _, err := io.ReadFull(c, head); err != nil || binary.BigEndian.Uint32(head[4:]) == 80877102 {
			c.Close()
			s.Close()
			return
		}
		s.Write(head)
		go func() { io.Copy(c, s); c.Close() }()
		go func() { io.Copy(s, c); s.Close() }()
	})
	st, err := New(url, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := t.Context()
	other, err := pgx.Connect(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close(context.Background())
	if err := st.Open(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := other.Exec(ctx, "BEGIN"); err != nil {
		t.Fatal(err)
	}
	if _, err := other.Exec(ctx, `INSERT INTO reports (message_id, provider, channel, provider_id, recipient,
	status, code, text, out_id, received_at, raw)
VALUES ('', 'aliyun', 'sms', '', '13800138000', 'delivered', 'X', '', '', now(), '')`); err != nil {
		t.Fatal(err)
	}
	given, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	if _, err := st.RecordReport(given, notify.Report{Provider: "aliyun", Channel: notify.SMS, Recipient: "13800138000",
		Status: notify.Delivered, Code: "X", Text: "mine"}); err == nil {
		t.Fatal("RecordReport returned no error while its insert waited past its deadline")
	}
	if _, err := other.Exec(ctx, "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	st.Close() // which waits for pgx to see the server close the given-up connection
	// The given-up call's backend goes on until it finds its client gone:
	// wait for it to end, then look for its report.
	for start := time.Now(); ; time.Sleep(10 * time.Millisecond) {
		var n int
		if err := other.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
WHERE datname = current_database() AND pid <> pg_backend_pid()`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
		if time.Since(start) > 10*time.Second {
			t.Fatalf("%d other backends still at work after 10 s", n)
		}
	}
	var n int
	if err := other.QueryRow(ctx, `SELECT count(*) FROM reports WHERE text = 'mine'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("RecordReport failed, yet its report was committed after it returned (%d rows)", n)
	}
}
