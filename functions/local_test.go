package functions_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/seed4ddb146e/notify/shared/config"
	"github.com/seed4ddb146e/notify/shared/fake/runtimeapi"
	"github.com/seed4ddb146e/notify/shared/fake/secretsext"
)

// embeddedBuild builds the sms function for this machine as `make build
// EMBEDDED_STORE=1` does: the cloud build's tags but nosqlite.
func embeddedBuild(t *testing.T) string {
	t.Helper()
	flags := slices.Clone(buildFlags)
	i := slices.Index(flags, "-tags")
	flags[i+1] = strings.ReplaceAll(flags[i+1], "nosqlite,", "")
	dir := t.TempDir()
	args := append(append([]string{"build"}, flags...), "-o", filepath.Join(dir, "sms"), "./functions/sms")
	cmd := exec.Command("go", args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+runtime.GOOS, "GOARCH="+runtime.GOARCH)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return filepath.Join(dir, "sms")
}

// declared is the environment a template gives a function whose
// parameters are left at their defaults: every variable, empty.
func declared() []string {
	var env []string
	for _, v := range config.Variables {
		env = append(env, v+"=")
	}
	return env
}

// TestLocalInvoke runs the sms function as `sam local invoke` and `s local
// invoke` run it, in a container with the Runtime API of the cloud and the
// template's environment, no database and nothing configured: built with
// EMBEDDED_STORE=1, it serves the sample event on the local defaults, to
// the sandbox, even though s passes the deployer's own AccessKey. A cloud
// build says what to build instead.
func TestLocalInvoke(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds and runs the function binaries")
	}
	bin := embeddedBuild(t)
	fake, aliyun := fakeAliyun(t)
	deployed := database(t) // the deployment's database
	// The deployment's secret, which a local invoke must not take.
	ext := secretsext.New(secretsext.Config{Secrets: map[string]string{
		"notify/prod": `{"NOTIFY_DATABASE_URL":"postgres://notify:prod-password@db.internal:5432/notify"}`}})
	t.Cleanup(ext.Close)
	for _, tt := range []struct {
		name   string
		newEmu func() *runtimeapi.Emulator
		event  string
		env    []string
	}{
		// sam sets AWS_SAM_LOCAL, and NOTIFY_SECRETS when given the
		// template's Secrets (--parameter-overrides): the secret, which
		// holds the deployment's database and groups, is not read locally.
		{"sam", runtimeapi.NewLambda, "apigw-http.json", []string{"AWS_SAM_LOCAL=true"}},
		{"sam with Secrets", runtimeapi.NewLambda, "apigw-http.json", append([]string{"AWS_SAM_LOCAL=true",
			"NOTIFY_SECRETS=" + secretsext.SecretARN("notify/prod")}, ext.Env()...)},
		// s sets no flag, and passes the deployer's keys, and s.yaml's
		// settings as the deployer's shell has them: the database's URL
		// too, exported for s deploy.
		{"s", runtimeapi.NewFC, "fc-http.json", append([]string{"NOTIFY_LOCAL=true", "FC_FUNC_CODE_PATH=/code/",
			"NOTIFY_DATABASE_URL=" + deployed}, aliyun...)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			emu := tt.newEmu()
			t.Cleanup(emu.Close)
			env := append(append([]string{"PATH=" + os.Getenv("PATH"), "TMPDIR=" + t.TempDir(), emu.Env()}, declared()...), tt.env...)
			c := startChild(t, bin, env)
			payload, err := os.ReadFile(filepath.Join(root, "events", "sms", tt.event))
			if err != nil {
				t.Fatal(err)
			}
			res, err := c.invoke(emu, payload)
			if err != nil {
				t.Fatalf("invocation: %v\n%s", err, c.out)
			}
			shape := "v2"
			if tt.name == "s" {
				shape = "fc"
			}
			r := decodeHTTPReply(t, shape, res)
			var b replyBody
			if err := json.Unmarshal([]byte(r.body), &b); err != nil || r.status != 200 || b.Code != "OK" || !b.Sandbox {
				t.Fatalf("reply %d %s; want 200, Code OK, Sandbox true\n%s", r.status, r.body, c.out)
			}
			if !strings.Contains(c.out.String(), "local invoke: embedded defaults") {
				t.Errorf("no line says it is a local invoke:\n%s", c.out)
			}
		})
	}
	if n := fake.Requests(); n != 0 {
		t.Errorf("a local invoke reached Aliyun (%d requests): it must stay on the sandbox", n)
	}
	if calls := ext.Calls(); len(calls) != 0 {
		t.Errorf("a local invoke read the deployment's secret: %+v", calls)
	}
	if rs := records(t, deployed); len(rs) != 0 {
		t.Errorf("a local invoke recorded %d messages in the deployment's database: %+v", len(rs), rs)
	}

	t.Run("cloud build", func(t *testing.T) {
		emu := runtimeapi.NewLambda()
		t.Cleanup(emu.Close)
		c := startChild(t, filepath.Join(binaries(t), "sms"),
			append(append([]string{"PATH=" + os.Getenv("PATH"), emu.Env()}, declared()...), "AWS_SAM_LOCAL=true"))
		select {
		case <-c.exited:
		case <-time.After(30 * time.Second):
			t.Fatal("the cloud build did not stop")
		}
		if c.err == nil || !strings.Contains(c.out.String(), "EMBEDDED_STORE=1") {
			t.Errorf("exit %v, output %s; want a failure that says to build with EMBEDDED_STORE=1", c.err, c.out)
		}
	})
}

