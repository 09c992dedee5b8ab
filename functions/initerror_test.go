package functions_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/seed4ddb146e/notify/shared/fake/runtimeapi"
	"github.com/seed4ddb146e/notify/shared/platform"
)

// TestInitErrorReported: a function that cannot start on AWS Lambda
// reports why to the Runtime API's /runtime/init/error, every problem in
// one message naming each variable and nothing of a secret, and exits;
// Lambda fails the first invocation with that message. Before, the
// process only exited, and the invoker saw "Runtime exited with error:
// exit status 1". On FC 3, whose Go SDK makes no such call, the function
// exits naming the problems on stderr, as it did.
func TestInitErrorReported(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds and runs the function binaries")
	}
	bin := filepath.Join(binaries(t), "sms")
	const smtpPassword = "smtp-pw-not-to-be-shown"
	bad := []string{"NOTIFY_GROUPS=[]", "NOTIFY_RETENTION_DAYS=forever",
		"NOTIFY_SMTP_URL=smtp://u:" + smtpPassword + "@mail.example.com?starttls=maybe",
		"NOTIFY_DATABASE_URL=postgres://notify:" + secretDBPassword + "@127.0.0.1:1/notify"}
	for _, tc := range []struct {
		name string
		emu  *runtimeapi.Emulator
	}{{"lambda", runtimeapi.NewLambda()}, {"fc", runtimeapi.NewFC()}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Cleanup(tc.emu.Close)
			c := startChild(t, bin, append([]string{"PATH=" + os.Getenv("PATH"), tc.emu.Env()}, bad...))
			select {
			case <-c.exited:
			case <-time.After(30 * time.Second):
				t.Fatalf("the function did not exit\n%s", c.out)
			}
			out := c.out.String()
			want := []string{"sms: cannot start: config: 3 problem(s)", "NOTIFY_GROUPS: the list is empty",
				`NOTIFY_RETENTION_DAYS: "forever"`, "NOTIFY_SMTP_URL: the mail server URL has a bad starttls"}
			for _, w := range want {
				if c.err == nil || !strings.Contains(out, w) {
					t.Errorf("exit %v, output %q; want %q in it", c.err, out, w)
				}
			}
			reported := tc.emu.InitErrors()
			if tc.name == "fc" {
				if len(reported) != 0 {
					t.Errorf("init errors on FC: %+v", reported)
				}
				return
			}
			if len(reported) != 1 || reported[0].Type != platform.InitErrorType {
				t.Fatalf("init errors %+v; want one, of type %s", reported, platform.InitErrorType)
			}
			for _, w := range want {
				if !strings.Contains(reported[0].Message, w) {
					t.Errorf("the init error %q lacks %q", reported[0].Message, w)
				}
			}
			for _, s := range []string{smtpPassword, secretDBPassword} {
				if strings.Contains(string(reported[0].Body), s) || strings.Contains(out, s) {
					t.Errorf("a password shows: init error %s, output %q", reported[0].Body, out)
				}
			}
		})
	}
}
