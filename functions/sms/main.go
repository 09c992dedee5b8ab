// Command sms is the sms function: the legacy API's POST /sms
// (docs/legacy.md) over Aliyun Dysmsapi (or the sandbox, without
// credentials), served on AWS Lambda, Aliyun FC 3 or, outside both, as a
// local HTTP server on $PORT.
package main

import (
	"fmt"
	"os"

	"github.com/seed4ddb146e/notify/shared/app"
	smsapp "github.com/seed4ddb146e/notify/shared/app/sms"
)

func main() {
	if err := app.Run("sms", "/sms", smsapp.New); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
