package app_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"

	"github.com/seed4ddb146e/notify/shared/config"
	"github.com/seed4ddb146e/notify/shared/httpapi"
	"github.com/seed4ddb146e/notify/shared/platform"
	"github.com/seed4ddb146e/notify/shared/secrets"
)

// The deployment templates are checked against the code: the functions the
// Makefile builds, the variables config.Load reads, the routes httpapi
// serves, the timer events the platform takes. yaml.v3 ignores CloudFormation's tags (!Ref, !GetAtt), which is
// all these checks need.

var functions = []string{"sms", "tts", "mail", "callback"}

// sending functions have a queue trigger on both clouds.
var sending = []string{"sms", "tts", "mail"}

// queuedOnAliyun functions have an MNS queue trigger on Aliyun: the sending
// ones. Aliyun's reports come to callback by HTTP push: those Aliyun keeps
// for MNS are in a queue of its own, which no trigger can read.
var queuedOnAliyun = sending

// roleVariables are the variables FC sets from a function's role, which
// s.yaml must not set.
var roleVariables = []string{"ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ALIBABA_CLOUD_SECURITY_TOKEN"}

// ticking functions have a timer trigger on both clouds, every minute, for
// their scheduled work, and a timeout of at least tickTimeout seconds.
var ticking = []string{"callback"}

const tickTimeout = 60

func readYAML(t *testing.T, path string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return doc
}

// dig walks doc along keys, failing the test if a key is missing.
func dig(t *testing.T, doc any, keys ...string) any {
	t.Helper()
	cur := doc
	for i, k := range keys {
		m, ok := cur.(map[string]any)
		if !ok {
			t.Fatalf("%s: not a mapping", strings.Join(keys[:i], "."))
		}
		if cur, ok = m[k]; !ok {
			t.Fatalf("%s: missing", strings.Join(keys[:i+1], "."))
		}
	}
	return cur
}

func logicalID(fn string) string { return strings.ToUpper(fn[:1]) + fn[1:] + "Function" }

func keys(m map[string]any) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func sameSet(t *testing.T, what string, got, want []string) {
	t.Helper()
	g, w := slices.Clone(got), slices.Clone(want)
	sort.Strings(g)
	sort.Strings(w)
	if !slices.Equal(g, w) {
		t.Errorf("%s: got %v, want %v", what, g, w)
	}
}

func makefile(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../../Makefile")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestSAMTemplate(t *testing.T) {
	t.Parallel()
	doc := readYAML(t, "../../template.yaml")
	mk := makefile(t)
	globals := dig(t, doc, "Globals", "Function").(map[string]any)
	if globals["Runtime"] != "provided.al2023" || globals["Handler"] != "bootstrap" {
		t.Errorf("Globals: Runtime %v Handler %v; want provided.al2023, bootstrap", globals["Runtime"], globals["Handler"])
	}
	if a, _ := globals["Architectures"].([]any); len(a) != 1 || a[0] != "arm64" {
		t.Errorf("Globals.Architectures = %v, want [arm64]", globals["Architectures"])
	}
	timeout := globals["Timeout"].(int)
	env := dig(t, doc, "Globals", "Function", "Environment", "Variables").(map[string]any)
	checkSecrets(t, doc, env)

	resources := dig(t, doc, "Resources").(map[string]any)
	for _, p := range config.SMSProviders {
		alarm := dig(t, resources, strings.ToUpper(p[:1])+p[1:]+"SmsFailureAlarm", "Properties").(map[string]any)
		if alarm["Namespace"] != platform.MetricsNamespace || alarm["MetricName"] != "messages" {
			t.Errorf("the %s failure alarm watches %v %v, not the messages the functions log", p, alarm["Namespace"], alarm["MetricName"])
		}
	}
	for _, k := range []string{"ReservedConcurrentExecutions", "VpcConfig"} {
		if _, ok := dig(t, doc, "Globals", "Function").(map[string]any)[k]; !ok {
			t.Errorf("Globals.Function has no %s: nothing bounds the database's connections, or keeps it private", k)
		}
	}
	if dig(t, doc, "Globals", "Function", "LoggingConfig", "LogFormat") != "JSON" {
		t.Error("Globals.Function.LoggingConfig.LogFormat is not JSON")
	}
	for _, fn := range functions {
		id := logicalID(fn)
		lgID := strings.TrimSuffix(id, "Function") + "LogGroup"
		lg := dig(t, resources, lgID, "Properties").(map[string]any)
		if lg["RetentionInDays"] == nil || !strings.Contains(fmt.Sprint(lg["LogGroupName"]), id) {
			t.Errorf("%s: %v; want the function's log group, with a retention", lgID, lg)
		}
		if p, _ := dig(t, resources, id, "Properties").(map[string]any)["Policies"].([]any); !slices.Contains(p, any("SecretReadPolicy")) {
			t.Errorf("%s: Policies %v; want SecretReadPolicy, or it cannot read its secret", id, p)
		}
		if dig(t, resources, id, "Metadata", "BuildMethod") != "makefile" {
			t.Errorf("%s: BuildMethod is not makefile", id)
		}
		if !regexp.MustCompile(`(?m)^build-.*\b` + id + `\b.*:`).MatchString(mk) {
			t.Errorf("Makefile has no build-%s target for sam build", id)
		}
		events := dig(t, resources, id, "Properties", "Events").(map[string]any)
		var routes []string
		var queue, rule map[string]any
		var schedules []map[string]any
		for _, name := range keys(events) {
			ev := events[name].(map[string]any)
			props, _ := ev["Properties"].(map[string]any)
			switch ev["Type"] {
			case "HttpApi":
				routes = append(routes, fmt.Sprintf("%s %s", props["Method"], props["Path"]))
			case "SQS":
				queue = props
			case "EventBridgeRule":
				rule = props
			case "ScheduleV2", "Schedule":
				schedules = append(schedules, props)
			}
		}
		sameSet(t, id+" HttpApi routes", routes, httpapi.Routes[fn])
		checkSchedule(t, id, dig(t, resources, id, "Properties").(map[string]any), schedules, slices.Contains(ticking, fn))
		if !slices.Contains(sending, fn) {
			if queue != nil {
				t.Errorf("%s has an SQS trigger, but on AWS nothing delivers its messages to a queue", id)
			}
			continue
		}
		if queue == nil {
			t.Fatalf("%s: no SQS event", id)
		}
		if dig(t, queue, "ScalingConfig", "MaximumConcurrency") == nil {
			t.Errorf("%s: the SQS event has no MaximumConcurrency: a burst may open a connection per instance", id)
		}
		if rt, _ := queue["FunctionResponseTypes"].([]any); len(rt) != 1 || rt[0] != "ReportBatchItemFailures" {
			t.Errorf("%s: SQS FunctionResponseTypes = %v, want [ReportBatchItemFailures]", id, queue["FunctionResponseTypes"])
		}
		qname := strings.TrimSuffix(queue["Queue"].(string), ".Arn") // !GetAtt X.Arn reads as "X.Arn"
		q := dig(t, resources, qname, "Properties").(map[string]any)
		if vt, _ := q["VisibilityTimeout"].(int); vt < 6*timeout {
			t.Errorf("%s: VisibilityTimeout %d < 6 x the function timeout %d", qname, vt, timeout)
		}
		dlq := strings.TrimSuffix(dig(t, q, "RedrivePolicy", "deadLetterTargetArn").(string), ".Arn")
		if dig(t, resources, dlq, "Type") != "AWS::SQS::Queue" {
			t.Errorf("%s: dead-letter target %s is not a queue", qname, dlq)
		}
		if q["MessageRetentionPeriod"] != 1209600 {
			t.Errorf("%s: MessageRetentionPeriod %v, want 14 days", qname, q["MessageRetentionPeriod"])
		}
		checkBus(t, fn, id, dig(t, resources, id, "Properties").(map[string]any), rule, dlq)
		alarm := dig(t, resources, strings.TrimSuffix(dlq, "Queue")+"Alarm", "Properties").(map[string]any)
		if alarm["MetricName"] != "ApproximateNumberOfMessagesVisible" || alarm["Threshold"] != 0 {
			t.Errorf("%s: no alarm on a message in it: %v", dlq, alarm)
		}
	}
	if _, ok := dig(t, doc, "Outputs").(map[string]any)["ApiUrl"]; !ok {
		t.Error("no ApiUrl output")
	}
}

