// Command notify is the gateway on one machine, and a client of a running
// one. `notify` (or `notify serve`) serves every function from one local
// HTTP server, on embedded defaults: with no environment at all it listens
// on :8010, authorizes the group "demo" for every channel (and as the SaaS
// platform whose stations use the SaaS routes), keeps records in an SQLite
// file in the temporary directory, and sends through the sandbox
// providers, so that nothing leaves the machine. Set the same environment
// variables as the cloud functions (README.md) to change any of that.
//
// `notify send`, `notify code` and `notify status` call a running gateway
// (NOTIFY_URL, NOTIFY_KEY, NOTIFY_GROUP); `notify --help` lists every
// command. cli.go holds the grammar, serve.go the server's commands,
// client.go and send.go the client's, batch.go sends from a CSV file.
package main

import (
	"context"
	"os"
)

// defaults are the embedded settings a bare `make run` starts with.
var defaults = map[string]string{
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

func getenv(k string) string {
	if v, ok := os.LookupEnv(k); ok {
		return v
	}
	return defaults[k]
}

func main() {
	os.Exit(run(context.Background(), os.Args[1:], streams{out: os.Stdout, err: os.Stderr}, getenv))
}
