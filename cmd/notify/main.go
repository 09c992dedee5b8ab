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

	"github.com/seed4ddb146e/notify/shared/config"
)

func getenv(k string) string {
	if v, ok := os.LookupEnv(k); ok {
		return v
	}
	return config.LocalDefault(k)
}

func main() {
	os.Exit(run(context.Background(), os.Args[1:], streams{out: os.Stdout, err: os.Stderr}, getenv))
}