// notOnAWS are the variables no function has on AWS, and why.
var notOnAWS = map[string]string{
	"ALIBABA_CLOUD_SECURITY_TOKEN": "an STS token expires under a running function: on AWS a RAM user's AccessKey is in the secret",
}

// readmeSecrets returns the variables of the table of README's "Secrets on
// AWS", which says what goes into the secret, and that section's text.
func readmeSecrets(t *testing.T) ([]string, string) {
	t.Helper()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(b), "\n### Secrets on AWS\n")
	if !ok {
		t.Fatal(`README.md has no "### Secrets on AWS" section`)
	}
	if i := strings.Index(section, "\n#"); i >= 0 {
		section = section[:i]
	}
	var names []string
	for _, m := range regexp.MustCompile("(?m)^\\| `([A-Z0-9_]+)` \\|").FindAllStringSubmatch(section, -1) {
		names = append(names, m[1])
	}
	return names, section
}

// readmeSection returns the text of README's section under the heading
// line head ("### Deploy on Aliyun"), up to the next heading.
func readmeSection(t *testing.T, head string) string {
	t.Helper()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(b), "\n"+head+"\n")
	if !ok {
		t.Fatalf("README.md has no %q section", head)
	}
	if i := strings.Index(section, "\n#"); i >= 0 {
		section = section[:i]
	}
	return section
}

// TestREADMEDeploy holds README's deploy instructions to what a first
// deploy needs. On AWS, every `sam deploy` given parameters names the
// stack, acknowledges CAPABILITY_IAM (enough: no IAM resource of the
// template is named) and has a bucket for the code, or is --guided. On
// Aliyun, where s.yaml puts every secret in the functions' environment,
// "Deploy on Aliyun" names each of them and says to give keys as sha256:.
func TestREADMEDeploy(t *testing.T) {
	t.Parallel()
	aws := readmeSection(t, "### Secrets on AWS")
	var deploys []string
	for _, cmd := range strings.Split(strings.ReplaceAll(aws, "\\\n", " "), "\n") {
		if strings.HasPrefix(strings.TrimSpace(cmd), "sam deploy") && strings.Contains(cmd, "--parameter-overrides") {
			deploys = append(deploys, cmd)
		}
	}
	if len(deploys) == 0 {
		t.Error("README's Secrets on AWS has no sam deploy with --parameter-overrides")
	}
	for _, cmd := range deploys {
		f := strings.Fields(cmd)
		if slices.Contains(f, "--guided") {
			continue
		}
		i := slices.Index(f, "--capabilities")
		if !slices.Contains(f, "--stack-name") || i < 0 || i+1 >= len(f) || f[i+1] != "CAPABILITY_IAM" ||
			!slices.Contains(f, "--resolve-s3") && !slices.Contains(f, "--s3-bucket") {
			t.Errorf("README: %q: a first deploy needs --stack-name, --capabilities CAPABILITY_IAM and --resolve-s3 (or --guided)", cmd)
		}
	}
	doc := readYAML(t, "../../template.yaml")
	for id, r := range dig(t, doc, "Resources").(map[string]any) {
		rm := r.(map[string]any)
		if typ := fmt.Sprint(rm["Type"]); strings.HasPrefix(typ, "AWS::IAM::") {
			for _, k := range []string{"RoleName", "ManagedPolicyName", "UserName", "GroupName"} {
				if _, named := rm["Properties"].(map[string]any)[k]; named {
					t.Errorf("%s (%s) has a %s: README's deploy then needs CAPABILITY_NAMED_IAM", id, typ, k)
				}
			}
		}
	}

	aliyun := readmeSection(t, "### Deploy on Aliyun")
	secret, _ := readmeSecrets(t)
	env := dig(t, readYAML(t, "../../s.yaml"), "vars", "environment").(map[string]any)
	for _, v := range secret {
		if _, inEnv := env[v]; inEnv && !strings.Contains(aliyun, "`"+v+"`") {
			t.Errorf("README's Deploy on Aliyun does not say that %s, a secret, is plain in the functions' configuration", v)
		}
	}
	if !strings.Contains(aliyun, "`sha256:") || !strings.Contains(aliyun, "fc:GetFunction") {
		t.Error("README's Deploy on Aliyun does not say to give keys as sha256: and who may read the configuration (fc:GetFunction)")
	}
}

