package console

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/seed4ddb146e/notify/shared/notify"
	"github.com/seed4ddb146e/notify/shared/provider/sandbox"
)

const pageSize = 20

// messagesData is the Messages page.
type messagesData struct {
	Q                                                    url.Values
	Messages                                             []*notify.Message
	Total, Page, Pages                                   int
	Prev, Next                                           string
	Channels, Statuses                                   []string
	Recipient, MessageID, ProviderID, Channel, Status, D string
}

// messages lists the group's messages, newest first, narrowed by the
// search form.
func (k *Console) messages(w http.ResponseWriter, r *http.Request, s session, g *notify.Group) {
	q := r.URL.Query()
	d := messagesData{Q: q, Channels: []string{"", "sms", "tts", "mail"},
		Statuses:  []string{"", "accepted", "submitted", "delivered", "failed", "unknown"},
		Recipient: strings.TrimSpace(q.Get("to")), MessageID: strings.TrimSpace(q.Get("id")),
		ProviderID: strings.TrimSpace(q.Get("pid")), Channel: q.Get("channel"), Status: q.Get("status"), D: q.Get("date")}
	mq := notify.MessageQuery{GroupID: g.ID, Channel: notify.Channel(d.Channel), Status: notify.Status(d.Status),
		MessageID: d.MessageID, ProviderID: d.ProviderID, Recipient: d.Recipient, Limit: pageSize}
	if p, ok := notify.NormalizePhone(d.Recipient); ok {
		mq.Recipient = p
	}
	if !slices.Contains(d.Channels, d.Channel) || !slices.Contains(d.Statuses, d.Status) {
		k.render(w, r, s, "messages", http.StatusBadRequest, d, translate(lang(s.Lang), "bad_filter"))
		return
	}
	if d.D != "" {
		day, err := time.ParseInLocation("2006-01-02", d.D, notify.Beijing)
		if err != nil {
			k.render(w, r, s, "messages", http.StatusBadRequest, d, translate(lang(s.Lang), "bad_date"))
			return
		}
		mq.From, mq.To = day, day.AddDate(0, 0, 1)
	}
	d.Page, _ = strconv.Atoi(q.Get("page"))
	d.Page = min(max(d.Page, 1), 10000)
	mq.Offset = (d.Page - 1) * pageSize
	ms, total, err := k.c.Store.FindMessages(r.Context(), mq)
	if err != nil {
		k.c.Log.WarnContext(r.Context(), "console: find messages", "err", err)
		k.render(w, r, s, "messages", http.StatusServiceUnavailable, d, translate(lang(s.Lang), "store_down"))
		return
	}
	d.Messages, d.Total = ms, total
	d.Pages = max(1, (total+pageSize-1)/pageSize)
	link := func(p int) string {
		v := url.Values{}
		for key, vs := range q {
			if key != "page" && key != "lang" {
				v[key] = vs
			}
		}
		v.Set("page", strconv.Itoa(p))
		return "?" + v.Encode()
	}
	if d.Page > 1 {
		d.Prev = link(d.Page - 1)
	}
	if d.Page < d.Pages {
		d.Next = link(d.Page + 1)
	}
	k.render(w, r, s, "messages", http.StatusOK, d, "")
}

// step is one line of a message's timeline.
type step struct {
	At         time.Time
	What, Who  string
	Status     string
	Code, Text string
}

// messageData is a message's page.
type messageData struct {
	M          *notify.Message
	Params     string // "" for a verification code's
	Recipients []notify.RecipientStatus
	Timeline   []step
}

// message shows one of the group's messages: its recipients' states and
// its timeline. Another group's message is not found.
func (k *Console) message(w http.ResponseWriter, r *http.Request, s session, g *notify.Group) {
	ctx := r.Context()
	m, err := k.c.Store.Message(ctx, r.PathValue("id"))
	if err != nil || m.GroupID != g.ID {
		status, text := http.StatusNotFound, translate(lang(s.Lang), "not_found")
		if err != nil && notify.KindOf(err) != notify.NotFound {
			status, text = http.StatusServiceUnavailable, translate(lang(s.Lang), "store_down")
		}
		k.render(w, r, s, "message", status, nil, text)
		return
	}
	reports, err := k.c.Store.Reports(ctx, m.ID)
	if err == nil {
		var evs []notify.Event
		if evs, err = k.c.Store.MessageEvents(ctx, m.ID); err == nil {
			k.render(w, r, s, "message", http.StatusOK, timeline(m, reports, evs), "")
			return
		}
	}
	k.c.Log.WarnContext(ctx, "console: read a message's history", "message_id", m.ID, "err", err)
	k.render(w, r, s, "message", http.StatusServiceUnavailable, nil, translate(lang(s.Lang), "store_down"))
}

