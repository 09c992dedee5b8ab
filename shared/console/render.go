package console

import (
	"html"
	"strconv"
	"strings"
	"time"

	"github.com/seed4ddb146e/notify/shared/notify"
	"github.com/seed4ddb146e/notify/shared/provider/sandbox"
)

// The pages are written in Go, not html/template: text/template reaches
// methods by reflection, which makes the linker keep every method of every
// type in the binary, and the callback function that serves the console
// grew by 5 MB (a third) with it. out escapes every value it is given;
// markup is only ever a constant of this file.

// out builds a page.
type out struct {
	b strings.Builder
	l string // the page's language
}

// m writes markup, a constant of this file.
func (o *out) m(s string) *out { o.b.WriteString(s); return o }

// v writes a value, escaped for text and for a quoted attribute.
func (o *out) v(s string) *out { o.b.WriteString(html.EscapeString(s)); return o }

// t writes a text of the page's language.
func (o *out) t(key string) *out { return o.v(translate(o.l, key)) }

func (o *out) n(n int64) *out { o.b.WriteString(strconv.FormatInt(n, 10)); return o }

func when(t time.Time) string { return t.In(notify.Beijing).Format("2006-01-02 15:04:05") }

// page writes p's whole page around body.
func (k *Console) page(p page, body func(o *out)) string {
	o := &out{l: p.Lang}
	base := k.c.Base
	htmlLang := "zh-CN"
	if p.Lang == "en" {
		htmlLang = "en"
	}
	o.m(`<!doctype html><html lang="`).v(htmlLang).m(`"><head><meta charset="utf-8">`).
		m(`<meta name="viewport" content="width=device-width, initial-scale=1"><title>`).t("title").
		m(`</title><link rel="icon" href="data:,"><link rel="stylesheet" href="`).v(base).m(`static/console.css"></head><body><header><strong>`).
		t("title").m(`</strong>`)
	if p.Group != "" {
		o.m(`<nav><a href="`).v(base).m(`messages" id="nav-messages">`).t("messages").m(`</a> <a href="`).v(base).
			m(`charts" id="nav-charts">`).t("charts").m(`</a>`)
		if p.Inbox {
			o.m(` <a href="`).v(base).m(`inbox" id="nav-inbox">`).t("inbox").m(`</a>`)
		}
		if p.SaaS {
			o.m(` <a href="`).v(base).m(`stations" id="nav-stations">`).t("stations").m(`</a>`)
		}
		o.m(`</nav><span class="who">`).v(p.Group).m(`</span><form method="post" action="`).v(base).
			m(`logout" class="inline"><input type="hidden" name="csrf" value="`).v(p.CSRF).m(`"><button>`).t("signout").
			m(`</button></form>`)
	}
	o.m(`<a class="lang" href="`).v(p.Switch).m(`">`).t("lang").m(`</a></header><main>`)
	if p.Error != "" {
		o.m(`<p class="error" role="alert">`).v(p.Error).m(`</p>`)
	}
	if body != nil {
		body(o)
	}
	o.m(`</main></body></html>`)
	return o.b.String()
}

func (k *Console) loginBody(p page) func(o *out) {
	return func(o *out) {
		o.m(`<form method="post" action="`).v(k.c.Base).m(`login" class="card" id="login"><h1>`).t("signin").
			m(`</h1><input type="hidden" name="lang" value="`).v(p.Lang).m(`"><label>`).t("group").
			m(` <input name="group" id="group" required autocomplete="username"></label><label>`).t("key").
			m(` <input name="key" id="key" type="password" autocomplete="current-password"></label><button id="signin">`).
			t("signin").m(`</button></form>`)
	}
}

// input writes a labelled text input.
func input(o *out, label, name, value, typ string) {
	o.m(`<label>`).t(label).m(` <input name="`).v(name).m(`" value="`).v(value).m(`" type="`).v(typ).m(`"></label>`)
}

// options writes a labelled select of values, "" shown as any.
func options(o *out, label, name, selected string, values []string) {
	o.m(`<label>`).t(label).m(` <select name="`).v(name).m(`">`)
	for _, v := range values {
		o.m(`<option value="`).v(v).m(`"`)
		if v == selected {
			o.m(` selected`)
		}
		o.m(`>`)
		if v == "" {
			o.t("any")
		} else {
			o.v(v)
		}
		o.m(`</option>`)
	}
	o.m(`</select></label>`)
}

// head writes a table's head row.
func head(o *out, keys ...string) {
	o.m(`<thead><tr>`)
	for _, k := range keys {
		o.m(`<th>`)
		if k != "" {
			o.t(k)
		}
		o.m(`</th>`)
	}
	o.m(`</tr></thead>`)
}