// checkSecrets checks how template.yaml's functions get their secrets:
// none is in their environment or in a parameter (a NoEcho parameter still
// lands in the function's configuration in plain text), each is in
// README's table of what goes into the secret, NOTIFY_SECRETS names the
// secret, the extension's layer is there to read it, and a policy lets
// the functions read it and no more.
func checkSecrets(t *testing.T, doc, env map[string]any) {
	t.Helper()
	secret, section := readmeSecrets(t)
	if len(secret) == 0 {
		t.Fatal("README's Secrets on AWS lists no variable")
	}
	want := []string{secrets.Variable}
	for _, v := range config.Variables {
		_, absent := notOnAWS[v]
		if !absent && !slices.Contains(secret, v) {
			want = append(want, v)
		}
	}
	for _, v := range secret {
		if !slices.Contains(config.Variables, v) {
			t.Errorf("README's Secrets on AWS lists %s, which the functions do not read", v)
		}
	}
	for v := range notOnAWS {
		if !strings.Contains(section, v) {
			t.Errorf("README's Secrets on AWS does not say why %s is not on AWS", v)
		}
	}
	sameSet(t, "template.yaml environment (the variables less README's secret ones, and NOTIFY_SECRETS)", keys(env), want)
	if env[secrets.Variable] != "Secrets" {
		t.Errorf("%s is %v, want !Ref Secrets", secrets.Variable, env[secrets.Variable])
	}
	params := dig(t, doc, "Parameters").(map[string]any)
	for _, name := range keys(params) {
		if p, _ := params[name].(map[string]any); p["NoEcho"] == true {
			t.Errorf("parameter %s is NoEcho: a secret goes into the secret, not into the function's configuration", name)
		}
	}
	// yaml.v3 reads !If [C, !Ref X, !Ref AWS::NoValue] as [C X AWS::NoValue].
	if l, _ := dig(t, doc, "Globals", "Function", "Layers").([]any); len(l) != 1 ||
		!reflect.DeepEqual(l[0], []any{"SecretsLayerGiven", "SecretsExtensionLayer", "AWS::NoValue"}) {
		t.Errorf("Globals.Function.Layers %v; want the Parameters and Secrets extension (SecretsExtensionLayer) when it is given", l)
	}
	checkLocalInvokeParameters(t, params)
	var actions []string
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, e := range v {
				if a, ok := e.(string); ok && k == "Action" {
					actions = append(actions, a)
				}
				walk(e)
			}
		case []any:
			for _, e := range v {
				walk(e)
			}
		}
	}
	walk(dig(t, doc, "Resources", "SecretReadPolicy", "Properties", "PolicyDocument"))
	sameSet(t, "SecretReadPolicy's actions", actions, []string{"secretsmanager:GetSecretValue", "ssm:GetParameter", "kms:Decrypt"})
}

// secretsParameters are the parameters a deploy must set and sam local
// invoke need not, with a value of each that a deploy would give.
var secretsParameters = map[string]string{
	"Secrets":               "arn:aws:secretsmanager:us-east-1:123456789012:secret:notify/prod-AbCdEf",
	"SecretsExtensionLayer": "arn:aws:lambda:us-east-1:177933569100:layer:AWS-Parameters-and-Secrets-Lambda-Extension-Arm64:17",
}

// checkLocalInvokeParameters checks that `sam local invoke` works without
// --parameter-overrides, as README's "Local invoke" runs it: SAM CLI takes
// a parameter without a Default for its own name (NOTIFY_SECRETS=Secrets,
// and a layer "SecretsExtensionLayer", which it refuses as no layer ARN),
// so every parameter has one; those a deploy must set default to "",
// which their AllowedPattern takes as it takes a real value (the Rules,
// checked in TestSAMTranslation, refuse "" on deploy).
func checkLocalInvokeParameters(t *testing.T, params map[string]any) {
	t.Helper()
	for _, name := range keys(params) {
		if _, ok := params[name].(map[string]any)["Default"]; !ok {
			t.Errorf("parameter %s has no Default: sam local invoke, without --parameter-overrides, takes %q for its value", name, name)
		}
	}
	for _, name := range keys(map[string]any{"Secrets": nil, "SecretsExtensionLayer": nil}) {
		p := dig(t, params, name).(map[string]any)
		if p["Default"] != "" {
			t.Errorf("parameter %s: Default %v, want \"\" (a local invoke reads no secret)", name, p["Default"])
		}
		re, err := regexp.Compile(fmt.Sprint(p["AllowedPattern"]))
		if err != nil {
			t.Errorf("parameter %s: AllowedPattern: %v", name, err)
			continue
		}
		for _, v := range []string{"", secretsParameters[name]} {
			if !re.MatchString(v) {
				t.Errorf("parameter %s: AllowedPattern %s refuses %q", name, re, v)
			}
		}
	}
}

// TestTemplateLint runs cfn-lint on template.yaml, when it is installed
// (this project's machines have it, from PyPI): it transforms the template
// with the SAM translator first.
func TestTemplateLint(t *testing.T) {
	t.Parallel()
	bin, err := exec.LookPath("cfn-lint")
	if err != nil {
		missing(t, "no cfn-lint on the PATH")
	}
	if out, err := exec.Command(bin, "../../template.yaml").CombinedOutput(); err != nil {
		t.Errorf("cfn-lint template.yaml: %v\n%s", err, out)
	}
}

// missing skips t for want of a tool this project's machine image has,
// and fails it under CI (CI set), where the check must run.
func missing(t *testing.T, why string) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatalf("%s: CI runs on this project's machine image, whose Python has cfn-lint and the SAM translator", why)
	}
	t.Skip(why)
}

// samTranslate transforms the template file named by its argument with
// the SAM translator, as CloudFormation's transform does on deploy, with
// CodeUri an S3 object (what sam package uploads), and prints the result.
const samTranslate = `
import json, sys
from samtranslator.yaml_helper import yaml_parse
from samtranslator.translator.transform import transform
class NoManagedPolicies:
    def load(self): return {}
with open(sys.argv[1]) as f:
    template = yaml_parse(f.read())
for r in template.get("Resources", {}).values():
    if r.get("Type") == "AWS::Serverless::Function":
        r["Properties"]["CodeUri"] = "s3://bucket/key"
json.dump(transform(template, {}, NoManagedPolicies()), sys.stdout)
`

