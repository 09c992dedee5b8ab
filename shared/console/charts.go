package console

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/seed4ddb146e/notify/shared/notify"
)

// Chart bounds: a range of at most MaxChartDays days, over at most
// MaxChartMessages of its messages (the newest; the page says when it was
// cut), and the delivery times of at most maxTimed of them.
const (
	MaxChartDays     = 31
	MaxChartMessages = 5000
	maxTimed         = 500
)

// dayRow is one day of one channel and provider.
type dayRow struct {
	Day, Channel, Provider             string
	Sent, Delivered, Failed, Unsettled int
	// Limited counts the sends the limits refused before any provider,
	// Refused those refused for another reason (a station's balance):
	// neither was sent.
	Failovers, Limited, Refused int
	Median, P95                 time.Duration // from recorded to the delivered report; 0 when none
	times                       []time.Duration
}

// Rate is the share of settled messages delivered; -1 when none is.
func (d dayRow) Rate() float64 {
	if d.Delivered+d.Failed == 0 {
		return -1
	}
	return float64(d.Delivered) / float64(d.Delivered+d.Failed)
}

// chartsData is the Charts page.
type chartsData struct {
	From, To string
	Rows     []*dayRow // by day, channel and provider
	Days     []*dayRow // by day, all channels: the bars
	Max      int       // the most sent in a day, the bars' scale
	Cut      bool      // more messages than MaxChartMessages
	Bars     []bar     // the chart: sent, delivered and failed of each day
	Width    int       // the chart's, 10 a day
}

// bar is one bar of the chart, in a box 10 wide a day and 110 high.
type bar struct {
	X, Y, W, H   int
	Class, Title string
}

// limitReasons are the error codes of sends the group's limits refused
// (Refused records).
var limitReasons = []string{notify.ReasonRateLimited, notify.ReasonDailyCap, notify.ReasonCooldown}

// charts draws the group's messages by day over a range (default: the
// last 7 days, Beijing time): sent, delivered, failed, the delivery rate,
// the median and 95th percentile of the time from recording to the
// delivered report, failovers, the sends the limits refused and those
// refused otherwise (refused sends are not counted as sent).
func (k *Console) charts(w http.ResponseWriter, r *http.Request, s session, g *notify.Group) {
	now := k.c.Now().In(notify.Beijing)
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, notify.Beijing)
	from, to := today.AddDate(0, 0, -6), today.AddDate(0, 0, 1)
	q := r.URL.Query()
	if v := q.Get("from"); v != "" {
		t, err := time.ParseInLocation("2006-01-02", v, notify.Beijing)
		if err != nil {
			k.render(w, r, s, "charts", http.StatusBadRequest, chartsData{}, "from: "+translate(lang(s.Lang), "bad_date"))
			return
		}
		from = t
	}
	if v := q.Get("to"); v != "" {
		t, err := time.ParseInLocation("2006-01-02", v, notify.Beijing)
		if err != nil {
			k.render(w, r, s, "charts", http.StatusBadRequest, chartsData{}, "to: "+translate(lang(s.Lang), "bad_date"))
			return
		}
		to = t.AddDate(0, 0, 1)
	}
	if !from.Before(to) || to.Sub(from) > MaxChartDays*24*time.Hour {
		k.render(w, r, s, "charts", http.StatusBadRequest, chartsData{},
			translate(lang(s.Lang), "bad_range")+" "+strconv.Itoa(MaxChartDays))
		return
	}
	d, err := k.figures(r.Context(), g.ID, from, to)
	if err != nil {
		k.c.Log.WarnContext(r.Context(), "console: charts", "err", err)
		k.render(w, r, s, "charts", http.StatusServiceUnavailable, chartsData{}, translate(lang(s.Lang), "store_down"))
		return
	}
	k.render(w, r, s, "charts", http.StatusOK, d, "")
}

