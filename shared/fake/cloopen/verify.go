package cloopen

import (
	"crypto/md5"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"github.com/seed4ddb146e/notify/shared/fake/internal/china"
	"net/http"
	"strings"
	"time"
)

// refusal is an error answer: HTTP 200 with the service's code and message.
type refusal struct {
	Code string `json:"statusCode"`
	Msg  string `json:"statusMsg"`
}

// The service's refusals.
var (
	errAuthEmpty      = &refusal{"111101", "请求包头Authorization参数为空"}
	errAuthBase64     = &refusal{"111102", "请求包头Authorization参数Base64解码失败"}
	errAuthFormat     = &refusal{"111103", "请求包头Authorization参数解码后格式有误"}
	errAuthAccount    = &refusal{"111104", "请求包头Authorization参数解码后账户ID为空"}
	errAuthTime       = &refusal{"111105", "请求包头Authorization参数解码后时间戳为空"}
	errExpired        = &refusal{"111106", "请求包头Authorization参数解码后时间戳过期"}
	errAccountsDiffer = &refusal{"111107", "请求包头Authorization参数中账户ID跟请求地址中的账户ID不一致"}
	errSigEmpty       = &refusal{"111108", "请求地址Sig参数为空"}
	errSig            = &refusal{"111109", "请求地址Sig校验失败"}
	errVersion        = &refusal{"111110", "请求地址SoftVersion参数有误"}
	errTimeFormat     = &refusal{"111113", "请求包头Authorization参数中时间戳格式有误，请参考yyyyMMddHHmmss"}
	errAccount        = &refusal{"111141", "主账户不存在"}
	errAppEmpty       = &refusal{"111169", "应用ID为空"}
	errApp            = &refusal{"111181", "应用不存在"}
	errToEmpty        = &refusal{"112300", "接收短信的手机号码为空"}
	errTemplateEmpty  = &refusal{"112307", "模板短信模板ID为空"}
	errBodyEmpty      = &refusal{"160030", "请求包体为空"}
	errParse          = &refusal{"160031", "参数解析失败"}
	errNumber         = &refusal{"160042", "号码格式有误"}
	errTooMany        = &refusal{"160048", "号码数超200限制"}
	errDuplicate      = &refusal{"160054", "请求重复"}
	errReqIDLong      = &refusal{"160055", "请求reqId超长"}
	errTemplateDigits = &refusal{"160057", "短信模板ID要求为数字"}
)

// route is the path of TemplateSMS, split at its slashes.
var route = [...]string{"", Version, "Accounts", "{accountSid}", "SMS", "TemplateSMS"}

// checkRoute returns the HTTP status of a request that is not a POST to
// TemplateSMS (405, 404), and 200 for one that is, whatever its version.
func checkRoute(r *http.Request) int {
	if r.Method != http.MethodPost {
		return http.StatusMethodNotAllowed
	}
	p := strings.Split(r.URL.Path, "/")
	if len(p) != len(route) || p[0] != "" || p[1] == "" || p[3] == "" {
		return http.StatusNotFound
	}
	for _, i := range [...]int{2, 4, 5} {
		if p[i] != route[i] {
			return http.StatusNotFound
		}
	}
	return http.StatusOK
}

// authenticate checks the version, the Authorization header and the sig of
// a request to TemplateSMS, against the account and the clock now.
func (s *Server) authenticate(r *http.Request, now time.Time) *refusal {
	p := strings.Split(r.URL.Path, "/")
	version, account := p[1], p[3]
	if version != Version {
		return errVersion
	}
	authSID, ts, e := parseAuthorization(r.Header.Get("Authorization"))
	if e != nil {
		return e
	}
	if authSID != account {
		return errAccountsDiffer
	}
	sig := r.URL.Query().Get("sig")
	if sig == "" {
		return errSigEmpty
	}
	if account != s.cfg.AccountSID {
		return errAccount
	}
	t, err := time.ParseInLocation(TimestampLayout, ts, china.Beijing)
	if err != nil {
		return errTimeFormat
	}
	if d := now.Sub(t); d > TimestampValidity || d < -TimestampValidity {
		return errExpired
	}
	if !sigMatches(sig, Sig(s.cfg.AccountSID, s.cfg.AuthToken, ts)) {
		return errSig
	}
	return nil
}

// Sig returns the sig of a request of account with token at timestamp ts:
// the MD5 of the three, in upper-case hex.
func Sig(account, token, ts string) string {
	sum := md5.Sum([]byte(account + token + ts))
	return strings.ToUpper(hex.EncodeToString(sum[:]))
}

// Authorization returns the Authorization header of a request of account
// at timestamp ts.
func Authorization(account, ts string) string {
	return base64.StdEncoding.EncodeToString([]byte(account + ":" + ts))
}

// sigMatches compares a request's sig with the expected one, without
// regard to case and in constant time.
func sigMatches(got, want string) bool {
	return subtle.ConstantTimeCompare([]byte(strings.ToUpper(got)), []byte(want)) == 1
}

// parseAuthorization decodes an Authorization header, base64 in the
// standard or URL-safe alphabet, padded or not, into its account id and
// timestamp.
func parseAuthorization(h string) (account, ts string, e *refusal) {
	h = strings.TrimSpace(h)
	if h == "" {
		return "", "", errAuthEmpty
	}
	var (
		b   []byte
		err error
	)
	for _, enc := range [...]*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
		if b, err = enc.DecodeString(h); err == nil {
			break
		}
	}
	if err != nil {
		return "", "", errAuthBase64
	}
	account, ts, ok := strings.Cut(string(b), ":")
	switch {
	case !ok:
		return "", "", errAuthFormat
	case account == "":
		return "", "", errAuthAccount
	case ts == "":
		return "", "", errAuthTime
	}
	return account, ts, nil
}

// sendRequest is the JSON body of TemplateSMS.
type sendRequest struct {
	To         string   `json:"to"`
	AppID      string   `json:"appId"`
	TemplateID string   `json:"templateId"`
	Datas      []string `json:"datas"`
	ReqID      string   `json:"reqId"`
	SubAppend  string   `json:"subAppend"`

	numbers []string // To split at the commas
}

// parse reads and checks the body of a TemplateSMS request.
func (s *Server) parse(contentType string, body []byte) (*sendRequest, *refusal) {
	if len(strings.TrimSpace(string(body))) == 0 {
		return nil, errBodyEmpty
	}
	if strings.Contains(strings.ToLower(contentType), "xml") {
		return nil, errParse // the fake speaks JSON only
	}
	var req sendRequest
	if err := json.Unmarshal(body, &req); err != nil {
		return nil, errParse
	}
	switch {
	case req.AppID == "":
		return nil, errAppEmpty
	case req.AppID != s.cfg.AppID:
		return nil, errApp
	case req.To == "":
		return nil, errToEmpty
	case req.TemplateID == "":
		return nil, errTemplateEmpty
	case !digits(req.TemplateID):
		return nil, errTemplateDigits
	}
	req.numbers = strings.Split(req.To, ",")
	if len(req.numbers) > MaxPhoneNumbers {
		return nil, errTooMany
	}
	for _, n := range req.numbers {
		if !Mainland(n) {
			return nil, errNumber
		}
	}
	if len(req.ReqID) > MaxReqIDLen {
		return nil, errReqIDLong
	}
	return &req, nil
}

// Mainland reports whether n is a mainland China mobile number as the
// service takes it: 11 digits starting with 1.
func Mainland(n string) bool { return len(n) == 11 && n[0] == '1' && digits(n) }

// digits reports whether s is a non-empty string of ASCII digits.
func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
