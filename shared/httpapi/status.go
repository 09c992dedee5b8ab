package httpapi

import (
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/seed4ddb146e/notify/shared/notify"
)

// statusEndpoint serves GET /<channel>/status: a caller's messages with
// their recipients' states and history.
type statusEndpoint struct {
	svc     *notify.Service
	channel notify.Channel
	log     *slog.Logger
	// providerIDField and recipientField are the query parameters that
	// name the provider's id and a recipient on this channel.
	providerIDField, recipientField string
}

type statusReply struct {
	Code       string
	Message    string
	TotalCount int
	Page       int
	PageSize   int
	Messages   []statusMessage
}

// statusMessage is a message as a status query shows it. Template
// parameters are left out: they may hold verification codes.
type statusMessage struct {
	MessageId    string
	Status       notify.Status
	Provider     string
	ProviderId   string
	SignName     string `json:",omitempty"`
	TemplateCode string `json:",omitempty"`
	OutId        string `json:",omitempty"`
	ErrorCode    string `json:",omitempty"`
	ErrorMessage string `json:",omitempty"`
	Sandbox      bool   `json:",omitempty"`
	CreatedAt    time.Time
	UpdatedAt    time.Time
	Recipients   []recipientStatus
	History      []statusEvent
	// Webhooks are the message's events to its group's webhook and
	// where their delivery stands; none when the group has no webhook.
	Webhooks []webhookStatus `json:",omitempty"`
}

type webhookStatus struct {
	EventId     string
	Type        string
	Recipient   string
	State       string
	Attempts    int
	LastStatus  int        `json:",omitempty"`
	LastError   string     `json:",omitempty"`
	NextAt      *time.Time `json:",omitempty"`
	DeliveredAt *time.Time `json:",omitempty"`
}

type recipientStatus struct {
	Recipient string
	Status    notify.Status
	Code      string     `json:",omitempty"`
	Message   string     `json:",omitempty"`
	At        *time.Time `json:",omitempty"`
}

type statusEvent struct {
	Recipient  string
	Status     notify.Status
	Code       string     `json:",omitempty"`
	Message    string     `json:",omitempty"`
	At         *time.Time `json:",omitempty"`
	ReceivedAt time.Time
}

func (e *statusEndpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		writeError(w, r, e.log, &httpError{status: http.StatusMethodNotAllowed, err: &notify.Error{Op: "decode", Kind: notify.Invalid,
			Reason: notify.ReasonMethodNotAllowed, Err: fmt.Errorf("method %s not allowed; use GET", r.Method)}}, "", "")
		return
	}
	q := r.URL.Query()
	req := notify.StatusRequest{Channel: e.channel, MessageID: q.Get("MessageId"), ProviderID: q.Get(e.providerIDField),
		Recipient: q.Get(e.recipientField), SendDate: q.Get("SendDate"),
		ProviderIDField: e.providerIDField, RecipientField: e.recipientField}
	req.GroupID = q.Get("GroupID")
	if req.GroupID == "" {
		req.GroupID = q.Get("group_id")
	}
	req.Key = bearerKey(r)
	for _, p := range []struct {
		name string
		dst  *int
	}{{"Page", &req.Page}, {"PageSize", &req.PageSize}} {
		if v := q.Get(p.name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil {
				writeError(w, r, e.log, requestError(http.StatusBadRequest, p.name, notify.ReasonInvalidField, "must be a whole number"), "", "")
				return
			}
			*p.dst = n
		}
	}
	page, err := e.svc.Status(r.Context(), req)
	if err != nil {
		writeError(w, r, e.log, &httpError{err: notify.AsError(err)}, "", "")
		return
	}
	rep := statusReply{Code: "OK", Message: "OK", TotalCount: page.Total, Page: page.Page, PageSize: page.PageSize,
		Messages: make([]statusMessage, 0, len(page.Messages))}
	for _, m := range page.Messages {
		sm := statusMessage{MessageId: m.ID, Status: m.Status, Provider: m.Provider, ProviderId: m.ProviderID,
			SignName: m.SignName, TemplateCode: m.Template, OutId: m.OutID, ErrorCode: m.ErrorCode, ErrorMessage: m.ErrorText,
			Sandbox: m.Sandbox, CreatedAt: m.CreatedAt, UpdatedAt: m.UpdatedAt}
		for _, rs := range m.Recipients {
			sm.Recipients = append(sm.Recipients, recipientStatus{Recipient: rs.Recipient, Status: rs.Status, Code: rs.Code,
				Message: rs.Text, At: timeOrNil(rs.At)})
		}
		for _, h := range m.History {
			sm.History = append(sm.History, statusEvent{Recipient: h.Recipient, Status: h.Status, Code: h.Code, Message: h.Text,
				At: timeOrNil(h.At), ReceivedAt: h.ReceivedAt})
		}
		for _, ev := range m.Events {
			ws := webhookStatus{EventId: ev.ID, Type: ev.Type, Recipient: ev.Recipient, State: ev.State,
				Attempts: ev.Attempts, LastStatus: ev.LastStatus, LastError: ev.LastError,
				DeliveredAt: timeOrNil(ev.DeliveredAt)}
			if ev.State == notify.EventPending {
				ws.NextAt = timeOrNil(ev.NextAt)
			}
			sm.Webhooks = append(sm.Webhooks, ws)
		}
		rep.Messages = append(rep.Messages, sm)
	}
	writeJSON(w, http.StatusOK, rep)
}

func timeOrNil(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}