// TestSAMTranslation transforms template.yaml with the SAM translator,
// when Python has it, and checks what the Globals and Policies become on
// each Lambda function: the extension's layer, NOTIFY_SECRETS, and a role
// that may read the secret.
func TestSAMTranslation(t *testing.T) {
	t.Parallel()
	if exec.Command("python3", "-c", "import samtranslator").Run() != nil {
		missing(t, "no python3 with samtranslator (it comes with cfn-lint)")
	}
	cmd := exec.Command("python3", "-c", samTranslate, "../../template.yaml")
	cmd.Env = append(os.Environ(), "AWS_DEFAULT_REGION=us-east-1")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("the SAM translator refused template.yaml: %v\n%s", err, stderr.String())
	}
	var cfn struct {
		Resources map[string]struct {
			Type       string
			Properties map[string]json.RawMessage
		}
		Conditions map[string]any
		Rules      map[string]struct {
			RuleCondition any
			Assertions    []struct{ Assert any }
		}
	}
	if err := json.Unmarshal(out, &cfn); err != nil {
		t.Fatal(err)
	}
	// The extension's layer is added when SecretsExtensionLayer is given,
	// and a deploy without it or Secrets is refused: they default to ""
	// for sam local invoke alone.
	notEmpty := func(param string) any {
		return map[string]any{"Fn::Not": []any{map[string]any{"Fn::Equals": []any{map[string]any{"Ref": param}, ""}}}}
	}
	if c := cfn.Conditions["SecretsLayerGiven"]; !reflect.DeepEqual(c, notEmpty("SecretsExtensionLayer")) {
		t.Errorf("condition SecretsLayerGiven is %v, want SecretsExtensionLayer not empty", c)
	}
	for _, name := range keys(map[string]any{"Secrets": nil, "SecretsExtensionLayer": nil}) {
		asserted := false
		for _, r := range cfn.Rules {
			for _, a := range r.Assertions {
				asserted = asserted || r.RuleCondition == nil && reflect.DeepEqual(a.Assert, notEmpty(name))
			}
		}
		if !asserted {
			t.Errorf("no rule asserts %s is not empty: a deploy without it makes functions that cannot start", name)
		}
	}
	extensionLayer := []any{map[string]any{"Fn::If": []any{"SecretsLayerGiven", map[string]any{"Ref": "SecretsExtensionLayer"}, map[string]any{"Ref": "AWS::NoValue"}}}}
	var fns []string
	for id, r := range cfn.Resources {
		if r.Type != "AWS::Lambda::Function" {
			continue
		}
		fns = append(fns, strings.TrimSuffix(strings.ToLower(id), "function"))
		var p struct {
			Layers      []any
			Environment struct{ Variables map[string]any }
			Role        struct {
				GetAtt []string `json:"Fn::GetAtt"`
			}
		}
		for k, v := range r.Properties {
			switch k {
			case "Layers":
				_ = json.Unmarshal(v, &p.Layers)
			case "Environment":
				_ = json.Unmarshal(v, &p.Environment)
			case "Role":
				_ = json.Unmarshal(v, &p.Role)
			}
		}
		if !reflect.DeepEqual(p.Layers, extensionLayer) {
			t.Errorf("%s: Layers %v; want the extension's when SecretsExtensionLayer is given", id, p.Layers)
		}
		if got := fmt.Sprint(p.Environment.Variables[secrets.Variable]); got != "map[Ref:Secrets]" {
			t.Errorf("%s: %s is %s, want the Secrets parameter", id, secrets.Variable, got)
		}
		if len(p.Role.GetAtt) != 2 {
			t.Errorf("%s: Role %v, want the role SAM makes", id, p.Role)
			continue
		}
		var role struct{ ManagedPolicyArns []any }
		if err := json.Unmarshal(cfn.Resources[p.Role.GetAtt[0]].Properties["ManagedPolicyArns"], &role.ManagedPolicyArns); err != nil ||
			!slices.ContainsFunc(role.ManagedPolicyArns, func(a any) bool { return fmt.Sprint(a) == "map[Ref:SecretReadPolicy]" }) {
			t.Errorf("%s: role %s has the managed policies %v, not SecretReadPolicy", id, p.Role.GetAtt[0], role.ManagedPolicyArns)
		}
	}
	sameSet(t, "Lambda functions of the translated template", fns, functions)
	var all struct{ Resources map[string]map[string]any }
	if err := json.Unmarshal(out, &all); err != nil {
		t.Fatal(err)
	}
	checkQueues(t, all.Resources)
	// A ticking function's asynchronous invocations (the scheduler's) are
	// not retried by Lambda: its EventInvokeConfig on $LATEST says 0.
	for _, fn := range ticking {
		id := logicalID(fn)
		var retries []string
		for _, r := range cfn.Resources {
			var c struct {
				FunctionName         struct{ Ref string }
				Qualifier            string
				MaximumRetryAttempts *int
			}
			b, _ := json.Marshal(r.Properties)
			if r.Type != "AWS::Lambda::EventInvokeConfig" || json.Unmarshal(b, &c) != nil || c.FunctionName.Ref != id {
				continue
			}
			n := "unset"
			if c.MaximumRetryAttempts != nil {
				n = strconv.Itoa(*c.MaximumRetryAttempts)
			}
			retries = append(retries, c.Qualifier+" "+n)
		}
		if !slices.Equal(retries, []string{"$LATEST 0"}) {
			t.Errorf("%s: the translated EventInvokeConfigs (qualifier, retries) are %v, want [$LATEST 0]: Lambda retries a failed tick twice", id, retries)
		}
	}
}

// checkQueues checks the queues of the translated template, those SAM
// would make of its own included: each keeps a message 14 days, as README
// says; each dead-letter queue (a queue's redrive target, the
// DeadLetterConfig of a rule's target, an asynchronous invocation's
// OnFailure) has an alarm on a message in it; and a rule's dead-letter
// queue lets EventBridge send to it for that rule.
func checkQueues(t *testing.T, resources map[string]map[string]any) {
	t.Helper()
	// getAtt returns X of {"Fn::GetAtt": [X, attr]}, or "".
	getAtt := func(v any, attr string) string {
		m, _ := v.(map[string]any)
		if l, _ := m["Fn::GetAtt"].([]any); len(l) == 2 && l[1] == attr {
			x, _ := l[0].(string)
			return x
		}
		return ""
	}
	props := func(id string) map[string]any {
		p, _ := resources[id]["Properties"].(map[string]any)
		return p
	}
	// sendsTo maps each dead-letter queue to what sends to it.
	sendsTo := map[string]string{}
	alarmed := map[string]bool{}
	for _, id := range slices.Sorted(maps.Keys(resources)) {
		p := props(id)
		switch resources[id]["Type"] {
		case "AWS::SQS::Queue":
			if p["MessageRetentionPeriod"] != float64(1209600) {
				t.Errorf("queue %s keeps a message %v s, want 14 days (1209600), as README says of every queue", id, p["MessageRetentionPeriod"])
			}
			if rp, ok := p["RedrivePolicy"].(map[string]any); ok {
				sendsTo[getAtt(rp["deadLetterTargetArn"], "Arn")] = "queue " + id
			}
		case "AWS::Lambda::EventInvokeConfig":
			if on, ok := p["DestinationConfig"].(map[string]any)["OnFailure"].(map[string]any); ok {
				sendsTo[getAtt(on["Destination"], "Arn")] = "the failed asynchronous invocations of " + id
			}
		case "AWS::Events::Rule":
			targets, _ := p["Targets"].([]any)
			for _, tg := range targets {
				dlc, ok := tg.(map[string]any)["DeadLetterConfig"].(map[string]any)
				if !ok {
					continue
				}
				q := getAtt(dlc["Arn"], "Arn")
				if resources[q]["Type"] != "AWS::SQS::Queue" {
					t.Errorf("rule %s: dead-letter queue %v is not a queue of the template", id, dlc["Arn"])
					continue
				}
				sendsTo[q] = "rule " + id
				if !eventBridgeMaySend(resources, q, id, getAtt) {
					t.Errorf("rule %s: no queue policy lets EventBridge send to its dead-letter queue %s for it", id, q)
				}
			}
		case "AWS::CloudWatch::Alarm":
			dims, _ := p["Dimensions"].([]any)
			if p["Namespace"] == "AWS/SQS" && p["MetricName"] == "ApproximateNumberOfMessagesVisible" && p["Threshold"] == float64(0) &&
				p["ComparisonOperator"] == "GreaterThanThreshold" && len(dims) == 1 && dims[0].(map[string]any)["Name"] == "QueueName" {
				alarmed[getAtt(dims[0].(map[string]any)["Value"], "QueueName")] = true
			}
		}
	}
	if len(sendsTo) == 0 {
		t.Error("the translated template has no dead-letter queue")
	}
	for _, q := range slices.Sorted(maps.Keys(sendsTo)) {
		if !alarmed[q] {
			t.Errorf("dead-letter queue %s (of %s) has no alarm on a message in it", q, sendsTo[q])
		}
	}
}

