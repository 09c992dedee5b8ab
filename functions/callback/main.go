// Command callback is the callback function: delivery reports from the
// providers, and the scheduled work of its timer trigger, served on AWS
// Lambda, Aliyun FC 3 or, outside both, as a local HTTP server on $PORT.
package main

import (
	"fmt"
	"os"

	"github.com/seed4ddb146e/notify/shared/app"
	callbackapp "github.com/seed4ddb146e/notify/shared/app/callback"
)

func main() {
	if err := app.Run("callback", "/callback/queue/aliyun", app.AsBuilder(callbackapp.New)); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
