// Package aliyuntest holds what the tests of the Aliyun providers
// (aliyunsms, aliyunvoice) share: serving a fake, the faults of the fakes
// with what each must become, the credential cases, the check of a
// returned error, and Run, the tests every provider must pass.
package aliyuntest

import (
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/seed4ddb146e/notify/shared/fake/aliyun/acs"
	"github.com/seed4ddb146e/notify/shared/notify"
	"github.com/seed4ddb146e/notify/shared/provider/internal/aliyun"
)

// The keys of the tests' fakes.
const (
	Key    = "testAK"
	Secret = "testSecret"
)

// Keys returns the credentials of the tests' fakes.
func Keys() acs.Credentials { return acs.Credentials{AccessKeyID: Key, AccessKeySecret: Secret} }

// Serve serves h for the test and returns its URL. At the end of the test
// the client connections are closed first, which ends slow answers.
func Serve(t testing.TB, h http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(func() {
		srv.CloseClientConnections()
		srv.Close()
	})
	return srv.URL
}

// ClosedAddr returns a loopback address nothing listens on.
func ClosedAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// Want checks that err is a *notify.Error of op and kind with the
// provider's code and message, and with its request id when it answered.
func Want(t testing.TB, err error, op string, kind notify.Kind, code, message string) *notify.Error {
	t.Helper()
	var e *notify.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not a *notify.Error of kind %v", err, err, kind)
	}
	if e.Kind != kind || e.Code != code || e.Message != message || e.Op != op {
		t.Errorf("error = %v\n op %s, kind %v, code %q, message %q\n want %s, %v, %q, %q",
			err, e.Op, e.Kind, e.Code, e.Message, op, kind, code, message)
	}
	if code != "" && len(e.RequestID) != 36 {
		t.Errorf("RequestID = %q, want the fake's request id", e.RequestID)
	}
	return e
}

// Case is a fault of the fake and the outcome it must give.
type Case struct {
	Fault         acs.Fault
	Kind          notify.Kind
	Code, Message string
	Accepted      bool // the fake accepts the message before the fault
}

// Faults returns every kind of fault of the fakes and what it must become.
func Faults() []Case {
	return []Case{
		{Fault: acs.Business("isv.BUSINESS_LIMIT_CONTROL", "触发天级流控Permits:10"), Kind: notify.Throttled,
			Code: "isv.BUSINESS_LIMIT_CONTROL", Message: "触发天级流控Permits:10"},
		{Fault: acs.Business("isv.AMOUNT_NOT_ENOUGH", "账户余额不足"), Kind: notify.Account,
			Code: "isv.AMOUNT_NOT_ENOUGH", Message: "账户余额不足"},
		{Fault: acs.Business("isv.OUT_OF_SERVICE", "业务停机"), Kind: notify.Account,
			Code: "isv.OUT_OF_SERVICE", Message: "业务停机"},
		{Fault: acs.Business("isv.SMS_TEMPLATE_ILLEGAL", "模板不合法"), Kind: notify.Rejected,
			Code: "isv.SMS_TEMPLATE_ILLEGAL", Message: "模板不合法"},
		{Fault: acs.Business("isv.SOMETHING_NEW", "未知错误"), Kind: notify.Rejected,
			Code: "isv.SOMETHING_NEW", Message: "未知错误"},
		{Fault: acs.Business("isp.SYSTEM_ERROR", "系统错误"), Kind: notify.Transient,
			Code: "isp.SYSTEM_ERROR", Message: "系统错误"},
		{Fault: acs.Gateway(400, "Throttling.User", "Request was denied due to user flow control."), Kind: notify.Throttled,
			Code: "Throttling.User", Message: "Request was denied due to user flow control."},
		{Fault: acs.Gateway(404, "InvalidAccessKeyId.NotFound", "Specified access key is not found."), Kind: notify.Account,
			Code: "InvalidAccessKeyId.NotFound", Message: "Specified access key is not found."},
		{Fault: acs.Gateway(400, "SignatureNonceUsed", "Specified signature nonce was used already."), Kind: notify.Transient,
			Code: "SignatureNonceUsed", Message: "Specified signature nonce was used already."},
		{Fault: acs.Gateway(400, "InvalidTimeStamp.Expired", "Specified time stamp or date value is expired."), Kind: notify.Account,
			Code: "InvalidTimeStamp.Expired", Message: "Specified time stamp or date value is expired."},
		{Fault: acs.Gateway(400, "SomethingNew", "Something new."), Kind: notify.Rejected,
			Code: "SomethingNew", Message: "Something new."},
		{Fault: acs.Gateway(500, "InternalError", "The request processing has failed due to some unknown error."),
			Kind: notify.Transient, Code: "InternalError", Message: "The request processing has failed due to some unknown error."},
		{Fault: acs.Gateway(504, "SomethingElse", "Gateway timeout."), Kind: notify.Transient,
			Code: "SomethingElse", Message: "Gateway timeout."},
		{Fault: acs.Unavailable(), Kind: notify.Transient,
			Code: "ServiceUnavailable", Message: "The request has failed due to a temporary failure of the server."},
		{Fault: acs.NotJSON(502), Kind: notify.Ambiguous},
		{Fault: acs.NotJSON(200), Kind: notify.Ambiguous},
		{Fault: acs.Empty(502), Kind: notify.Ambiguous},
		{Fault: acs.Empty(200), Kind: notify.Ambiguous},
		{Fault: acs.Drop(), Kind: notify.Ambiguous},
		{Fault: acs.AcceptThenDrop(), Kind: notify.Ambiguous, Accepted: true},
	}
}

// CredentialCase is a fake's keys, a client's, and the outcome.
type CredentialCase struct {
	Name          string
	Fake          acs.Credentials
	Client        aliyun.Config // without Endpoint
	Kind          notify.Kind   // with Code "": success
	Code, Message string
}

// Credentials returns the credential cases: a wrong secret, an unknown key,
// and STS tokens right, missing and wrong.
func Credentials() []CredentialCase {
	sts := acs.Credentials{AccessKeyID: "STS.key", AccessKeySecret: Secret, SecurityToken: "token-1"}
	const tokenMismatch = "Specified SecurityToken mismatch with the AccessKey."
	return []CredentialCase{
		{Name: "wrong secret", Fake: Keys(), Client: aliyun.Config{AccessKeyID: Key, AccessKeySecret: "wrong"},
			Kind: notify.Account, Code: "SignatureDoesNotMatch", Message: "Specified signature is not matched with our calculation."},
		{Name: "unknown key", Fake: Keys(), Client: aliyun.Config{AccessKeyID: "otherAK", AccessKeySecret: Secret},
			Kind: notify.Account, Code: "InvalidAccessKeyId.NotFound", Message: "Specified access key is not found."},
		{Name: "sts", Fake: sts, Client: aliyun.Config{AccessKeyID: "STS.key", AccessKeySecret: Secret, SecurityToken: "token-1"}},
		{Name: "sts without token", Fake: sts, Client: aliyun.Config{AccessKeyID: "STS.key", AccessKeySecret: Secret},
			Kind: notify.Account, Code: "InvalidSecurityToken.MismatchWithAccessKey", Message: tokenMismatch},
		{Name: "sts with another token", Fake: sts,
			Client: aliyun.Config{AccessKeyID: "STS.key", AccessKeySecret: Secret, SecurityToken: "token-2"},
			Kind:   notify.Account, Code: "InvalidSecurityToken.MismatchWithAccessKey", Message: tokenMismatch},
	}
}
