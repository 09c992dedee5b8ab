package platform

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"time"
)

// InitErrorType is the errorType ReportInitError gives AWS Lambda.
const InitErrorType = "Runtime.InitError"

// ReportInitError tells the runtime that the function cannot start, with
// err's text, where its Runtime API has the call for it: on AWS Lambda,
// POST /2018-06-01/runtime/init/error, after which Lambda fails the
// invocation that started the instance with that message (not only
// "Runtime exited with error: exit status 1") and the process should
// exit. On Aliyun FC 3, whose Go SDK makes no such call (and we know of
// none in its Runtime API), and in a local run, it does nothing: the caller prints err, which the platform's
// log keeps, and exits. It waits at most two seconds, and reports whether
// the runtime took the error. err must hold no secret: the message is
// shown to whoever invokes the function.
func ReportInitError(getenv func(string) string, err error) bool {
	api := getenv("AWS_LAMBDA_RUNTIME_API")
	if err == nil || api == "" {
		return false
	}
	body, _ := json.Marshal(struct {
		ErrorMessage string   `json:"errorMessage"`
		ErrorType    string   `json:"errorType"`
		StackTrace   []string `json:"stackTrace"`
	}{err.Error(), InitErrorType, []string{}})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	req, rerr := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+api+"/2018-06-01/runtime/init/error",
		bytes.NewReader(body))
	if rerr != nil {
		return false
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Lambda-Runtime-Function-Error-Type", InitErrorType)
	resp, rerr := http.DefaultClient.Do(req)
	if rerr != nil {
		return false
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
	return resp.StatusCode == http.StatusAccepted
}