// TestDeployedLocalInvoke: a deployed build, its database set as every
// deployment's is, with NOTIFY_LOCAL=true in its environment (s.yaml
// passes the deployer's NOTIFY_LOCAL on, as it must for s local invoke)
// or AWS_SAM_LOCAL=true, stops at start and names the variable, rather
// than answer every request OK while sending nothing and recording sandbox
// messages in the production database.
func TestDeployedLocalInvoke(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds and runs the function binaries")
	}
	db := database(t)
	fake, aliyun := fakeAliyun(t)
	payload, err := os.ReadFile(filepath.Join(root, "events", "sms", "fc-http.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, flag := range []string{"NOTIFY_LOCAL", "AWS_SAM_LOCAL"} {
		t.Run(flag, func(t *testing.T) {
			emu := runtimeapi.NewFC()
			t.Cleanup(emu.Close)
			c := startChild(t, filepath.Join(binaries(t), "sms"), env(emu, db, append(aliyun, flag+"=true")...))
			if res, err := c.invoke(emu, payload); err == nil {
				t.Fatalf("the deployed build served the request: %s\n%s", res, c.out)
			}
			<-c.exited
			if c.err == nil || !strings.Contains(c.out.String(), flag+"=true") {
				t.Errorf("exit %v, output %s; want a failure that names %s=true", c.err, c.out, flag)
			}
		})
	}
	if n, rs := fake.Requests(), records(t, db); n != 0 || len(rs) != 0 {
		t.Errorf("%d requests reached Aliyun, %d records; want none", n, len(rs))
	}
}

// TestEmbeddedStoreSwitch: make keeps the embedded store for
// EMBEDDED_STORE=1 alone; unset, empty or 0, the build is the deployed
// one, without it.
func TestEmbeddedStoreSwitch(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		value    string
		embedded bool
	}{{"", false}, {"0", false}, {"1", true}} {
		cmd := exec.Command("make", "-n", "-C", root, "dist/aws/sms/bootstrap", "EMBEDDED_STORE="+tt.value)
		for _, kv := range os.Environ() {
			if !strings.HasPrefix(kv, "EMBEDDED_STORE=") && !strings.HasPrefix(kv, "MAKEFLAGS=") {
				cmd.Env = append(cmd.Env, kv)
			}
		}
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("make -n: %v\n%s", err, out)
		}
		if embedded := !strings.Contains(string(out), "nosqlite"); embedded != tt.embedded {
			t.Errorf("EMBEDDED_STORE=%q: embedded store %v, want %v:\n%s", tt.value, embedded, tt.embedded, out)
		}
	}
}
