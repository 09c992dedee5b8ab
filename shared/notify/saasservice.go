package notify

import (
	"context"
	"encoding/json"
	"errors"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// The SaaS platform's operations. Each is authorized as the group that has
// the platform (SaaSGroup) with the caller's bearer key, and needs the
// store to keep stations (Deps.SaaS).

// SaaSGroup returns the group that has the SaaS platform, nil when none
// does.
func (gs Groups) SaaSGroup() *Group {
	for _, g := range gs {
		if g.SaaS != nil {
			return g
		}
	}
	return nil
}

// SaaSEnabled reports whether the SaaS routes are served: a group has the
// platform.
func (s *Service) SaaSEnabled() bool { return s.d.Groups.SaaSGroup() != nil }

// Authorize checks that c names a group that may use channel ch, before
// anything of a request is read.
func (s *Service) Authorize(c Credentials, ch Channel) error {
	_, err := s.d.Groups.Authorize(c, Request{Channel: ch})
	return err
}

// Authenticate checks that c names a group and holds its key, when it has
// keys, before anything else of a request is read.
func (s *Service) Authenticate(c Credentials) error {
	_, err := s.d.Groups.Authenticate(c)
	return err
}

// AuthorizeSaaS checks that key lets its caller use the SaaS routes,
// before anything of the request is read.
func (s *Service) AuthorizeSaaS(key Secret) error {
	_, err := s.saasGroup(key)
	return err
}

// saasGroup authorizes a caller of the SaaS routes with key.
func (s *Service) saasGroup(key Secret) (*Group, error) {
	g := s.d.Groups.SaaSGroup()
	if g == nil {
		return nil, &Error{Op: "saas", Kind: NotFound, Reason: ReasonNotFound, Err: errors.New("no group has the SaaS platform")}
	}
	return s.d.Groups.Authorize(Credentials{GroupID: g.ID, Key: key}, Request{Channel: SMS})
}

// unitPrice is a unit price in fen as the platform writes it: plain
// decimal digits, at most 1e9, with at most four decimals (not NaN, Inf,
// 1e5 or 0x1p3, which strconv.ParseFloat takes).
var unitPrice = regexp.MustCompile(`^(?:[0-9]{1,9}(?:\.[0-9]{1,4})?|1000000000)$`)

// storeError is the error of a SaaS store call that failed for op: its own
// *Error when it made one (not found, conflict, ...), else Unavailable.
func storeError(op string, err error) error {
	var e *Error
	if errors.As(err, &e) && e.Kind != Internal {
		return err
	}
	return &Error{Op: op, Kind: Unavailable, Reason: ReasonStoreUnavailable, Err: err}
}

// TaskRequest is a decoded POST /sms/send/add.
type TaskRequest struct {
	Key          Secret
	Station      string
	RestaurantID *int64
	ReceiveName  *string
	Phone        string
	Content      map[string]string // sms_content
	BusinessType int
}

// maxStationLen bounds station ids, names and other short texts of the
// SaaS routes, in characters.
const maxStationLen = 64

// AddTask records a task after checking that it can be sent as it is: the
// number, the business type and its template, the sign name, the
// variables, and the group's permissions. It sends nothing.
func (s *Service) AddTask(ctx context.Context, r TaskRequest) (int64, error) {
	g, err := s.saasGroup(r.Key)
	if err != nil {
		return 0, err
	}
	if err := checkText("station_id", r.Station, true); err != nil {
		return 0, err
	}
	if r.ReceiveName != nil {
		if err := checkText("receive_name", *r.ReceiveName, false); err != nil {
			return 0, err
		}
	}
	phones, err := NormalizePhones([]string{r.Phone}, "receive_phone", 1)
	if err != nil {
		return 0, err
	}
	content, _ := json.Marshal(r.Content) // a map of strings always encodes
	t := &Task{GroupID: g.ID, Station: r.Station, RestaurantID: r.RestaurantID, ReceiveName: r.ReceiveName,
		Phone: phones[0], Content: string(content), BusinessType: r.BusinessType, CreatedAt: s.d.Now()}
	req, err := taskSMS(g, t, r.Content)
	if err != nil {
		return 0, err
	}
	req.Key = r.Key
	if _, err := s.checkSMS(req, taskFields); err != nil {
		return 0, err
	}
	if err := s.d.Store.AddTask(ctx, t); err != nil {
		return 0, storeError("saas.add", err)
	}
	return t.ID, nil
}

// StartTask sends task id through the normal send path, paid for with one
// unit of its station's balance per recipient, taken as the message is
// recorded. A task whose message was sent, or may have been, is not sent
// again: that start answers as a queue message delivered twice does, and
// one that races another start of the task is a Conflict. A task whose
// start failed before any provider took it (and was refunded) may be
// started again; one whose delivery failed may not.
func (s *Service) StartTask(ctx context.Context, key Secret, id int64) (Sent, error) {
	g, err := s.saasGroup(key)
	if err != nil {
		return Sent{}, err
	}
	t, err := s.d.Store.Task(ctx, g.ID, id)
	if err != nil {
		if KindOf(err) == NotFound {
			return Sent{}, &Error{Op: "saas.start", Kind: NotFound, Field: "task_id", Reason: ReasonNotFound,
				Err: errors.New("no such task")}
		}
		return Sent{}, storeError("saas.start", err)
	}
	if t.MessageID != "" {
		prev, err := s.d.Store.Message(ctx, t.MessageID)
		if err != nil {
			return Sent{}, storeError("saas.start", err)
		}
		taken, err := s.failedInDelivery(ctx, prev)
		if err != nil {
			return Sent{}, storeError("saas.start", err)
		}
		if prev.Status != Failed || taken {
			return s.replay(ctx, prev, true)
		}
	}
	var content map[string]string
	if err := json.Unmarshal([]byte(t.Content), &content); err != nil {
		return Sent{}, E("saas.start", Internal, err)
	}
	req, err := taskSMS(g, t, content)
	if err != nil {
		return Sent{}, err
	}
	req.Key = key
	return s.sendSMS(ctx, req, sendOptions{spend: &Spend{Station: t.Station, TaskID: t.ID, Prev: t.MessageID}})
}

// taskFields are the fields of POST /sms/send/add that hold what
// SMSRequest's do.
var taskFields = smsFields{phones: "receive_phone", sign: "sms_content.sms_signature", template: "business_type",
	params: "sms_content"}

// taskSMS is the SMS a task sends: its business type's template, the sign
// name of sms_content, and the rest of sms_content as the variables.
func taskSMS(g *Group, t *Task, content map[string]string) (SMSRequest, error) {
	bt, ok := g.SaaS.BusinessTypes[t.BusinessType]
	if !ok {
		return SMSRequest{}, Invalidf("business_type", ReasonInvalidField, "%d is not a business type of this platform", t.BusinessType)
	}
	sign := signName(content["sms_signature"])
	if sign == "" {
		return SMSRequest{}, Invalidf("sms_content.sms_signature", ReasonMissingField, "is required")
	}
	renamed := make(map[string]bool, len(bt.Params))
	for _, from := range bt.Params {
		renamed[from] = true
	}
	params := make(map[string]string, len(content))
	for k, v := range content {
		if k != "sms_signature" && !renamed[k] {
			params[k] = v
		}
	}
	for to, from := range bt.Params {
		v, ok := content[from]
		if !ok {
			return SMSRequest{}, Invalidf("sms_content."+from, ReasonMissingField, "is required by business type %d", t.BusinessType)
		}
		params[to] = v
	}
	return SMSRequest{Credentials: Credentials{GroupID: g.ID}, PhoneNumbers: []string{t.Phone}, SignName: sign,
		TemplateCode: bt.Template, Params: params}, nil
}

// signName takes the brackets off a sign name as stations write it:
// "[去采购报价单]", "【去采购报价单】".
func signName(s string) string {
	s = strings.TrimSpace(s)
	for _, b := range [][2]string{{"[", "]"}, {"【", "】"}} {
		if strings.HasPrefix(s, b[0]) && strings.HasSuffix(s, b[1]) && len(s) >= len(b[0])+len(b[1]) {
			return strings.TrimSpace(s[len(b[0]) : len(s)-len(b[1])])
		}
	}
	return s
}

// checkText checks a short text of the SaaS routes: at most 64 printable
// characters, and not empty when required. Invisible ones (zero-width,
// direction marks) and U+FFFD, what JSON makes of bytes that are not
// UTF-8, are refused too: ids that look alike must be alike.
func checkText(field, s string, required bool) error {
	switch {
	case required && strings.TrimSpace(s) == "":
		return Invalidf(field, ReasonMissingField, "is required")
	case !utf8.ValidString(s) || utf8.RuneCountInString(s) > maxStationLen || strings.ContainsFunc(s, invisible):
		return Invalidf(field, ReasonInvalidField, "must be at most %d printable characters", maxStationLen)
	}
	return nil
}

// invisible reports a character that shows as nothing: controls and
// formats (zero-width spaces, direction marks), the ones Unicode says to
// ignore when not supported (variation selectors, Hangul fillers, the
// combining grapheme joiner), the blank braille pattern, and U+FFFD.
func invisible(r rune) bool {
	return unicode.IsControl(r) || unicode.In(r, unicode.Cf, unicode.Variation_Selector,
		unicode.Other_Default_Ignorable_Code_Point) || r == '\u2800' || r == utf8.RuneError
}

// RechargeRequest is a decoded POST /sms/recharge_record/create.
type RechargeRequest struct {
	Key       Secret
	ComboID   int64
	Station   string
	Units     int64
	Money     string // yuan, at most two decimal places
	Operator  string
	DealCode  string
	Remark    string
	UnitPrice string // fen per unit, a decimal; "" when not given
}

// maxRechargeUnits bounds one recharge: a billion messages.
const maxRechargeUnits = 1_000_000_000

// Recharge credits a station with the units an operator recorded, and
// keeps the record, in one transaction. A retry with the same deal code
// credits once and reports replayed.
func (s *Service) Recharge(ctx context.Context, r RechargeRequest) (replayed bool, err error) {
	g, err := s.saasGroup(r.Key)
	if err != nil {
		return false, err
	}
	if err := checkText("station_id", r.Station, true); err != nil {
		return false, err
	}
	c := g.SaaS.Combo(r.ComboID)
	if c == nil {
		return false, &Error{Op: "saas.recharge", Kind: NotFound, Field: "combo_id", Reason: ReasonNotFound,
			Err: errors.New("no such combo")}
	}
	if r.Units < 1 || r.Units > maxRechargeUnits {
		return false, Invalidf("recharge_nums", ReasonInvalidField, "must be a whole number from 1 to %d", maxRechargeUnits)
	}
	fen, err := ParseMoney("recharge_money", r.Money)
	if err != nil {
		return false, err
	}
	if err := checkText("operator_name", r.Operator, true); err != nil {
		return false, err
	}
	if err := checkText("deal_code", r.DealCode, false); err != nil {
		return false, err
	}
	if !utf8.ValidString(r.Remark) || hasControl(r.Remark) || utf8.RuneCountInString(r.Remark) > 255 {
		return false, Invalidf("remark", ReasonInvalidField, "must be at most 255 printable characters")
	}
	if r.UnitPrice != "" && !unitPrice.MatchString(r.UnitPrice) {
		return false, Invalidf("unit_price", ReasonInvalidField, "must be a price in fen from 0 to 1e9, such as 10 or 9.5")
	}
	replayed, err = s.d.Store.Recharge(ctx, Recharge{GroupID: g.ID, Station: r.Station, ComboID: c.ID, ComboName: c.Name,
		Units: r.Units, MoneyFen: fen, UnitPrice: r.UnitPrice, Operator: r.Operator, DealCode: r.DealCode,
		Remark: r.Remark, At: s.d.Now()})
	if err != nil {
		if KindOf(err) == Conflict { // the store's one Conflict: the deal code was used
			return false, &Error{Op: "saas.recharge", Kind: Conflict, Field: "deal_code", Reason: ReasonDealCodeReused,
				Err: errors.New("was recorded before with another station, combo, count or amount")}
		}
		return false, storeError("saas.recharge", err)
	}
	s.d.Log.InfoContext(ctx, "station recharged", "group", g.ID, "station", r.Station, "units", r.Units,
		"fen", fen, "replayed", replayed)
	return replayed, nil
}

// Combos returns the combos stations may buy.
func (s *Service) Combos(key Secret) ([]Combo, error) {
	g, err := s.saasGroup(key)
	if err != nil {
		return nil, err
	}
	return g.SaaS.Combos, nil
}

// Balance returns the units left to a station.
func (s *Service) Balance(ctx context.Context, key Secret, station string) (int64, error) {
	g, err := s.saasGroup(key)
	if err != nil {
		return 0, err
	}
	if err := checkText("station_id", station, true); err != nil {
		return 0, err
	}
	n, err := s.d.Store.Balance(ctx, g.ID, station)
	if err != nil {
		return 0, storeError("saas.balance", err)
	}
	return n, nil
}

// The paging of the SaaS listings.
const (
	DefaultPageLimit = 10
	MaxPageLimit     = 100
)

// checkPage checks a page of a listing whose keys are ids (idKeys) or
// station ids.
func checkPage(p Page, idKeys bool) error {
	if p.Limit < 1 || p.Limit > MaxPageLimit {
		return Invalidf("limit", ReasonInvalidField, "must be from 1 to %d", MaxPageLimit)
	}
	if p.Offset < 0 || p.Offset > 100_000 {
		return Invalidf("offset", ReasonInvalidField, "must be from 0 to 100000")
	}
	if p.After != "" && idKeys {
		if n, err := strconv.ParseInt(p.After, 10, 64); err != nil || n < 1 {
			return Invalidf("page_obj", ReasonInvalidField, "is not a page of this listing")
		}
	}
	if !idKeys && len(p.After) > 4*maxStationLen {
		return Invalidf("page_obj", ReasonInvalidField, "is not a page of this listing")
	}
	return nil
}

// RechargeRecords returns a page of a station's recharges, or of every
// station's when q.Station is "", newest first.
func (s *Service) RechargeRecords(ctx context.Context, key Secret, q RechargeQuery) ([]Recharge, bool, error) {
	g, err := s.saasGroup(key)
	if err != nil {
		return nil, false, err
	}
	q.GroupID = g.ID
	if err := firstOf(checkText("station_id", q.Station, false), checkPage(q.Page, true)); err != nil {
		return nil, false, err
	}
	if err := checkText("q", q.Q, false); err != nil {
		return nil, false, err
	}
	if !q.From.IsZero() && !q.To.IsZero() {
		if err := checkDays(q.From, q.To.AddDate(0, 0, -1)); err != nil {
			return nil, false, err
		}
	}
	rs, more, err := s.d.Store.Recharges(ctx, q)
	if err != nil {
		return nil, false, storeError("saas.recharges", err)
	}
	return rs, more, nil
}

// firstOf is the first of errs that is not nil: the checks of a request,
// in the order its caller would fix them.
func firstOf(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// Send states: how the SaaS routes report a send record's status.
const (
	SendStateSending = 0 // not started, or its outcome not known yet
	SendStateSent    = 1 // a provider took it (and no report says it failed)
	SendStateFailed  = 2 // it was not sent, or a report says it failed
)

// SendState returns the send state of a record whose message has status
// st ("" for a task never started).
func SendState(st Status) int {
	switch st {
	case Submitted, Delivered:
		return SendStateSent
	case Failed:
		return SendStateFailed
	}
	return SendStateSending
}

// sendStateStatuses are the statuses of each send state.
var sendStateStatuses = map[int][]Status{
	SendStateSending: {"", Accepted, Unknown},
	SendStateSent:    {Submitted, Delivered},
	SendStateFailed:  {Failed},
}

// SendRecordRequest is a decoded GET /sms/send_record/get.
type SendRecordRequest struct {
	Key      Secret
	Station  string
	From, To time.Time // Beijing days, both included
	Search   string
	// BusinessType and State, when set, keep the records of that business
	// type and send state. Without a business type, the records of types 0
	// and 1 (orders placed by shops and on their behalf) are returned;
	// without a state, the sent and the failed ones.
	BusinessType *int
	State        *int
	Page         Page
}

// SendRecords returns a page of a station's send records, newest first.
func (s *Service) SendRecords(ctx context.Context, r SendRecordRequest) ([]SendRecord, bool, error) {
	g, err := s.saasGroup(r.Key)
	if err != nil {
		return nil, false, err
	}
	if err := firstOf(checkText("station_id", r.Station, true), checkDays(r.From, r.To),
		checkText("search_text", r.Search, false), checkPage(r.Page, true)); err != nil {
		return nil, false, err
	}
	q := SendRecordQuery{GroupID: g.ID, Station: r.Station, From: r.From, To: r.To.AddDate(0, 0, 1), Search: r.Search,
		BusinessTypes: []int{0, 1}, Statuses: slices.Concat(sendStateStatuses[SendStateSent], sendStateStatuses[SendStateFailed]),
		Page: r.Page}
	if r.BusinessType != nil {
		q.BusinessTypes = []int{*r.BusinessType}
	}
	if r.State != nil {
		st, ok := sendStateStatuses[*r.State]
		if !ok {
			return nil, false, Invalidf("status", ReasonInvalidField, "must be 0 (sending), 1 (sent) or 2 (failed)")
		}
		q.Statuses = st
	}
	rs, more, err := s.d.Store.SendRecords(ctx, q)
	if err != nil {
		return nil, false, storeError("saas.send_records", err)
	}
	return rs, more, nil
}

// maxDays is the longest range of days a listing takes: a year, leap or
// not.
const maxDays = 366

// checkDays checks a range of Beijing days [from, to], both included.
func checkDays(from, to time.Time) error {
	switch {
	case to.Before(from):
		return Invalidf("end_date", ReasonInvalidField, "is before start_date")
	case to.Sub(from) >= maxDays*24*time.Hour:
		return Invalidf("end_date", ReasonInvalidField, "is more than %d days after start_date", maxDays-1)
	}
	return nil
}

// ParseDay reads a day as the SaaS routes write it, "2006-01-02", and
// returns its start in Beijing time. field names it in the error.
func ParseDay(field, s string) (time.Time, error) {
	d, err := time.ParseInLocation(time.DateOnly, s, Beijing)
	if err != nil {
		return time.Time{}, Invalidf(field, ReasonInvalidField, "%q is not a date such as 2019-04-28", truncate(s, 32))
	}
	return d, nil
}

// DayFigures are a station's sends on one Beijing day.
type DayFigures struct {
	Day                 string // "2006-01-02"
	Total, Sent, Failed int64
}

// DailyFigures returns a station's sends on each day of [from, to], both
// included, days without sends too.
func (s *Service) DailyFigures(ctx context.Context, key Secret, station string, from, to time.Time) ([]DayFigures, error) {
	g, err := s.saasGroup(key)
	if err != nil {
		return nil, err
	}
	if err := firstOf(checkText("station_id", station, true), checkDays(from, to)); err != nil {
		return nil, err
	}
	end := to.AddDate(0, 0, 1)
	counts, err := s.d.Store.DayCounts(ctx, g.ID, station, from, end)
	if err != nil {
		return nil, storeError("saas.day_counts", err)
	}
	var days []DayFigures
	index := map[string]int{}
	for d := from.In(Beijing); d.Before(end); d = d.AddDate(0, 0, 1) {
		day := d.Format(time.DateOnly)
		index[day] = len(days)
		days = append(days, DayFigures{Day: day})
	}
	for _, c := range counts {
		i, ok := index[c.Day]
		if !ok {
			continue
		}
		days[i].Total += c.N
		switch SendState(c.Status) {
		case SendStateSent:
			days[i].Sent += c.N
		case SendStateFailed:
			days[i].Failed += c.N
		}
	}
	return days, nil
}

// Overview is the platform's figures: the units left of those it bought
// from its provider, and its stations' balances and recharges in all.
type Overview struct {
	ProviderUnitsLeft int64
	Balance           int64
	RechargedFen      int64
}

// Overview returns the platform's figures. The units left at the provider
// are the configured ProviderUnits less every unit the stations spent (and
// were not refunded): what they bought less what they have left.
func (s *Service) Overview(ctx context.Context, key Secret) (Overview, error) {
	g, err := s.saasGroup(key)
	if err != nil {
		return Overview{}, err
	}
	t, err := s.d.Store.Totals(ctx, g.ID)
	if err != nil {
		return Overview{}, storeError("saas.totals", err)
	}
	return Overview{ProviderUnitsLeft: g.SaaS.ProviderUnits - (t.RechargedUnits - t.Balance), Balance: t.Balance,
		RechargedFen: t.RechargedFen}, nil
}

// StationFigures returns a page of the platform's stations, by station id.
func (s *Service) StationFigures(ctx context.Context, key Secret, q StationQuery) ([]StationFigures, bool, error) {
	g, err := s.saasGroup(key)
	if err != nil {
		return nil, false, err
	}
	q.GroupID = g.ID
	if err := firstOf(checkText("q", q.Q, false), checkPage(q.Page, false)); err != nil {
		return nil, false, err
	}
	if len(q.Stations) > MaxPageLimit {
		return nil, false, Invalidf("station_ids", ReasonTooMany, "has %d stations; at most %d", len(q.Stations), MaxPageLimit)
	}
	for _, st := range q.Stations {
		if err := checkText("station_ids", st, true); err != nil {
			return nil, false, err
		}
	}
	fs, more, err := s.d.Store.Stations(ctx, q)
	if err != nil {
		return nil, false, storeError("saas.stations", err)
	}
	return fs, more, nil
}

// FormatBeijing writes t as the SaaS routes show times: Beijing time,
// "2006-01-02 15:04:05".
func FormatBeijing(t time.Time) string { return t.In(Beijing).Format(time.DateTime) }

// SaaSGroupID returns the id of the group with the SaaS platform, "" when
// none has it: Idempotency-Keys of the SaaS routes are scoped to it.
func (s *Service) SaaSGroupID() string {
	if g := s.d.Groups.SaaSGroup(); g != nil {
		return g.ID
	}
	return ""
}
