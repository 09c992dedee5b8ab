package runtimeapi_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/seed4ddb146e/notify/shared/fake/runtimeapi"
)

// A test starts an emulator, points the function's process at it with
// Env, and invokes. Here a few lines of HTTP play the function's runtime.
func Example() {
	emu := runtimeapi.NewLambda()
	defer emu.Close()

	go func() { // the function's runtime loop, one turn of it
		base := "http://" + emu.Addr() + "/2018-06-01/runtime/invocation/"
		resp, err := http.Get(base + "next")
		if err != nil {
			return
		}
		event, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		id := resp.Header.Get("Lambda-Runtime-Aws-Request-Id")
		reply := strings.ToUpper(string(event))
		resp, err = http.Post(base+id+"/response", "application/json", strings.NewReader(reply))
		if err == nil {
			resp.Body.Close()
		}
	}()

	res, err := emu.Invoke(context.Background(), []byte(`"hello"`))
	fmt.Println(string(res), err)
	// Output: "HELLO" <nil>
}
