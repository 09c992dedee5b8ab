package faults

import (
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"
)

func TestQueue(t *testing.T) {
	var q Queue[string]
	if f := q.Next(); f != (Fault[string]{}) {
		t.Fatalf("an empty queue played %v", f)
	}
	q.Push(Fault[string]{})
	q.Push(Refuse("a", "a").Times(2))
	q.Push(Refuse("b", "b"))
	q.Push(Refuse("c", "c").Times(1))
	var got []string
	for range 5 {
		a, ok := q.Next().Refusal()
		if !ok {
			a = "-"
		}
		got = append(got, a)
	}
	if want := []string{"a", "a", "b", "b", "b"}; !slices.Equal(got, want) {
		t.Errorf("played %q, want %q: a fault for every request stays until Clear", got, want)
	}
	q.Clear()
	if f := q.Next(); f != (Fault[string]{}) {
		t.Errorf("after Clear: %v", f)
	}
}

func TestString(t *testing.T) {
	tests := []struct {
		f    Fault[string]
		want string
	}{
		{Fault[string]{}, "no fault"},
		{Fault[string]{}.Times(2), "no fault"},
		{Refuse("x", "business X").Times(2), "business X ×2"},
		{Page[string](502, "gateway 502"), "gateway 502"},
		{NotJSON[string](200, "not JSON"), "not JSON"},
		{Empty[string](503).Times(0), "empty 503"},
		{Slow[string](time.Second), "slow 1s"},
		{Drop[string](), "drop"},
		{AcceptThenDrop[string](), "accept then drop"},
		{AcceptThenSlow[string](time.Millisecond).Times(1), "accept then slow 1ms ×1"},
	}
	for _, tt := range tests {
		if got := tt.f.String(); got != tt.want {
			t.Errorf("String() = %q, want %q", got, tt.want)
		}
	}
}

func TestDrop(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		Drop[string]().Intercept(w, nil)
	}))
	defer srv.Close()
	res, err := http.Get(srv.URL)
	if err == nil {
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		t.Fatalf("got an answer, %s; want the connection dropped", res.Status)
	}
}
