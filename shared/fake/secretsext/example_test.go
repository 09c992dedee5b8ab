package secretsext_test

import (
	"fmt"
	"io"
	"net/http"

	"github.com/seed4ddb146e/notify/shared/fake/secretsext"
)

// A test starts a fake extension holding a secret, and gives the
// function's process Env; here a plain request plays the function.
func Example() {
	ext := secretsext.New(secretsext.Config{Secrets: map[string]string{"notify/test": `{"NOTIFY_CODE_LENGTH":"6"}`}})
	defer ext.Close()

	req, _ := http.NewRequest(http.MethodGet, "http://localhost:"+ext.Port()+secretsext.SecretPath+"?secretId=notify/test", nil)
	req.Header.Set(secretsext.TokenHeader, ext.Token())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.StatusCode, len(body) > 0)
	// Output: 200 true
}
