package main

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
)

// FuzzBatchRetry sends any CSV file as a batch to a gateway that answers
// every send 504 (the provider's answer lost: each row in doubt) or 400
// (refused: certain), then sends the .failed.csv it wrote. The retry sends
// each row as it was, in the same order, a row in doubt under the key of
// its first send, so that the gateway answers it rather than send a second
// SMS; and it fails the same way, so its own .failed.csv is the first one
// again.
func FuzzBatchRetry(f *testing.F) {
	for _, s := range []string{
		"phone,name\n13700137001,Ann\n12345,Bob\n",
		"13700137001\n13700137002\n",
		"\ufeffphone,code\n 13700137001 , 1234\n,\n,,x\n",
		"PHONE,a,b\n13700137001,\"x,y\",\"line\nbreak\"\n13700137002\n",
		"phone,idempotency_key,name\n13700137001,csv-AAAA,Ann\n",
		"phone,error\n13700137001,e\n",
		"error,idempotency_key,phone\nx,,13700137001\n",
		"phone, name ,\n13700137001,\" Ann\",z\n",
	} {
		f.Add([]byte(s), true)
		f.Add([]byte(s), false)
	}
	var (
		mu   sync.Mutex
		sent []string // body and key of each send, in order
		// doubt makes the gateway answer 504, else 400.
		doubt bool
	)
	gw := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if !doubt {
			sent = append(sent, string(b))
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, `{"Code":"isv.MOBILE_NUMBER_ILLEGAL","Message":"invalid number","Reason":"invalid_phone"}`)
			return
		}
		sent = append(sent, string(b)+"\x00"+r.Header.Get("Idempotency-Key"))
		w.WriteHeader(http.StatusGatewayTimeout)
		_, _ = io.WriteString(w, `{"Code":"ProviderTimeout","Message":"the provider did not answer in time","Reason":"provider_timeout"}`)
	}))
	defer gw.Close()
	f.Fuzz(func(t *testing.T, file []byte, inDoubt bool) {
		mu.Lock()
		doubt = inDoubt
		mu.Unlock()
		dir := t.TempDir()
		path := filepath.Join(dir, "rows.csv")
		if err := os.WriteFile(path, file, 0o600); err != nil {
			t.Fatal(err)
		}
		batch := func(path string) (int, []string, []byte) {
			mu.Lock()
			sent = nil
			mu.Unlock()
			var out bytes.Buffer
			status := run(t.Context(), []string{"send", "sms", "--url", gw.URL, "--csv", path, "--sign-name", "s",
				"--template", "SMS_1", "--param", "shop=corner"}, streams{out: &out, err: &out}, func(string) string { return "" })
			failed, _ := os.ReadFile(path + ".failed.csv")
			mu.Lock()
			defer mu.Unlock()
			return status, slices.Clone(sent), failed
		}
		status, first, failed := batch(path)
		if status != 1 {
			return // refused as a whole (no rows, not UTF-8, not CSV...)
		}
		if failed == nil {
			t.Fatalf("%q: failed rows, and no .failed.csv", file)
		}
		status, again, refailed := batch(path + ".failed.csv")
		if status != 1 || !slices.Equal(again, first) {
			t.Fatalf("%q: the retry (exit %d) sent\n%q\nthe first run\n%q\nits failed file:\n%s", file, status, again, first, failed)
		}
		if !bytes.Equal(refailed, failed) {
			t.Fatalf("%q: the retry's failed file\n%s\nthe first's\n%s", file, refailed, failed)
		}
	})
}
