package tts_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzTTSRoute sends POST /tts any body, over the tts function wired as in
// production (SQLite, the fake Dyvmsapi). Whatever a caller sends, the
// reply is a JSON object and never a 500; a 200 placed exactly one call,
// within the documented bounds (PlayTimes 1-3, Volume 0-100, Speed -500 to
// 500, OutId at most 15 bytes); a 400 placed none.
func FuzzTTSRoute(f *testing.F) {
	g := newGateway(f, nil)
	f.Add(seedBody)
	f.Add(`{"GroupID":"bc-fmb","CalledNumber":"+8618683441008","TtsCode":"TTS_134311476","PlayTimes":"3","Volume":100,"Speed":-500,"OutId":"123456789012345"}`)
	f.Add(`{"GroupID":"bc-fmb","CalledNumber":18683441008,"TtsCode":"TTS_134311476","PlayTimes":0,"Volume":101,"Speed":"501"}`)
	f.Add(`{"GroupID":"bc-fmb","CalledNumber":"18683441008,13800138000","TtsCode":"TTS_134311476","OutId":"1234567890123456"}`)
	f.Add(`{"GroupID":"sms-only","CalledNumber":18683441008,"TtsCode":"TTS_1"}`)
	f.Fuzz(func(t *testing.T, body string) {
		before := len(g.fake.Calls())
		r := httptest.NewRequest(http.MethodPost, "/tts", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		g.Handler.ServeHTTP(w, r)
		var rep map[string]any
		if err := json.Unmarshal(w.Body.Bytes(), &rep); err != nil || w.Code == http.StatusInternalServerError {
			t.Fatalf("%q: reply %d %q", body, w.Code, w.Body)
		}
		calls := g.fake.Calls()[before:]
		switch {
		case w.Code == http.StatusOK && len(calls) == 1:
			c := calls[0]
			in := func(p *int, lo, hi int) bool { return p == nil || *p >= lo && *p <= hi }
			if !in(c.PlayTimes, 1, 3) || !in(c.Volume, 0, 100) || !in(c.Speed, -500, 500) || len(c.OutID) > 15 {
				t.Fatalf("%q: placed %+v, outside the documented bounds", body, c)
			}
		case w.Code == http.StatusOK, w.Code == http.StatusBadRequest && len(calls) != 0:
			t.Fatalf("%q: reply %d %s after %d calls", body, w.Code, w.Body, len(calls))
		}
	})
}
