package console

import (
	"strings"
	"testing"
	"time"

	"github.com/seed4ddb146e/notify/shared/notify"
)

// TestTimelineNextAttemptDated: a webhook event waiting for its next
// attempt says when, day and time in Beijing: the later attempts come
// hours apart, often on another day than the last.
func TestTimelineNextAttemptDated(t *testing.T) {
	at := time.Date(2026, 12, 4, 23, 50, 0, 0, notify.Beijing)
	m := &notify.Message{ID: "m1", Status: notify.Delivered, Recipients: []string{"+8613800138000"}, CreatedAt: at, UpdatedAt: at}
	ev := notify.Event{ID: "evt_m1_0d", Type: "message.delivered", Recipient: "+8613800138000", State: notify.EventPending,
		Attempts: 5, LastStatus: 503, LastError: "503 Service Unavailable", At: at,
		NextAt: at.Add(5 * time.Hour)}
	d := timeline(m, nil, []notify.Event{ev})
	var text string
	for _, s := range d.Timeline {
		if s.What == "webhook" {
			text = s.Text
		}
	}
	if !strings.Contains(text, "next 2026-12-05 04:50:00") {
		t.Errorf("pending webhook step text %q; want its next attempt dated, next 2026-12-05 04:50:00", text)
	}
}