// eventBridgeMaySend reports whether a queue policy of resources lets
// EventBridge send to the queue q for the rule alone.
func eventBridgeMaySend(resources map[string]map[string]any, q, rule string, getAtt func(any, string) string) bool {
	for _, r := range resources {
		if r["Type"] != "AWS::SQS::QueuePolicy" {
			continue
		}
		p, _ := r["Properties"].(map[string]any)
		queues, _ := p["Queues"].([]any)
		if !slices.ContainsFunc(queues, func(v any) bool { return reflect.DeepEqual(v, map[string]any{"Ref": q}) }) {
			continue
		}
		statements, _ := p["PolicyDocument"].(map[string]any)["Statement"].([]any)
		for _, st := range statements {
			st, _ := st.(map[string]any)
			principal, _ := st["Principal"].(map[string]any)
			cond, _ := st["Condition"].(map[string]any)
			arnEquals, _ := cond["ArnEquals"].(map[string]any)
			if st["Effect"] == "Allow" && principal["Service"] == "events.amazonaws.com" && st["Action"] == "sqs:SendMessage" &&
				getAtt(st["Resource"], "Arn") == q && getAtt(arnEquals["aws:SourceArn"], "Arn") == rule {
				return true
			}
		}
	}
	return false
}

// checkSchedule checks the schedules of the function id on AWS: a ticking
// one has one EventBridge Scheduler schedule every minute, on time, never
// retried, whose Input the platform takes for a timer event, and a timeout
// long enough for a tick; any other has none.
func checkSchedule(t *testing.T, id string, props map[string]any, schedules []map[string]any, ticks bool) {
	t.Helper()
	if !ticks {
		if len(schedules) > 0 {
			t.Errorf("%s has a schedule, but no scheduled work", id)
		}
		return
	}
	if len(schedules) != 1 {
		t.Fatalf("%s: %d ScheduleV2 events, want 1", id, len(schedules))
	}
	sch := schedules[0]
	if sch["ScheduleExpression"] != "rate(1 minute)" {
		t.Errorf("%s: ScheduleExpression %v, want rate(1 minute)", id, sch["ScheduleExpression"])
	}
	if mode := dig(t, sch, "FlexibleTimeWindow", "Mode"); mode != "OFF" {
		t.Errorf("%s: FlexibleTimeWindow.Mode %v, want OFF", id, mode)
	}
	if n := dig(t, sch, "RetryPolicy", "MaximumRetryAttempts"); n != 0 {
		t.Errorf("%s: RetryPolicy.MaximumRetryAttempts %v, want 0: the next tick retries", id, n)
	}
	// The scheduler's invocation is asynchronous: Lambda itself retries a
	// failed one twice unless the function's EventInvokeConfig says 0.
	if _, ok := props["EventInvokeConfig"]; !ok {
		t.Fatalf("%s: no EventInvokeConfig: Lambda retries a failed tick twice", id)
	}
	if n := dig(t, props, "EventInvokeConfig", "MaximumRetryAttempts"); n != 0 {
		t.Errorf("%s: EventInvokeConfig.MaximumRetryAttempts %v, want 0: Lambda would retry a failed tick", id, n)
	}
	if age, _ := dig(t, props, "EventInvokeConfig", "MaximumEventAgeInSeconds").(int); age < 60 || age > 120 {
		t.Errorf("%s: EventInvokeConfig.MaximumEventAgeInSeconds %d, want 60-120: a tick kept waiting longer overlaps the next", id, age)
	}
	input, _ := sch["Input"].(string)
	if k, err := platform.Detect([]byte(input)); err != nil || k != platform.Timer {
		t.Errorf("%s: the schedule's Input %q is detected as %q (%v), want %q", id, input, k, err, platform.Timer)
	}
	// The sample event is that Input, at a time.
	sample, err := os.ReadFile("../../events/callback/scheduler.json")
	if err != nil {
		t.Fatal(err)
	}
	var in, ev map[string]any
	if json.Unmarshal([]byte(input), &in) != nil || json.Unmarshal(sample, &ev) != nil || in["time"] != "<aws.scheduler.scheduled-time>" {
		t.Fatalf("%s: the Input %q or events/callback/scheduler.json is no JSON object with the scheduled time", id, input)
	}
	in["time"] = ev["time"]
	if !reflect.DeepEqual(in, ev) {
		t.Errorf("events/callback/scheduler.json is %v; the schedule's Input is %v", ev, in)
	}
	if timeout, _ := props["Timeout"].(int); timeout < tickTimeout {
		t.Errorf("%s: Timeout %v, want at least %d s for a tick", id, props["Timeout"], tickTimeout)
	}
}