// timeline is m's page: recorded, the provider's answer (or the
// gateway's refusal, when no provider saw it), each report and each
// webhook delivery, in time order. A code's parameters are never
// shown (the record keeps them redacted anyway).
func timeline(m *notify.Message, reports []notify.Report, evs []notify.Event) messageData {
	d := messageData{M: m, Params: m.Params, Recipients: notify.RecipientStates(m, reports)}
	if strings.Contains(m.Params, "REDACTED") {
		d.Params = ""
	}
	d.Timeline = append(d.Timeline, step{At: m.CreatedAt, What: "recorded", Status: string(notify.Accepted)})
	switch {
	case m.Refused():
		// No provider saw it, so none answered.
		d.Timeline = append(d.Timeline, step{At: m.UpdatedAt, What: "refused", Status: string(m.Status),
			Code: m.ErrorCode, Text: m.ErrorText})
	case m.Answer != "":
		// The answer as the provider gave it, at its time; its error
		// only while no report has replaced it with its own.
		st := step{At: m.AnsweredAt, What: "outcome", Who: m.Provider, Status: string(m.Answer)}
		if m.Answer == m.Status {
			st.Code, st.Text = m.ErrorCode, m.ErrorText
		}
		d.Timeline = append(d.Timeline, st)
	case m.Status != notify.Accepted:
		// A record from before answers were kept: its latest status.
		d.Timeline = append(d.Timeline, step{At: m.UpdatedAt, What: "outcome", Who: m.Provider, Status: string(m.Status),
			Code: m.ErrorCode, Text: m.ErrorText})
	}
	for _, rp := range reports {
		d.Timeline = append(d.Timeline, step{At: rp.ReceivedAt, What: "report", Who: rp.Recipient, Status: string(rp.Status),
			Code: rp.Code, Text: rp.Text})
	}
	for _, e := range evs {
		at := e.At
		if !e.DeliveredAt.IsZero() {
			at = e.DeliveredAt
		}
		text := e.LastError
		if e.State == notify.EventPending {
			// Dated: the later attempts are hours apart, often on
			// another day than the step's.
			text = strings.TrimSpace(text + " next " + when(e.NextAt))
		}
		d.Timeline = append(d.Timeline, step{At: at, What: "webhook", Who: e.Type + " " + e.Recipient, Status: e.State,
			Code: strconv.Itoa(e.Attempts) + "×" + strconv.Itoa(e.LastStatus), Text: text})
	}
	slices.SortStableFunc(d.Timeline, func(a, b step) int { return a.At.Compare(b.At) })
	return d
}

// inbox shows what the sandbox would have sent for the group: only where
// a channel has no provider, a local run.
func (k *Console) inbox(w http.ResponseWriter, r *http.Request, s session, g *notify.Group) {
	if !k.c.Inbox.Used() {
		k.render(w, r, s, "inbox", http.StatusNotFound, nil, translate(lang(s.Lang), "no_inbox"))
		return
	}
	var mine []sandbox.Letter
	for _, l := range k.c.Inbox.Letters() {
		if m, err := k.c.Store.Message(r.Context(), l.MessageID); err == nil && m.GroupID == g.ID {
			mine = append(mine, l)
		}
		if len(mine) == 50 {
			break
		}
	}
	k.render(w, r, s, "inbox", http.StatusOK, mine, "")
}

// stationsPageSize is how many stations a page of the Stations page
// lists: as many as a page of the store's listing holds.
const stationsPageSize = notify.MaxPageLimit

// stationsData is the SaaS platform's stations page.
type stationsData struct {
	Combos    []notify.Combo
	Stations  []notify.StationFigures
	Recharges []notify.Recharge
	Station   string
	Done      bool
	// Page is the page of the stations listed, from 1; Prev and Next
	// are the queries of the pages before and after it, "" for none.
	Page       int
	Prev, Next string
}

func (k *Console) saas(s session, g *notify.Group) bool {
	return k.c.Service != nil && k.c.Service.SaaSGroupID() == g.ID
}

// stations lists the stations' balances and a station's recharges.
func (k *Console) stations(w http.ResponseWriter, r *http.Request, s session, g *notify.Group) {
	if !k.saas(s, g) {
		k.render(w, r, s, "stations", http.StatusNotFound, nil, translate(lang(s.Lang), "not_saas"))
		return
	}
	q := r.URL.Query()
	k.renderStations(w, r, s, q.Get("station"), q.Get("done") == "1", http.StatusOK, "")
}

