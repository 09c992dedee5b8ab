package faults

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestQueue(t *testing.T) {
	var q Queue[string]
	if _, ok := q.Next(); ok {
		t.Fatal("an empty queue played a fault")
	}
	q.Push("a", 2)
	q.Push("b", 0)
	q.Push("c", 1)
	var got []string
	for range 5 {
		f, ok := q.Next()
		if !ok {
			f = "-"
		}
		got = append(got, f)
	}
	if want := []string{"a", "a", "b", "b", "b"}; !equal(got, want) {
		t.Errorf("played %q, want %q: a fault for 0 requests stays until Clear", got, want)
	}
	q.Clear()
	if f, ok := q.Next(); ok {
		t.Errorf("after Clear: %q", f)
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestDrop(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { Drop(w) }))
	defer srv.Close()
	res, err := http.Get(srv.URL)
	if err == nil {
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		t.Fatalf("got an answer, %s; want the connection dropped", res.Status)
	}
}
