package config

import (
	"net/url"
	"slices"
	"strings"
)

// localDefaults are the settings a local run starts with where the
// environment has none: `make run`, `sam local invoke`, `s local invoke`.
var localDefaults = map[string]string{
	"NOTIFY_GROUPS": `[{"id":"demo","channels":["sms","tts","mail"],
		"codes":{"*":{"sign_name":"notify","template":"SMS_DEMO_CODE","tts_template":"TTS_DEMO_CODE"}},
		"saas":{"combos":[{"id":1,"name":"套餐包: 2000条","price":"200.00","sms_nums":2000,"unit":"条","unit_price":10},
		                  {"id":4,"name":"自定义套餐包","price":"0.00","sms_nums":0,"unit":"条","unit_price":10}],
		        "business_types":{"0":{"template":"SMS_1001"},"1":{"template":"SMS_1002"},
		                          "2":{"template":"SMS_184105379","params":{"code":"verify_code"}}},
		        "provider_units":30366}}]`,
	// A fixed key for local runs only: codes are hashed under it.
	"NOTIFY_CODE_SECRET": "local-demo-code-secret-not-for-deployments",
}

// LocalDefault returns the embedded default of the variable k for local
// runs: the group "demo" for every channel, a code key; "" for the rest.
func LocalDefault(k string) string { return localDefaults[k] }

// notLocal are the variables a local invoke drops: the keys that make a
// function send for real, and the deployment's database, where sandbox
// records would take real quotas and cooldowns and be seen by the
// deployed callback function (events to the groups' webhooks). A
// provider that takes all of its variables or none (Tencent, Cloopen)
// loses all of them: its app id kept without its keys would be a
// provider configured in part, which Load refuses.
var notLocal = []string{
	"ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ALIBABA_CLOUD_SECURITY_TOKEN",
	"TENCENTCLOUD_SECRET_ID", "TENCENTCLOUD_SECRET_KEY", "NOTIFY_TENCENT_SMS_APP_ID",
	"NOTIFY_CLOOPEN_ACCOUNT_SID", "NOTIFY_CLOOPEN_AUTH_TOKEN", "NOTIFY_CLOOPEN_APP_ID",
	"NOTIFY_SMTP_URL",
	"NOTIFY_DATABASE_URL",
}

// LocalInvoke returns the setting that says the function runs in a local
// invoke of a cloud's tools, "AWS_SAM_LOCAL=true" or "NOTIFY_LOCAL=true",
// or "" when none does: `sam local invoke` sets AWS_SAM_LOCAL=true; `s
// local invoke` sets no flag of its own, so NOTIFY_LOCAL=true says it.
func LocalInvoke(getenv func(string) string) string {
	for _, k := range []string{"AWS_SAM_LOCAL", "NOTIFY_LOCAL"} {
		if getenv(k) == "true" {
			return k + "=true"
		}
	}
	return ""
}

// LocalInvokeEnv returns getenv as a local invoke reads it: every
// provider's keys dropped, so that everything goes to the sandbox (`s
// local invoke` passes the deployer's own AccessKey to the function), and
// the local defaults where getenv has nothing or "" (a template declares
// every variable, empty unless set). NOTIFY_DATABASE_URL is dropped too
// (s.yaml passes on the deployer's, exported for `s deploy`): the records
// go to the embedded store in the temporary directory, which a build with
// EMBEDDED_STORE=1 has.
func LocalInvokeEnv(getenv func(string) string) func(string) string {
	return func(k string) string {
		if slices.Contains(notLocal, k) {
			return ""
		}
		if v := getenv(k); v != "" {
			return v
		}
		return localDefaults[k]
	}
}

// RedactURL returns the database URL u without its password, for logs:
// neither the userinfo's nor the query's (pgx takes password and
// sslpassword there too). A URL that does not parse is shown by its scheme
// alone, as its password cannot be told from the rest.
func RedactURL(u string) string {
	if strings.HasPrefix(u, "sqlite:") {
		return u
	}
	p, err := url.Parse(u)
	if err != nil {
		scheme, _, _ := strings.Cut(u, ":")
		return scheme + "://(a URL that does not parse; not shown)"
	}
	if q := p.Query(); q.Has("password") || q.Has("sslpassword") {
		for _, k := range []string{"password", "sslpassword"} {
			if q.Has(k) {
				q.Set(k, "xxxxx")
			}
		}
		p.RawQuery = q.Encode()
	}
	return p.Redacted()
}