// renderStations writes the Stations page: the page of stations the
// query's page names (the first when none), and station's recharges.
func (k *Console) renderStations(w http.ResponseWriter, r *http.Request, s session, station string, done bool, status int, errText string) {
	ctx, key := r.Context(), notify.Secret(s.Key)
	d := stationsData{Station: station, Done: done}
	d.Combos, _ = k.c.Service.Combos(key)
	// The store skips at most 100,000 stations: the last page is the one
	// that starts there.
	const lastPage = 100_000/stationsPageSize + 1
	d.Page, _ = strconv.Atoi(r.URL.Query().Get("page"))
	d.Page = min(max(d.Page, 1), lastPage)
	var (
		more bool
		err  error
	)
	d.Stations, more, err = k.c.Service.StationFigures(ctx, key, notify.StationQuery{Page: notify.Page{
		Limit: stationsPageSize, Offset: (d.Page - 1) * stationsPageSize}})
	if d.Page > 1 {
		d.Prev = stationsLink(d.Page-1, station)
	}
	if more && d.Page < lastPage {
		d.Next = stationsLink(d.Page+1, station)
	}
	if err == nil && station != "" {
		d.Recharges, _, err = k.c.Service.RechargeRecords(ctx, key, notify.RechargeQuery{Station: station,
			Page: notify.Page{Limit: 50}})
	}
	if err != nil && errText == "" {
		status, errText = failure(lang(s.Lang), err)
	}
	k.render(w, r, s, "stations", status, d, errText)
}

// stationsLink is the query of page p of the Stations page, with the
// recharges of station when it is not "".
func stationsLink(p int, station string) string {
	v := url.Values{}
	if p > 1 {
		v.Set("page", strconv.Itoa(p))
	}
	if station != "" {
		v.Set("station", station)
	}
	return "?" + v.Encode()
}

// failure is the status and the text of a page that err stopped: the
// field at fault and what is wrong with it for what the request got
// wrong, and "the database is not answering" for the rest.
func failure(l string, err error) (int, string) {
	e := notify.AsError(err)
	status := http.StatusBadRequest
	switch e.Kind {
	case notify.Invalid, notify.NotFound, notify.Insufficient:
	case notify.Conflict:
		status = http.StatusConflict
	case notify.Forbidden:
		status = http.StatusForbidden
	default:
		return http.StatusServiceUnavailable, translate(l, "store_down")
	}
	text := e.Error()
	if e.Err != nil {
		text = e.Err.Error()
		if e.Field != "" {
			text = e.Field + ": " + text
		}
	}
	return status, text
}

// recharge credits a station, as POST /sms/recharge does: a deal code
// given twice credits once. A recharge that went through is answered with
// a redirect to the station's page, which says so (done=1): reloading the
// page then reads it again, and does not post the form a second time.
func (k *Console) recharge(w http.ResponseWriter, r *http.Request, s session, g *notify.Group) {
	if !k.saas(s, g) {
		k.render(w, r, s, "stations", http.StatusNotFound, nil, translate(lang(s.Lang), "not_saas"))
		return
	}
	units, err := strconv.ParseInt(r.PostFormValue("units"), 10, 64)
	station := strings.TrimSpace(r.PostFormValue("station"))
	if err != nil {
		k.renderStations(w, r, s, station, false, http.StatusBadRequest, "units: "+translate(lang(s.Lang), "bad_number"))
		return
	}
	combo, _ := strconv.ParseInt(r.PostFormValue("combo"), 10, 64)
	_, err = k.c.Service.Recharge(r.Context(), notify.RechargeRequest{Key: notify.Secret(s.Key), ComboID: combo,
		Station: station, Units: units, Money: r.PostFormValue("money"), Operator: s.Group + " (console)",
		DealCode: r.PostFormValue("deal_code"), Remark: r.PostFormValue("remark")})
	if err != nil {
		status, text := failure(lang(s.Lang), err)
		k.renderStations(w, r, s, station, false, status, text)
		return
	}
	v := url.Values{"station": {station}, "done": {"1"}}
	if p, err := strconv.Atoi(r.URL.Query().Get("page")); err == nil && p > 1 {
		v.Set("page", strconv.Itoa(p)) // the page the form was on
	}
	http.Redirect(w, r, k.c.Base+"stations?"+v.Encode(), http.StatusSeeOther)
}