func TestServerlessDevs(t *testing.T) {
	t.Parallel()
	doc := readYAML(t, "../../s.yaml")
	mk := makefile(t)
	checkFC3Schema(t, "s.yaml", doc)
	vpc := readYAML(t, "../../s.vpc.yaml")
	if vpc["extend"] != "s.yaml" {
		t.Errorf("s.vpc.yaml extends %v, want s.yaml", vpc["extend"])
	}
	merged := extend(doc, vpc)
	checkFC3Schema(t, "s.vpc.yaml", merged)
	for _, fn := range functions {
		vc, _ := dig(t, resolveDevs(merged, merged["vars"].(map[string]any)), "resources", fn, "props", "vpcConfig").(map[string]any)
		if vc["vpcId"] == nil || vc["securityGroupId"] == nil || vc["vSwitchIds"] == nil {
			t.Errorf("s.vpc.yaml: %s has vpcConfig %v; want vpcId, vSwitchIds and securityGroupId", fn, vc)
		}
	}
	resources := dig(t, doc, "resources").(map[string]any)
	sameSet(t, "s.yaml resources", keys(resources), functions)
	for _, fn := range functions {
		props := dig(t, resources, fn, "props").(map[string]any)
		if props["runtime"] != "go1" || props["handler"] != "bootstrap" || props["code"] != "./dist/aliyun/"+fn {
			t.Errorf("%s: runtime %v handler %v code %v; want go1, bootstrap, ./dist/aliyun/%s", fn, props["runtime"],
				props["handler"], props["code"], fn)
		}
		if !strings.Contains(mk, "dist/aliyun/%/bootstrap:") || !strings.Contains(mk, "GOARCH=amd64") {
			t.Error("the Makefile does not build dist/aliyun/<fn>/bootstrap for amd64")
		}
		env := props["environmentVariables"].(map[string]any)
		// s local invoke sets no flag of its own: NOTIFY_LOCAL=true in the
		// deployer's environment says it (config.LocalInvoke).
		want := []string{"NOTIFY_LOCAL"}
		for _, v := range config.Variables {
			if !slices.Contains(roleVariables, v) {
				want = append(want, v)
			}
		}
		sameSet(t, fn+" environmentVariables (all but the role's, and NOTIFY_LOCAL)", keys(env), want)
		if props["role"] != "${vars.role}" || !strings.HasPrefix(fmt.Sprint(dig(t, doc, "vars", "role")), "acs:ram::") {
			t.Errorf("%s: role %v; want ${vars.role}, a RAM role: its STS credentials sign the function's calls", fn, props["role"])
		}
		if props["logConfig"] == nil {
			t.Errorf("%s: no logConfig: nothing of its logs would be kept", fn)
		}
		var types []string
		for _, tr := range props["triggers"].([]any) {
			tm := tr.(map[string]any)
			types = append(types, tm["triggerType"].(string))
			cfg := tm["triggerConfig"].(map[string]any)
			switch tm["triggerType"] {
			case "http":
				methods := cfg["methods"].([]any)
				for _, r := range httpapi.Routes[fn] {
					method, _, _ := strings.Cut(r, " ")
					if !slices.Contains(methods, any(method)) {
						t.Errorf("%s: the HTTP trigger does not allow %s (route %s)", fn, method, r)
					}
				}
			case "eventbridge":
				// fc3 (src/base.ts) gets or creates the EventBridge service-linked
				// roles (SENDTOFC, and the event source's) only for an eventbridge
				// trigger without invocationRole, which such a trigger does not use.
				if role, ok := tm["invocationRole"]; ok {
					t.Errorf("%s: the eventbridge trigger has invocationRole %v: EventBridge triggers take no role, and with one fc3 does not create the service-linked roles they need", fn, role)
				}
				if dig(t, cfg, "eventSourceConfig", "eventSourceType") != "MNS" {
					t.Errorf("%s: the eventbridge trigger is not an MNS queue", fn)
				}
				queue := dig(t, cfg, "eventSourceConfig", "eventSourceParameters", "sourceMNSParameters", "QueueName")
				dlq := fmt.Sprint(dig(t, cfg, "runOptions", "deadLetterQueue", "Arn"))
				if queue != "notify-"+fn || !strings.HasSuffix(dlq, ":/queues/notify-"+fn+"-dlq") {
					t.Errorf("%s: the trigger reads queue %v and gives up into %s; want notify-%s and notify-%s-dlq", fn, queue, dlq, fn, fn)
				}
				checkQueueRetries(t, fn, cfg)
				checkMNSSamples(t, fn, fmt.Sprint(queue))
			case "timer":
				if cfg["cronExpression"] != "@every 1m" || cfg["enable"] != true || cfg["payload"] != "" {
					t.Errorf("%s: timer triggerConfig %v, want cronExpression @every 1m, enable true, payload \"\"", fn, cfg)
				}
				var ev struct{ TriggerName, Payload string }
				readJSON(t, filepath.Join("..", "..", "events", fn, "fc-timer.json"), &ev)
				if ev.TriggerName != tm["triggerName"] || ev.Payload != cfg["payload"] {
					t.Errorf("%s: events/%s/fc-timer.json is trigger %q with payload %q; s.yaml's is %v with %v",
						fn, fn, ev.TriggerName, ev.Payload, tm["triggerName"], cfg["payload"])
				}
			}
		}
		want = []string{"http"}
		if slices.Contains(queuedOnAliyun, fn) {
			want = append(want, "eventbridge")
		}
		if slices.Contains(ticking, fn) {
			want = append(want, "timer")
			if timeout, _ := props["timeout"].(int); timeout < tickTimeout {
				t.Errorf("%s: timeout %v, want at least %d s for a tick", fn, props["timeout"], tickTimeout)
			}
			if retries := dig(t, props, "asyncInvokeConfig", "maxAsyncRetryAttempts"); retries != 0 {
				t.Errorf("%s: asyncInvokeConfig.maxAsyncRetryAttempts %v, want 0: a failed tick is not retried", fn, retries)
			}
		}
		sameSet(t, fn+" triggers", types, want)
	}
}

// checkQueueRetries checks that the MNS queue trigger cfg of fn retries a
// message the function fails for a day and then dead-letters it, as README
// ("Queues") says. runOptions (retry strategy, fault tolerance, dead-letter
// queue) take effect only when its mode is event-streaming, an EventBridge
// event stream (fc3's triggers doc, devsapp/fc3 docs/zh/yaml/triggers.md,
// runOptions.mode: "runOptions 中参数只有在 mode 为 event-streaming 时才有效";
// the retries and dead letters EventBridge documents are an event stream's,
// help.aliyun.com/zh/eventbridge/user-guide/retry-and-dead-letter). With
// event-driven they would be dropped, and the queue's messages not kept.
func checkQueueRetries(t *testing.T, fn string, cfg map[string]any) {
	t.Helper()
	for _, p := range queueRetryProblems(fn, cfg) {
		t.Error(p)
	}
}

// queueRetryProblems returns what keeps the MNS queue trigger cfg of fn
// from retrying a failed message for a day and then dead-letter it.
func queueRetryProblems(fn string, cfg map[string]any) []string {
	at := func(v any, keys ...string) any {
		for _, k := range keys {
			m, _ := v.(map[string]any)
			v = m[k]
		}
		return v
	}
	var problems []string
	if mode := at(cfg, "runOptions", "mode"); mode != "event-streaming" {
		problems = append(problems, fmt.Sprintf("%s: the trigger's runOptions.mode is %v, want event-streaming: in any other mode its retries and dead-letter queue are not applied", fn, mode))
	}
	// deliveryOption.mode means the same, with a lower priority: never another.
	if mode := at(cfg, "eventSinkConfig", "deliveryOption", "mode"); mode != nil && mode != "event-streaming" {
		problems = append(problems, fmt.Sprintf("%s: the trigger's deliveryOption.mode is %v, runOptions' event-streaming", fn, mode))
	}
	// 176 retries over a day; BACKOFF_RETRY, the default, is 3 within a minute.
	if s := at(cfg, "runOptions", "retryStrategy", "PushRetryStrategy"); s != "EXPONENTIAL_DECAY_RETRY" {
		problems = append(problems, fmt.Sprintf("%s: the trigger's retry strategy is %v, want EXPONENTIAL_DECAY_RETRY (a day)", fn, s))
	}
	// NONE (the default) blocks the stream on a message past its retries
	// instead of putting it in the dead-letter queue.
	if e := at(cfg, "runOptions", "errorsTolerance"); e != "ALL" {
		problems = append(problems, fmt.Sprintf("%s: the trigger's errorsTolerance is %v, want ALL: a message past its retries goes to the dead-letter queue", fn, e))
	}
	// One message an invocation: a failure (which fails the invocation:
	// docs/platform.md) retries and dead-letters that message alone.
	if n := at(cfg, "runOptions", "batchWindow", "CountBasedWindow"); n != 1 {
		problems = append(problems, fmt.Sprintf("%s: the trigger's batchWindow.CountBasedWindow is %v, want 1", fn, n))
	}
	return problems
}

