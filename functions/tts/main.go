// Command tts is the tts function: the legacy API's POST /tts
// (docs/legacy.md), served on AWS Lambda, Aliyun FC 3 or, outside both, as
// a local HTTP server on $PORT.
package main

import (
	"fmt"
	"os"

	"github.com/seed4ddb146e/notify/shared/app"
	ttsapp "github.com/seed4ddb146e/notify/shared/app/tts"
)

func main() {
	if err := app.Run("tts", "/tts", ttsapp.New); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