func (k *Console) messagesBody(d messagesData) func(o *out) {
	return func(o *out) {
		o.m(`<form method="get" class="filters" id="search">`)
		input(o, "to", "to", d.Recipient, "text")
		input(o, "message_id", "id", d.MessageID, "text")
		input(o, "provider_id", "pid", d.ProviderID, "text")
		options(o, "channel", "channel", d.Channel, d.Channels)
		options(o, "status", "status", d.Status, d.Statuses)
		input(o, "date", "date", d.D, "date")
		o.m(`<button>`).t("search").m(`</button></form><p class="muted">`).t("total").m(` `).n(int64(d.Total)).
			m(` · `).t("page").m(` `).n(int64(d.Page)).m(`/`).n(int64(d.Pages)).m(`</p>`)
		if len(d.Messages) == 0 {
			o.m(`<p class="muted">`).t("empty").m(`</p>`)
		} else {
			o.m(`<table id="messages">`)
			head(o, "created", "channel", "recipients", "status", "provider", "message_id")
			o.m(`<tbody>`)
			for _, m := range d.Messages {
				o.m(`<tr><td>`).v(when(m.CreatedAt)).m(`</td><td>`).v(string(m.Channel)).m(`</td><td>`).
					v(strings.Join(m.Recipients, ", ")).m(`</td><td class="st-`).v(string(m.Status)).m(`">`).
					v(string(m.Status)).m(`</td><td>`).v(m.Provider)
				if m.Sandbox {
					o.m(` (sandbox)`)
				}
				o.m(`</td><td><a href="`).v(k.c.Base + "messages/" + m.ID).m(`">`).v(m.ID).m(`</a></td></tr>`)
			}
			o.m(`</tbody></table>`)
		}
		o.m(`<p>`)
		if d.Prev != "" {
			o.m(`<a href="`).v(d.Prev).m(`">`).t("prev").m(`</a> `)
		}
		if d.Next != "" {
			o.m(`<a href="`).v(d.Next).m(`" id="next">`).t("next").m(`</a>`)
		}
		o.m(`</p>`)
	}
}

func (k *Console) messageBody(d messageData) func(o *out) {
	return func(o *out) {
		m := d.M
		o.m(`<h1 id="message-id">`).v(m.ID).m(`</h1><p>`).v(string(m.Channel)).m(` · `).v(m.Provider).
			m(` · <span class="st-`).v(string(m.Status)).m(`">`).v(string(m.Status)).m(`</span>`)
		if m.OutID != "" {
			o.m(` · OutId `).v(m.OutID)
		}
		if m.Template != "" {
			o.m(` · `).v(m.Template)
		}
		o.m(`</p><h2>`).t("recipients").m(`</h2><table id="recipients"><tbody>`)
		for _, r := range d.Recipients {
			o.m(`<tr><td>`).v(r.Recipient).m(`</td><td class="st-`).v(string(r.Status)).m(`">`).v(string(r.Status)).
				m(`</td><td>`).v(r.Code).m(`</td><td>`).v(r.Text).m(`</td></tr>`)
		}
		o.m(`</tbody></table><h2>`).t("params").m(`</h2><p><code>`)
		if d.Params != "" {
			o.v(d.Params)
		} else {
			o.t("none")
		}
		o.m(`</code></p><h2>`).t("timeline").m(`</h2><ol class="timeline" id="timeline">`)
		for _, s := range d.Timeline {
			o.m(`<li class="step-`).v(s.What).m(`"><time>`).v(when(s.At)).m(`</time> <strong>`).t(s.What).
				m(`</strong> `).v(s.Who).m(` <span class="st-`).v(s.Status).m(`">`).v(s.Status).m(`</span> `).
				v(s.Code).m(` `).v(s.Text).m(`</li>`)
		}
		o.m(`</ol>`)
	}
}

func (k *Console) chartsBody(d chartsData) func(o *out) {
	return func(o *out) {
		o.m(`<form method="get" class="filters" id="range">`)
		input(o, "from", "from", d.From, "date")
		input(o, "until", "to", d.To, "date")
		o.m(`<button>`).t("draw").m(`</button></form>`)
		if d.Cut {
			o.m(`<p class="error">`).t("cut").m(`</p>`)
		}
		o.m(`<svg id="chart" viewBox="0 0 `).n(int64(max(d.Width, 10))).
			m(` 110" width="100%" height="240" preserveAspectRatio="none" role="img" aria-label="`).t("charts").m(`">`)
		for _, b := range d.Bars {
			o.m(`<rect class="`).v(b.Class).m(`" x="`).n(int64(b.X)).m(`" y="`).n(int64(b.Y)).m(`" width="`).
				n(int64(b.W)).m(`" height="`).n(int64(b.H)).m(`"><title>`).v(b.Title).m(`</title></rect>`)
		}
		o.m(`</svg><p class="legend"><span class="sent">■ `).t("sent").m(`</span> <span class="delivered">■ `).
			t("delivered").m(`</span> <span class="failed">■ `).t("failed").m(`</span></p><table id="figures">`)
		head(o, "date", "channel", "provider", "sent", "delivered", "failed", "unsettled", "rate", "median", "p95",
			"failovers", "limited", "refused_other")
		o.m(`<tbody>`)
		if len(d.Rows) == 0 {
			o.m(`<tr><td colspan="13" class="muted">`).t("empty").m(`</td></tr>`)
		}
		for _, r := range d.Rows {
			o.m(`<tr><td>`).v(r.Day).m(`</td><td>`).v(r.Channel).m(`</td><td>`).v(r.Provider).m(`</td>`)
			for _, n := range []int{r.Sent, r.Delivered, r.Failed, r.Unsettled} {
				o.m(`<td>`).n(int64(n)).m(`</td>`)
			}
			o.m(`<td>`).v(percent(r.Rate())).m(`</td><td>`).v(millis(r.Median)).m(`</td><td>`).v(millis(r.P95)).
				m(`</td><td>`).n(int64(r.Failovers)).m(`</td><td>`).n(int64(r.Limited)).m(`</td><td>`).
				n(int64(r.Refused)).m(`</td></tr>`)
		}
		o.m(`</tbody></table>`)
	}
}