// figures counts group's messages recorded in [from, to).
func (k *Console) figures(ctx context.Context, group string, from, to time.Time) (chartsData, error) {
	d := chartsData{From: from.Format("2006-01-02"), To: to.AddDate(0, 0, -1).Format("2006-01-02")}
	ms, total, err := k.messagesIn(ctx, group, from, to)
	if err != nil {
		return d, err
	}
	d.Cut = total > len(ms)
	rows := map[[3]string]*dayRow{}
	days := map[string]*dayRow{}
	timed := 0
	firsts := map[string]string{} // the first provider of an SMS of each template
	for _, m := range ms {
		day := m.CreatedAt.In(notify.Beijing).Format("2006-01-02")
		key := [3]string{day, string(m.Channel), m.Provider}
		row := rows[key]
		if row == nil {
			row = &dayRow{Day: day, Channel: string(m.Channel), Provider: m.Provider}
			rows[key] = row
		}
		all := days[day]
		if all == nil {
			all = &dayRow{Day: day}
			days[day] = all
		}
		failover := false
		if m.Channel == notify.SMS && m.Provider != "" && k.c.Service != nil {
			first, ok := firsts[m.Template]
			if !ok {
				first = k.c.Service.FirstSMSRoute(group, m.Template)
				firsts[m.Template] = first
			}
			failover = first != "" && m.Provider != first
		}
		row.count(m, failover)
		all.count(m, failover)
		if m.Status == notify.Delivered && timed < maxTimed {
			timed++
			if err := k.timeDelivery(ctx, m, row); err != nil {
				return d, err
			}
		}
	}
	for _, row := range rows {
		if n := len(row.times); n > 0 {
			slices.Sort(row.times)
			row.Median, row.P95 = row.times[n/2], row.times[min(n-1, n*95/100)]
		}
		d.Rows = append(d.Rows, row)
	}
	slices.SortFunc(d.Rows, func(a, b *dayRow) int {
		return slices.Compare([]string{a.Day, a.Channel, a.Provider}, []string{b.Day, b.Channel, b.Provider})
	})
	d.chart(from, to, days)
	return d, nil
}

// messagesIn returns group's messages recorded in [from, to), at most
// MaxChartMessages of them, and how many there are in all.
func (k *Console) messagesIn(ctx context.Context, group string, from, to time.Time) ([]*notify.Message, int, error) {
	var ms []*notify.Message
	total := 0
	for len(ms) < MaxChartMessages {
		page, n, err := k.c.Store.FindMessages(ctx, notify.MessageQuery{GroupID: group, From: from, To: to,
			Limit: notify.MaxPageSize, Offset: len(ms)})
		if err != nil {
			return nil, 0, err
		}
		total = n
		ms = append(ms, page...)
		if len(page) < notify.MaxPageSize || len(ms) >= total {
			break
		}
	}
	return ms, total, nil
}

// count counts m in x; failover says a provider other than the first
// sent it. A message the gateway refused before any provider saw it was
// not sent: it counts as limited, or refused, only.
func (x *dayRow) count(m *notify.Message, failover bool) {
	if m.Refused() {
		if slices.Contains(limitReasons, m.ErrorCode) {
			x.Limited++
		} else {
			x.Refused++
		}
		return
	}
	x.Sent++
	switch m.Status {
	case notify.Delivered:
		x.Delivered++
	case notify.Failed:
		x.Failed++
	default:
		x.Unsettled++
	}
	if failover {
		x.Failovers++
	}
}

// timeDelivery adds to row the time from delivered message m's record to
// its first delivered report.
func (k *Console) timeDelivery(ctx context.Context, m *notify.Message, row *dayRow) error {
	reports, err := k.c.Store.Reports(ctx, m.ID)
	if err != nil {
		return err
	}
	for _, rp := range reports {
		if rp.Status == notify.Delivered {
			row.times = append(row.times, rp.ReceivedAt.Sub(m.CreatedAt))
			return nil
		}
	}
	return nil
}

// chart lays out d's bars: a day each in [from, to), with the counts of
// days.
func (d *chartsData) chart(from, to time.Time, days map[string]*dayRow) {
	for t := from; t.Before(to); t = t.AddDate(0, 0, 1) {
		day := t.Format("2006-01-02")
		all := days[day]
		if all == nil {
			all = &dayRow{Day: day}
		}
		d.Days = append(d.Days, all)
		d.Max = max(d.Max, all.Sent)
	}
	d.Width = 10 * len(d.Days)
	for i, day := range d.Days {
		for j, b := range []struct {
			class string
			n     int
		}{{"sent", day.Sent}, {"delivered", day.Delivered}, {"failed", day.Failed}} {
			h := barHeight(b.n, d.Max)
			d.Bars = append(d.Bars, bar{X: 10*i + 1 + 3*j, Y: 105 - h, W: 2, H: h, Class: b.class,
				Title: day.Day + " " + b.class + " " + strconv.Itoa(b.n)})
		}
	}
}

// barHeight is n's bar in a chart 100 high whose tallest is top.
func barHeight(n, top int) int {
	if top == 0 {
		return 0
	}
	return n * 100 / top
}

func percent(f float64) string {
	if f < 0 {
		return "–"
	}
	return strconv.FormatFloat(f*100, 'f', 1, 64) + "%"
}

func millis(d time.Duration) string {
	if d == 0 {
		return "–"
	}
	return strconv.FormatFloat(d.Seconds(), 'f', 1, 64) + " s"
}
