package functions_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/seed4ddb146e/notify/shared/fake/runtimeapi"
)

// TestTimer hands the callback binary the timer events of events/callback,
// one after another, through each cloud's Runtime API emulator: each
// invocation succeeds with null, and the platform logs that the tick was
// done, for the callback function, with its duration and the invocation's
// request id. What the scheduled work does is not looked at.
func TestTimer(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds and runs the function binaries")
	}
	bin := filepath.Join(binaries(t), "callback")
	db := database(t)
	for _, fl := range flavors {
		t.Run(fl.name, func(t *testing.T) {
			emu := fl.new()
			t.Cleanup(emu.Close)
			c := startChild(t, bin, env(emu, db))
			for _, file := range timerSamples {
				payload, err := os.ReadFile(filepath.Join(root, "events", "callback", file))
				if err != nil {
					t.Fatal(err)
				}
				id := fl.name + "-" + strings.TrimSuffix(file, ".json")
				res, err := c.invokeWith(emu, runtimeapi.Invocation{Payload: payload, RequestID: id})
				if err != nil || string(res) != "null" {
					t.Fatalf("%s: reply %s, error %v; want null\n%s", file, res, err, c.out)
				}
				if !waitTicked(t, c, id) {
					t.Errorf("%s: no line \"timer tick done\" of the callback function, with a duration, for request %s:\n%s",
						file, id, c.out)
				}
			}
			if strings.Contains(c.out.String(), `"level":"ERROR"`) {
				t.Errorf("the function logged an error:\n%s", c.out)
			}
		})
	}
}

// waitTicked waits up to 10 s for the child's log to show the tick of the
// request id ("" is any): its output is copied from a pipe, so a line logged before the
// reply may arrive after it.
func waitTicked(t *testing.T, c *child, requestID string) bool {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if ticked(t, c.out.String(), requestID) {
			return true
		}
	}
	return false
}

// ticked reports whether the JSON lines of log have the platform's
// "timer tick done" for the callback function and the request id ("" is
// any).
func ticked(t *testing.T, log, requestID string) bool {
	t.Helper()
	for line := range strings.Lines(log) {
		var l struct {
			Msg        string   `json:"msg"`
			Function   string   `json:"function"`
			DurationMS *float64 `json:"duration_ms"`
			RequestID  string   `json:"request_id"`
		}
		if json.Unmarshal([]byte(line), &l) != nil {
			continue // the FC SDK's own lines are plain text
		}
		if l.Msg == "timer tick done" && l.Function == "callback" && l.DurationMS != nil &&
			(requestID == "" || l.RequestID == requestID) {
			return true
		}
	}
	return false
}

// A timer event to a function without scheduled work fails its invocation.
func TestTimerWithoutTick(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds and runs the function binaries")
	}
	bin := filepath.Join(binaries(t), "sms")
	payload, err := os.ReadFile(filepath.Join(root, "events", "callback", "scheduler.json"))
	if err != nil {
		t.Fatal(err)
	}
	emu := runtimeapi.NewLambda()
	t.Cleanup(emu.Close)
	c := startChild(t, bin, env(emu, database(t)))
	res, err := c.invoke(emu, payload)
	var fe *runtimeapi.FunctionError
	if !errors.As(err, &fe) || !strings.Contains(fe.Message, "function sms does no scheduled work") {
		t.Errorf("reply %s, error %v; want the invocation failed\n%s", res, err, c.out)
	}
}