func (k *Console) inboxBody(letters []sandbox.Letter) func(o *out) {
	return func(o *out) {
		o.m(`<p class="muted">`).t("inbox_note").m(`</p>`)
		if len(letters) == 0 {
			o.m(`<p class="muted">`).t("empty").m(`</p>`)
			return
		}
		o.m(`<table id="inbox">`)
		head(o, "created", "channel", "recipients", "", "params", "message_id")
		o.m(`<tbody>`)
		for _, l := range letters {
			o.m(`<tr><td>`).v(when(l.At)).m(`</td><td>`).v(string(l.Channel)).m(`</td><td>`).
				v(strings.Join(l.To, ", ")).m(`</td><td>`).v(l.SignName).m(` `).v(l.Template)
			if l.Subject != "" {
				o.t("subject").m(`: `).v(l.Subject)
			}
			o.m(`</td><td><code class="params">`).v(l.Params).v(l.Text).m(`</code></td><td><a href="`).
				v(k.c.Base + "messages/" + l.MessageID).m(`">`).v(l.MessageID).m(`</a></td></tr>`)
		}
		o.m(`</tbody></table>`)
	}
}

func (k *Console) stationsBody(p page, d stationsData) func(o *out) {
	return func(o *out) {
		if d.Done {
			o.m(`<p class="ok" role="status">`).t("done").m(`</p>`)
		}
		o.m(`<table id="stations">`)
		head(o, "station", "balance", "recharged")
		o.m(`<tbody>`)
		if len(d.Stations) == 0 {
			o.m(`<tr><td colspan="3" class="muted">`).t("empty").m(`</td></tr>`)
		}
		for _, s := range d.Stations {
			o.m(`<tr><td><a href="`).v(stationsLink(d.Page, s.Station)).m(`">`).v(s.Station).m(`</a></td><td>`).
				n(s.Balance).m(`</td><td>`).n(s.RechargedUnits).m(`</td></tr>`)
		}
		o.m(`</tbody></table>`)
		if d.Prev != "" || d.Next != "" {
			o.m(`<p><span class="muted">`).t("page").m(` `).n(int64(d.Page)).m(`</span> `)
			if d.Prev != "" {
				o.m(`<a href="`).v(d.Prev).m(`">`).t("prev").m(`</a> `)
			}
			if d.Next != "" {
				o.m(`<a href="`).v(d.Next).m(`" id="next">`).t("next").m(`</a>`)
			}
			o.m(`</p>`)
		}
		o.m(`<form method="post" class="card" id="recharge"><h2>`).t("recharge").
			m(`</h2><input type="hidden" name="csrf" value="`).v(p.CSRF).m(`"><label>`).t("combo").m(` <select name="combo">`)
		for _, c := range d.Combos {
			o.m(`<option value="`).n(c.ID).m(`">`).v(c.Name).m(`</option>`)
		}
		o.m(`</select></label>`)
		input(o, "station", "station", d.Station, "text")
		input(o, "units", "units", "", "text")
		input(o, "money", "money", "0.00", "text")
		input(o, "deal_code", "deal_code", "", "text")
		input(o, "remark", "remark", "", "text")
		o.m(`<button>`).t("recharge").m(`</button></form>`)
		if d.Station == "" {
			return
		}
		o.m(`<h2>`).t("recharges").m(` · `).v(d.Station).m(`</h2><table id="recharges">`)
		head(o, "created", "units", "money", "deal_code", "operator", "remark")
		o.m(`<tbody>`)
		if len(d.Recharges) == 0 {
			o.m(`<tr><td colspan="6" class="muted">`).t("empty").m(`</td></tr>`)
		}
		// The money is in yuan, as the form takes it and
		// GET /sms/recharge_record/get lists it.
		for _, r := range d.Recharges {
			o.m(`<tr><td>`).v(when(r.At)).m(`</td><td>`).n(r.Units).m(`</td><td>`).v(notify.FormatMoney(r.MoneyFen)).m(`</td><td>`).
				v(r.DealCode).m(`</td><td>`).v(r.Operator).m(`</td><td>`).v(r.Remark).m(`</td></tr>`)
		}
		o.m(`</tbody></table>`)
	}
}