// TestQueueRetriesNeedEventStreaming: an MNS queue trigger in event-driven
// mode, or without the settings that dead-letter a message, fails the
// check TestServerlessDevs makes of s.yaml's.
func TestQueueRetriesNeedEventStreaming(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		keys []string // the path under triggerConfig, then the value
		to   any
	}{
		{"event-driven", []string{"runOptions", "mode"}, "event-driven"},
		{"delivery event-driven", []string{"eventSinkConfig", "deliveryOption", "mode"}, "event-driven"},
		{"backoff retry", []string{"runOptions", "retryStrategy", "PushRetryStrategy"}, "BACKOFF_RETRY"},
		{"no tolerance", []string{"runOptions", "errorsTolerance"}, "NONE"},
		{"batches", []string{"runOptions", "batchWindow", "CountBasedWindow"}, 10},
	} {
		t.Run(tt.name, func(t *testing.T) {
			doc := readYAML(t, "../../s.yaml")
			var cfg map[string]any
			for _, tr := range dig(t, doc, "resources", "sms", "props", "triggers").([]any) {
				if tm := tr.(map[string]any); tm["triggerType"] == "eventbridge" {
					cfg = tm["triggerConfig"].(map[string]any)
				}
			}
			if cfg == nil {
				t.Fatal("s.yaml: sms has no eventbridge trigger")
			}
			if p := queueRetryProblems("sms", cfg); len(p) > 0 {
				t.Fatalf("s.yaml as it is: %v", p)
			}
			m := cfg
			for _, k := range tt.keys[:len(tt.keys)-1] {
				m = dig(t, m, k).(map[string]any)
			}
			m[tt.keys[len(tt.keys)-1]] = tt.to
			if p := queueRetryProblems("sms", cfg); len(p) == 0 {
				t.Errorf("s.yaml with %v %v passes", tt.keys, tt.to)
			}
		})
	}
}

// checkBus checks the EventBridge rule of the sending function fn (id on
// AWS): the sample event a producer would copy (events/<fn>/eventbridge.json)
// matches its pattern, a delivery EventBridge cannot make is retried and
// then kept in a dead-letter queue, and an event the function fails, being
// invoked asynchronously, goes to the function's dead-letter queue dlq.
func checkBus(t *testing.T, fn, id string, props, rule map[string]any, dlq string) {
	t.Helper()
	if rule == nil {
		t.Fatalf("%s: no EventBridgeRule event", id)
	}
	b, err := os.ReadFile(filepath.Join("..", "..", "events", fn, "eventbridge.json"))
	if err != nil {
		t.Fatal(err)
	}
	var sample struct {
		Source     string `json:"source"`
		DetailType string `json:"detail-type"`
	}
	if err := json.Unmarshal(b, &sample); err != nil {
		t.Fatal(err)
	}
	sources, _ := dig(t, rule, "Pattern", "source").([]any)
	if !slices.Contains(sources, any(sample.Source)) {
		t.Errorf("%s: events/%s/eventbridge.json has source %q, which the rule's pattern %v does not match",
			id, fn, sample.Source, sources)
	}
	if n, _ := dig(t, rule, "RetryPolicy", "MaximumRetryAttempts").(int); n < 1 {
		t.Errorf("%s: the rule's RetryPolicy.MaximumRetryAttempts %v, want retries", id, n)
	}
	// The template's own queue (TestSAMTranslation checks its policy and
	// alarm): SAM's (Type: SQS) keeps a message 4 days and has no alarm.
	if arn, _ := rule["DeadLetterConfig"].(map[string]any)["Arn"].(string); !strings.HasSuffix(arn, ".Arn") {
		t.Errorf("%s: the rule's DeadLetterConfig %v, want the Arn of a queue of the template", id, rule["DeadLetterConfig"])
	}
	on := dig(t, props, "EventInvokeConfig", "DestinationConfig", "OnFailure").(map[string]any)
	if on["Type"] != "SQS" || strings.TrimSuffix(fmt.Sprint(on["Destination"]), ".Arn") != dlq {
		t.Errorf("%s: asynchronous invokes that fail go to %v, want %s", id, on, dlq)
	}
}

// checkFC3Schema validates the props of each resource of the Serverless
// Devs file doc, its variables resolved as s resolves them, against the
// fc3 component's own JSON schema (testdata/fc3).
func checkFC3Schema(t *testing.T, name string, doc map[string]any) {
	t.Helper()
	for _, p := range fc3Problems(t, doc) {
		t.Errorf("%s: %s", name, p)
	}
}

