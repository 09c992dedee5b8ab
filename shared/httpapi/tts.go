package httpapi

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/seed4ddb146e/notify/shared/notify"
)

// ttsBody is the legacy API's POST /tts request (docs/legacy.md).
type ttsBody struct {
	GroupID          json.RawMessage
	CalledNumber     json.RawMessage
	CalledShowNumber json.RawMessage
	TtsCode          json.RawMessage
	TtsParam         json.RawMessage
	PlayTimes        json.RawMessage
	Volume           json.RawMessage
	Speed            json.RawMessage
	OutID            json.RawMessage `json:"OutId"`
}

// ttsReply is the legacy API's success reply: Aliyun's own values plus our
// MessageId.
type ttsReply struct {
	RequestId string
	CallId    string
	Code      string
	Message   string
	MessageId string
	Sandbox   bool   `json:",omitempty"`
	Warning   string `json:",omitempty"`
}

// DecodeTTS turns a POST /tts body into a VoiceRequest (credentials aside).
// CalledNumber may be a string or a JSON number; TtsParam an object, a string
// holding one, or a bare code; the numbers may be strings of digits.
func DecodeTTS(body []byte) (notify.VoiceRequest, error) {
	var b ttsBody
	if he := decodeObject(body, &b); he != nil {
		return notify.VoiceRequest{}, he.err
	}
	var r notify.VoiceRequest
	err := scalars(field{b.GroupID, "GroupID", &r.GroupID}, field{b.CalledNumber, "CalledNumber", &r.CalledNumber},
		field{b.CalledShowNumber, "CalledShowNumber", &r.CalledShowNumber}, field{b.TtsCode, "TtsCode", &r.TtsCode},
		field{b.OutID, "OutId", &r.OutID})
	if err != nil {
		return r, err
	}
	if r.Params, err = templateParams(b.TtsParam, "TtsParam"); err != nil {
		return r, err
	}
	for _, f := range []struct {
		raw   json.RawMessage
		name  string
		value **int
	}{{b.PlayTimes, "PlayTimes", &r.PlayTimes}, {b.Volume, "Volume", &r.Volume}, {b.Speed, "Speed", &r.Speed}} {
		if *f.value, err = optionalInt(f.raw, f.name); err != nil {
			return r, err
		}
	}
	return r, nil
}

// optionalInt decodes an integer given as a JSON number or a string of
// digits; absent, null or "" is nil.
func optionalInt(raw json.RawMessage, field string) (*int, error) {
	s, err := scalar(raw, field)
	if err != nil || s == "" {
		return nil, err
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return nil, notify.Invalidf(field, notify.ReasonInvalidField, "must be a whole number")
	}
	return &n, nil
}

// TTS returns the tts function's handler: POST /tts.
func TTS(svc *notify.Service, log *slog.Logger) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/tts", &endpoint{svc: svc, channel: notify.Voice, log: logOrDiscard(log), limit: MaxBodyBytes, idField: "CallId",
		send: func(r *http.Request, body []byte) (notify.Sent, error) {
			req, err := DecodeTTS(body)
			if err != nil {
				return notify.Sent{}, err
			}
			req.Key = bearerKey(r)
			return svc.SendVoice(r.Context(), req)
		},
		reply: func(s notify.Sent) any {
			return ttsReply{RequestId: s.RequestID, CallId: s.ProviderID, Code: s.Code, Message: s.Message,
				MessageId: s.MessageID, Sandbox: s.Sandbox, Warning: warning(s)}
		},
	})
	mux.Handle("/tts/status", &statusEndpoint{svc: svc, channel: notify.Voice, log: logOrDiscard(log),
		providerIDField: "CallId", recipientField: "CalledNumber"})
	openAPIRoute(mux, logOrDiscard(log))
	notFound := NotFound(logOrDiscard(log), "POST /tts, GET /tts/status, GET "+OpenAPIPath)
	mux.HandleFunc("/", notFound)
	return CleanPaths(mux, notFound)
}
