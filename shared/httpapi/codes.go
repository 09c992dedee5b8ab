package httpapi

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"

	"github.com/seed4ddb146e/notify/shared/notify"
)

// codeSendBody is a POST /sms/code/send body.
type codeSendBody struct {
	GroupID      json.RawMessage
	PhoneNumber  json.RawMessage
	Scene        json.RawMessage
	SignName     json.RawMessage
	TemplateCode json.RawMessage
	Channel      json.RawMessage
}

// codeVerifyBody is a POST /sms/code/verify body.
type codeVerifyBody struct {
	GroupID     json.RawMessage
	PhoneNumber json.RawMessage
	Scene       json.RawMessage
	Code        json.RawMessage
}

// codeSentReply is the reply to a code sent: as POST /sms's (or /tts's,
// CallId for BizId), with how long the code is accepted. Never the code.
type codeSentReply struct {
	Code         string
	Message      string
	RequestId    string
	BizId        string `json:",omitempty"`
	CallId       string `json:",omitempty"`
	MessageId    string
	Provider     string `json:",omitempty"`
	ProviderCode string `json:",omitempty"`
	ExpiresIn    int    // seconds
	Sandbox      bool   `json:",omitempty"`
	Warning      string `json:",omitempty"`
}

// codeCheckReply is the reply to a verify.
type codeCheckReply struct {
	Code         string
	Message      string
	Verified     bool
	Reason       string `json:",omitempty"`
	AttemptsLeft *int   `json:",omitempty"`
}

// DecodeCodeSend turns a POST /sms/code/send body into a CodeRequest
// (credentials aside). PhoneNumber may be a string or a JSON number;
// Channel is "sms" (the default) or "tts".
func DecodeCodeSend(body []byte) (notify.CodeRequest, error) {
	var b codeSendBody
	if he := decodeObject(body, &b); he != nil {
		return notify.CodeRequest{}, he.err
	}
	var r notify.CodeRequest
	var ch string
	err := scalars(field{b.GroupID, "GroupID", &r.GroupID}, field{b.PhoneNumber, "PhoneNumber", &r.PhoneNumber},
		field{b.Scene, "Scene", &r.Scene}, field{b.SignName, "SignName", &r.SignName},
		field{b.TemplateCode, "TemplateCode", &r.TemplateCode}, field{b.Channel, "Channel", &ch})
	r.PhoneNumber, r.Scene = strings.TrimSpace(r.PhoneNumber), strings.TrimSpace(r.Scene)
	r.Channel = notify.Channel(strings.ToLower(strings.TrimSpace(ch)))
	return r, err
}

// DecodeCodeVerify turns a POST /sms/code/verify body into a VerifyRequest
// (credentials aside). Code may be a string or a JSON number only when it
// has no leading zero; send it as a string.
func DecodeCodeVerify(body []byte) (notify.VerifyRequest, error) {
	var b codeVerifyBody
	if he := decodeObject(body, &b); he != nil {
		return notify.VerifyRequest{}, he.err
	}
	var r notify.VerifyRequest
	err := scalars(field{b.GroupID, "GroupID", &r.GroupID}, field{b.PhoneNumber, "PhoneNumber", &r.PhoneNumber},
		field{b.Scene, "Scene", &r.Scene}, field{b.Code, "Code", &r.Code})
	r.PhoneNumber, r.Scene, r.Code = strings.TrimSpace(r.PhoneNumber), strings.TrimSpace(r.Scene), strings.TrimSpace(r.Code)
	return r, err
}

// codeRoutes adds POST /sms/code/send and POST /sms/code/verify to mux.
func codeRoutes(mux *http.ServeMux, svc *notify.Service, log *slog.Logger) {
	mux.Handle("/sms/code/send", &endpoint{svc: svc, channel: notify.SMS, log: log, limit: MaxBodyBytes, idField: "BizId",
		send: func(r *http.Request, body []byte) (notify.Sent, error) {
			req, err := DecodeCodeSend(body)
			if err != nil {
				return notify.Sent{}, err
			}
			req.Key = bearerKey(r)
			return svc.SendCode(r.Context(), req)
		},
		reply: func(s notify.Sent) any {
			code, providerCode, requestID := successOf(s)
			rep := codeSentReply{Code: code, Message: s.Message, RequestId: requestID, MessageId: s.MessageID,
				Provider: s.Provider, ProviderCode: providerCode, ExpiresIn: int(svc.CodeTTL().Seconds()), Sandbox: s.Sandbox, Warning: warning(s)}
			if s.Channel == notify.Voice {
				rep.CallId = s.ProviderID
			} else {
				rep.BizId = s.ProviderID
			}
			return rep
		},
	})
	mux.HandleFunc("/sms/code/verify", func(w http.ResponseWriter, r *http.Request) {
		body, he := readJSON(w, r, MaxBodyBytes)
		if he != nil {
			writeError(w, r, log, he, "", "")
			return
		}
		req, err := DecodeCodeVerify(body)
		if err == nil {
			req.Key = bearerKey(r)
			var res notify.CodeResult
			if res, err = svc.VerifyCode(r.Context(), req); err == nil {
				writeCodeCheck(w, res)
				return
			}
		}
		writeError(w, r, log, &httpError{err: notify.AsError(err)}, "", "")
	})
}

// writeCodeCheck replies to a verify: 200 when the code verified, 429 once
// it is void from too many attempts (the last wrong attempt included), 400
// otherwise, with the Reason, and AttemptsLeft after a wrong code.
func writeCodeCheck(w http.ResponseWriter, res notify.CodeResult) {
	if res.Verified {
		writeJSON(w, http.StatusOK, codeCheckReply{Code: "OK", Message: "OK", Verified: true})
		return
	}
	status, msg := http.StatusBadRequest, "the code is not the one sent"
	if res.Reason == notify.CodeMismatch && res.AttemptsLeft == 0 {
		// The last attempt was wrong: the code is void from now on.
		res.Reason = notify.CodeAttemptsExceeded
	}
	switch res.Reason {
	case notify.CodeExpired:
		msg = "the code has expired; ask for a new one"
	case notify.CodeNotFound:
		msg = "no code is waiting for this number and scene: it was never sent, already used, or replaced"
	case notify.CodeAttemptsExceeded:
		status, msg = http.StatusTooManyRequests, "too many wrong attempts: the code is void; ask for a new one"
	}
	rep := codeCheckReply{Code: "ERROR", Message: msg, Verified: false, Reason: res.Reason}
	if res.Reason == notify.CodeMismatch {
		left := res.AttemptsLeft
		rep.AttemptsLeft = &left
	}
	writeJSON(w, status, rep)
}