// fc3Problems returns what is wrong with the props of each resource of
// the Serverless Devs file doc against the fc3 schema, read strictly: a
// key the schema does not name where it stands is wrong (the schema
// itself lets any through, so that a misspelt key would be dropped
// unseen), and each trigger's triggerConfig is held to the definition of
// its triggerType (the schema takes any of them, one of which is any
// object).
func fc3Problems(t *testing.T, doc map[string]any) []string {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "fc3", "schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	schemaDoc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	strict(schemaDoc)
	c := jsonschema.NewCompiler()
	if err := c.AddResource("fc3.json", schemaDoc); err != nil {
		t.Fatal(err)
	}
	compile := func(loc string) *jsonschema.Schema {
		s, err := c.Compile(loc)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	schema := compile("fc3.json")
	var problems []string
	validate := func(s *jsonschema.Schema, what string, v any) {
		// The schema's numbers are JSON's: YAML's ints go through JSON.
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		doc, err := jsonschema.UnmarshalJSON(strings.NewReader(string(b)))
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Validate(doc); err != nil {
			problems = append(problems, fmt.Sprintf("%s: fails the fc3 schema: %v", what, err))
		}
	}
	vars, _ := doc["vars"].(map[string]any)
	resources := resolveDevs(dig(t, doc, "resources"), vars).(map[string]any)
	for _, fn := range keys(resources) {
		if c := dig(t, resources, fn, "component"); c != "fc3" {
			problems = append(problems, fmt.Sprintf("%s is component %v, want fc3", fn, c))
			continue
		}
		props := dig(t, resources, fn, "props")
		validate(schema, fn, props)
		triggers, _ := props.(map[string]any)["triggers"].([]any)
		for i, tr := range triggers {
			tm, _ := tr.(map[string]any)
			def := triggerConfigs[fmt.Sprint(tm["triggerType"])]
			if def == "" {
				problems = append(problems, fmt.Sprintf("%s: trigger %d is of type %v, which this test does not know", fn, i, tm["triggerType"]))
				continue
			}
			validate(compile("fc3.json#/definitions/"+def), fmt.Sprintf("%s: trigger %v's triggerConfig", fn, tm["triggerName"]), tm["triggerConfig"])
		}
	}
	return problems
}

// triggerConfigs are the fc3 schema's definitions of the triggerConfig of
// each triggerType the files use.
var triggerConfigs = map[string]string{"http": "IHttpTriggerConfig", "timer": "ITimerTriggerConfig", "eventbridge": "IEventBridge"}

// strict makes the JSON schema s refuse, in every object it describes by
// its properties, a key that is none of them, where s says nothing of
// others. The conditions of if keep their leniency: they only test.
func strict(s any) {
	switch s := s.(type) {
	case map[string]any:
		if _, ok := s["properties"].(map[string]any); ok {
			if _, said := s["additionalProperties"]; !said {
				s["additionalProperties"] = false
			}
		}
		for k, v := range s {
			if k != "if" {
				strict(v)
			}
		}
	case []any:
		for _, v := range s {
			strict(v)
		}
	}
}

// TestFC3SchemaStrict: a key misspelt in s.yaml, where the fc3 component
// would drop it unseen, fails the schema check.
func TestFC3SchemaStrict(t *testing.T) {
	t.Parallel()
	if p := fc3Problems(t, readYAML(t, "../../s.yaml")); len(p) > 0 {
		t.Fatalf("s.yaml as it is: %v", p)
	}
	for _, tt := range []struct {
		name string
		keys []string // the path to the key, then its misspelling
	}{
		{"props", []string{"sms", "memorySize", "memorySise"}},
		{"http trigger", []string{"sms", "triggers", "0", "triggerConfig", "authType", "authTyp"}},
		{"eventbridge trigger", []string{"tts", "triggers", "1", "triggerConfig", "triggerEnable", "triggerEnabled"}},
		{"timer trigger", []string{"callback", "triggers", "1", "triggerConfig", "enable", "enabled"}},
		{"trigger", []string{"mail", "triggers", "1", "description", "descripton"}},
		{"async invoke", []string{"callback", "asyncInvokeConfig", "maxAsyncRetryAttempts", "maxAsyncRetries"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			doc := readYAML(t, "../../s.yaml")
			var at any = dig(t, doc, "resources")
			at = dig(t, at, tt.keys[0], "props")
			path, from, to := tt.keys[1:len(tt.keys)-2], tt.keys[len(tt.keys)-2], tt.keys[len(tt.keys)-1]
			for _, k := range path {
				if l, ok := at.([]any); ok {
					i, _ := strconv.Atoi(k)
					at = l[i]
				} else {
					at = dig(t, at, k)
				}
			}
			m := at.(map[string]any)
			if _, ok := m[from]; !ok {
				t.Fatalf("s.yaml has no %s at %v", from, tt.keys)
			}
			m[to] = m[from]
			delete(m, from)
			if p := fc3Problems(t, doc); len(p) == 0 {
				t.Errorf("s.yaml with %s misspelt %s passes", from, to)
			}
		})
	}
}

// devsExpr is a Serverless Devs variable: ${vars.x}, ${env('X')},
// ${env('X', 'default')}, ${config('AccountID')}.
var devsExpr = regexp.MustCompile(`\$\{([^}]*)\}`)

// resolveDevs returns v with its variables resolved as s resolves them
// before a component sees its props: vars from vars, env(...) its default
// (or, without one, a value that names it), config(...) a made-up account.
func resolveDevs(v any, vars map[string]any) any {
	switch v := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(v))
		for k, x := range v {
			m[k] = resolveDevs(x, vars)
		}
		return m
	case []any:
		l := make([]any, len(v))
		for i, x := range v {
			l[i] = resolveDevs(x, vars)
		}
		return l
	case string:
		if m := devsExpr.FindStringSubmatch(v); m != nil && m[0] == v && strings.HasPrefix(m[1], "vars.") {
			return resolveDevs(vars[strings.TrimPrefix(m[1], "vars.")], vars) // a whole value: any type
		}
		return devsExpr.ReplaceAllStringFunc(v, func(e string) string {
			x := devsExpr.FindStringSubmatch(e)[1]
			switch {
			case strings.HasPrefix(x, "vars."):
				return fmt.Sprint(resolveDevs(vars[strings.TrimPrefix(x, "vars.")], vars))
			case strings.HasPrefix(x, "config("):
				return "1234567890123456"
			case strings.HasPrefix(x, "env("):
				args := strings.Split(strings.TrimSuffix(strings.TrimPrefix(x, "env("), ")"), ",")
				if len(args) == 2 {
					return strings.Trim(strings.TrimSpace(args[1]), `'"`)
				}
				return "env-" + strings.Trim(args[0], `'"`)
			}
			return e
		})
	}
	return v
}

// extend merges over into base as Serverless Devs's extend does (extend2,
// deep): mappings merge, anything else, lists included, is replaced.
func extend(base, over map[string]any) map[string]any {
	m := make(map[string]any, len(base))
	for k, v := range base {
		m[k] = v
	}
	for k, v := range over {
		if k == "extend" {
			continue
		}
		bm, ok1 := m[k].(map[string]any)
		om, ok2 := v.(map[string]any)
		if ok1 && ok2 {
			m[k] = extend(bm, om)
			continue
		}
		m[k] = v
	}
	return m
}

// readJSON decodes the JSON file at path into v.
func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// checkMNSSamples checks that the sample MNS queue events of fn come from
// the queue its trigger reads, and that a function without such a trigger
// has none.
func checkMNSSamples(t *testing.T, fn, queue string) {
	t.Helper()
	type cloudEvent struct{ Subject string }
	var one cloudEvent
	readJSON(t, filepath.Join("..", "..", "events", fn, "mns-queue-cloudevent.json"), &one)
	var batch []cloudEvent
	readJSON(t, filepath.Join("..", "..", "events", fn, "mns-queue-batch.json"), &batch)
	for _, ev := range append(batch, one) {
		if !strings.HasSuffix(ev.Subject, ":queues/"+queue) {
			t.Errorf("events/%s: an MNS queue event from %q; the trigger reads queue %s", fn, ev.Subject, queue)
		}
	}
}

// TestSamplesHaveTriggers: a function has sample MNS queue events only if
// s.yaml gives it a queue trigger, and its MNS topic samples name the
// topic README says to make for one.
func TestSamplesHaveTriggers(t *testing.T) {
	t.Parallel()
	for _, fn := range functions {
		queued, _ := filepath.Glob(filepath.Join("..", "..", "events", fn, "mns-queue-*.json"))
		if (len(queued) > 0) != slices.Contains(queuedOnAliyun, fn) {
			t.Errorf("events/%s has %d MNS queue samples; s.yaml gives it a queue trigger: %v", fn, len(queued),
				slices.Contains(queuedOnAliyun, fn))
		}
		topic := filepath.Join("..", "..", "events", fn, "mns-topic-json.json")
		if _, err := os.Stat(topic); err != nil {
			continue
		}
		var ev struct{ TopicName string }
		readJSON(t, topic, &ev)
		if ev.TopicName != "notify-"+fn {
			t.Errorf("events/%s/mns-topic-json.json is from topic %q, want notify-%s", fn, ev.TopicName, fn)
		}
	}
}
