package main

import (
	"encoding/json"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestMakeRun does what README.md tells a new user: start the local server
// with no environment but a port, and send the README's request. The reply
// must be a labelled sandbox "OK", and the server must stop cleanly on
// SIGTERM.
func TestMakeRun(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "notify")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	port := freePort(t)
	cmd := exec.Command(bin)
	cmd.Env = []string{"PORT=" + port, "TMPDIR=" + dir, "PATH=" + os.Getenv("PATH")}
	var logs strings.Builder
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-done
	})

	url := "http://127.0.0.1:" + port + "/sms"
	body := `{"GroupID":"demo","PhoneNumbers":"13800138000","SignName":"notify","TemplateCode":"SMS_0001","TemplateParam":"654321"}`
	var res *http.Response
	var err error
	for i := 0; i < 200; i++ { // up to 10 s for the server to listen
		res, err = http.Post(url, "application/json", strings.NewReader(body))
		if err == nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("POST %s: %v\nlogs:\n%s", url, err, logs.String())
	}
	defer res.Body.Close()
	var rep struct {
		Code, BizId, MessageId string
		Sandbox                bool
	}
	if err := json.NewDecoder(res.Body).Decode(&rep); err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != 200 || rep.Code != "OK" || !rep.Sandbox || rep.MessageId == "" {
		t.Fatalf("reply %d %+v; want a sandboxed OK", res.StatusCode, rep)
	}
	st, err := http.Get("http://127.0.0.1:" + port + "/sms/status?GroupID=demo&MessageId=" + rep.MessageId)
	if err != nil {
		t.Fatal(err)
	}
	var status struct {
		Code     string
		Messages []struct{ MessageId, Status string }
	}
	err = json.NewDecoder(st.Body).Decode(&status)
	st.Body.Close()
	if err != nil || st.StatusCode != 200 || len(status.Messages) != 1 || status.Messages[0].Status != "submitted" {
		t.Errorf("GET /sms/status: %d %+v %v; want the message, submitted", st.StatusCode, status, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "notify.db")); err != nil {
		t.Errorf("no record store in TMPDIR: %v", err)
	}

	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-done:
		done <- err // for the cleanup
		if err != nil {
			t.Errorf("exit after SIGTERM: %v\nlogs:\n%s", err, logs.String())
		}
	case <-time.After(10 * time.Second):
		t.Error("still running 10 s after SIGTERM")
	}
}

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
}

// TestMigrate runs `notify migrate` against a new SQLite file.
func TestMigrate(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "notify")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	db := filepath.Join(dir, "m.db")
	cmd := exec.Command(bin, "migrate")
	cmd.Env = []string{"NOTIFY_DATABASE_URL=sqlite:" + db, "PATH=" + os.Getenv("PATH")}
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "store migrated") {
		t.Fatalf("notify migrate: %v\n%s", err, out)
	}
	if _, err := os.Stat(db); err != nil {
		t.Errorf("no database: %v", err)
	}
	if err := exec.Command(bin, "bogus").Run(); err == nil {
		t.Error("an unknown command succeeded")
	}
}
