package main

import (
	"bytes"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/seed4ddb146e/notify/shared/fake/aliyun/acs"
	"github.com/seed4ddb146e/notify/shared/fake/aliyun/mnsopen"
)

// TestAliyunQueues runs `notify aliyun-queues` against a fake mns-open that
// checks its signature: it makes each queue s.yaml points at, then, run
// again, sets the attributes of those that exist (one made by hand with
// other settings among them) and makes none twice. Wrong keys fail with the
// service's code, and the secret is never shown.
func TestAliyunQueues(t *testing.T) {
	keys := acs.Credentials{AccessKeyID: "LTAI5tDeployerKey", AccessKeySecret: "deployer-secret-9f8e7d"}
	fake := mnsopen.New(keys)
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	getenv := func(k string) string {
		switch k {
		case "ALIBABA_CLOUD_ACCESS_KEY_ID":
			return keys.AccessKeyID
		case "ALIBABA_CLOUD_ACCESS_KEY_SECRET":
			return keys.AccessKeySecret
		}
		return ""
	}
	queues := func(getenv func(string) string) (int, string, string) {
		var out, errs bytes.Buffer
		status := run(t.Context(), []string{"aliyun-queues", "--region", "cn-shenzhen", "--endpoint", srv.URL},
			streams{out: &out, err: &errs}, getenv)
		return status, out.String(), errs.String()
	}

	fake.Put(mnsopen.Queue{Name: "notify-tts", MessageRetentionPeriod: 3600, VisibilityTimeout: 5, MaximumMessageSize: 65536})
	status, out, errs := queues(getenv)
	if status != exitOK {
		t.Fatalf("status %d\n%s%s", status, out, errs)
	}
	var names []string
	for _, q := range fake.Queues() {
		names = append(names, q.Name)
		want := 60
		if strings.HasSuffix(q.Name, "-dlq") {
			want = 30
		}
		if q.MessageRetentionPeriod != 604800 || q.VisibilityTimeout != want {
			t.Errorf("queue %+v; want retention 604800 s, visibility %d s", q, want)
		}
	}
	for _, q := range aliyunQueues {
		if !slices.Contains(names, q.Name) {
			t.Errorf("no queue %s; the fake has %v", q.Name, names)
		}
	}
	if len(names) != len(aliyunQueues) {
		t.Errorf("queues %v; want those of aliyunQueues alone", names)
	}
	if !strings.Contains(out, "notify-tts updated") || !strings.Contains(out, "notify-sms created") {
		t.Errorf("output does not say what was made and what updated:\n%s", out)
	}

	// Again: everything exists now, and is updated, not made again.
	if status, out, errs := queues(getenv); status != exitOK || strings.Contains(out, "created") {
		t.Fatalf("second run: status %d\n%s%s", status, out, errs)
	}
	for _, q := range fake.Queues() {
		if q.Updates < 1 {
			t.Errorf("queue %s was not updated by the second run", q.Name)
		}
	}

	// Wrong keys: the gateway's refusal, named; the secret is not shown.
	wrong := func(k string) string {
		if k == "ALIBABA_CLOUD_ACCESS_KEY_SECRET" {
			return "not-the-deployer-secret"
		}
		return getenv(k)
	}
	status, out, errs = queues(wrong)
	if status != exitFailed || !strings.Contains(errs, "SignatureDoesNotMatch") || !strings.Contains(errs, "notify-sms") {
		t.Errorf("wrong secret: status %d, stderr %q; want 1 and SignatureDoesNotMatch for queue notify-sms", status, errs)
	}
	if strings.Contains(out+errs, "not-the-deployer-secret") || strings.Contains(out+errs, keys.AccessKeySecret) {
		t.Errorf("the output shows a secret:\n%s%s", out, errs)
	}
	// No keys at all: said before any call.
	n := fake.Requests()
	status, _, errs = queues(func(string) string { return "" })
	if status != exitFailed || !strings.Contains(errs, "ALIBABA_CLOUD_ACCESS_KEY_ID") || fake.Requests() != n {
		t.Errorf("no keys: status %d, stderr %q, %d requests; want 1, the variables named, none sent", status, errs, fake.Requests()-n)
	}
}

// TestAliyunQueuesAreSYamls: every queue s.yaml's triggers read, and every
// dead-letter queue they give up into, is one `notify aliyun-queues` makes.
func TestAliyunQueuesAreSYamls(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "s.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Resources map[string]struct {
			Props struct {
				Triggers []struct {
					TriggerType   string `yaml:"triggerType"`
					TriggerConfig struct {
						EventSourceConfig struct {
							EventSourceParameters struct {
								SourceMNSParameters struct {
									QueueName string `yaml:"QueueName"`
								} `yaml:"sourceMNSParameters"`
							} `yaml:"eventSourceParameters"`
						} `yaml:"eventSourceConfig"`
						RunOptions struct {
							DeadLetterQueue struct {
								Arn string `yaml:"Arn"`
							} `yaml:"deadLetterQueue"`
						} `yaml:"runOptions"`
					} `yaml:"triggerConfig"`
				} `yaml:"triggers"`
			} `yaml:"props"`
		} `yaml:"resources"`
	}
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	made := map[string]bool{}
	for _, q := range aliyunQueues {
		made[q.Name] = true
	}
	used := 0
	for fn, r := range doc.Resources {
		for _, tr := range r.Props.Triggers {
			if tr.TriggerType != "eventbridge" {
				continue
			}
			q := tr.TriggerConfig.EventSourceConfig.EventSourceParameters.SourceMNSParameters.QueueName
			_, dlq, _ := strings.Cut(tr.TriggerConfig.RunOptions.DeadLetterQueue.Arn, ":/queues/")
			for _, name := range []string{q, dlq} {
				used++
				if !made[name] {
					t.Errorf("%s: s.yaml uses queue %q, which aliyun-queues does not make", fn, name)
				}
			}
		}
	}
	if used != len(aliyunQueues) {
		t.Errorf("s.yaml uses %d queues; aliyun-queues makes %d", used, len(aliyunQueues))
	}
}
