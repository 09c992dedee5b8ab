package httpapi

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/seed4ddb146e/notify/shared/notify"
)

// SaaSRoutes are the routes of the SaaS platform's stations, served by the
// sms function when a group has the platform. Every reply is
// {"code":0,"msg":"ok","data":...}; an error is {"code":<non-zero>,"msg":...,
// "data":null} with the HTTP status of what happened (docs/saas.md lists
// the codes).
var SaaSRoutes = []string{
	"POST /sms/send/add",
	"POST /sms/send/start",
	"GET /sms/combo/get",
	"GET /sms/balance/get",
	"GET /sms/data_center/get",
	"GET /sms/recharge_record/get",
	"POST /sms/recharge_record/create",
	"GET /sms/send_record/get",
	"GET /sms/statistics_overview/get",
	"GET /sms/statistics_detail/get",
}

// saasReply is the reply of every SaaS route.
type saasReply struct {
	Code       int         `json:"code"`
	Msg        string      `json:"msg"`
	Data       any         `json:"data"`
	Pagination *pagination `json:"pagination,omitempty"`
}

// pagination is where a listing's next page starts: hand page_obj back,
// with the same reverse, for the page after this one in that direction.
type pagination struct {
	PageObj string `json:"page_obj"`
	More    bool   `json:"more"`
}

// saasHandler is one SaaS route: it reads the parameters and returns the
// data of the reply, and the pagination of a listing.
type saasHandler func(ctx context.Context, key notify.Secret, p params) (data any, pg *pagination, err error)

// saasRoute serves one SaaS route, answering method alone. POST routes
// honour an Idempotency-Key.
type saasRoute struct {
	svc    *notify.Service
	log    *slog.Logger
	method string
	handle saasHandler
}

func (sr *saasRoute) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != sr.method && !(sr.method == http.MethodGet && r.Method == http.MethodHead) {
		w.Header().Set("Allow", sr.method)
		writeSaaSError(w, r, sr.log, &httpError{status: http.StatusMethodNotAllowed, err: &notify.Error{Op: "decode",
			Kind: notify.Invalid, Reason: notify.ReasonMethodNotAllowed, Err: errMethod(r.Method, sr.method)}})
		return
	}
	if err := sr.svc.AuthorizeSaaS(bearerKey(r)); err != nil {
		writeSaaSError(w, r, sr.log, &httpError{err: notify.AsError(err)})
		return
	}
	p, body, he := readParams(w, r, MaxBodyBytes, false)
	if he != nil {
		writeSaaSError(w, r, sr.log, he)
		return
	}
	serve := func(w http.ResponseWriter, r *http.Request) {
		data, pg, err := sr.handle(r.Context(), bearerKey(r), p)
		if err != nil {
			writeSaaSError(w, r, sr.log, &httpError{err: notify.AsError(err)})
			return
		}
		writeJSON(w, http.StatusOK, saasReply{Code: 0, Msg: "ok", Data: data, Pagination: pg})
	}
	st := sr.svc.Idempotency()
	if key := r.Header.Get("Idempotency-Key"); key != "" && st != nil && r.Method == http.MethodPost {
		serveIdempotent(w, r, idempotentCall{st: st, group: sr.svc.SaaSGroupID(), key: key, body: body, log: sr.log,
			serve: serve,
			fail:  func(w http.ResponseWriter, he *httpError) { writeSaaSError(w, r, sr.log, he) },
			keep:  func(status int, _ []byte) bool { return status == http.StatusOK }})
		return
	}
	serve(w, r)
}

// saasCode is the code of an error reply with HTTP status: the status
// times 100, except where one status holds two kinds of error.
func saasCode(status int, e *notify.Error) int {
	if status == http.StatusBadRequest && e.Kind == notify.Rejected {
		return 40001 // the provider refused the message
	}
	return status * 100
}

// writeSaaSError replies with the SaaS routes' error shape.
func writeSaaSError(w http.ResponseWriter, r *http.Request, log *slog.Logger, he *httpError) {
	e := he.err
	if he.status == 0 && e.Kind == notify.NotFound {
		he = &httpError{status: http.StatusNotFound, err: e}
	}
	status := refuse(w, r, log, he, "")
	writeJSON(w, status, saasReply{Code: saasCode(status, e), Msg: messageOf(e)})
}

// SaaS adds the SaaS routes to mux, when svc serves them.
func saasRoutes(mux *http.ServeMux, svc *notify.Service, log *slog.Logger) {
	if !svc.SaaSEnabled() {
		return
	}
	a := saasAPI{svc: svc}
	var folders []string
	for path, h := range map[string]struct {
		method string
		handle saasHandler
	}{
		"/sms/send/add":                {http.MethodPost, a.addTask},
		"/sms/send/start":              {http.MethodPost, a.startTask},
		"/sms/combo/get":               {http.MethodGet, a.combos},
		"/sms/balance/get":             {http.MethodGet, a.balance},
		"/sms/data_center/get":         {http.MethodGet, a.dataCenter},
		"/sms/recharge_record/get":     {http.MethodGet, a.recharges},
		"/sms/recharge_record/create":  {http.MethodPost, a.recharge},
		"/sms/send_record/get":         {http.MethodGet, a.sendRecords},
		"/sms/statistics_overview/get": {http.MethodGet, a.overview},
		"/sms/statistics_detail/get":   {http.MethodGet, a.stations},
	} {
		mux.Handle(path, &saasRoute{svc: svc, log: log, method: h.method, handle: h.handle})
		// Other paths below the route's folder, and the folder itself
		// (which ServeMux would redirect), get the routes' own 404.
		dir := path[:strings.LastIndexByte(path, '/')+1]
		if !slices.Contains(folders, dir) {
			folders = append(folders, dir)
			mux.HandleFunc(dir, saasNotFound(log))
			mux.HandleFunc(strings.TrimSuffix(dir, "/"), saasNotFound(log))
		}
	}
}

// saasNotFound answers a path near the SaaS routes that is none of them.
func saasNotFound(log *slog.Logger) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		writeSaaSError(w, r, log, &httpError{status: http.StatusNotFound, err: &notify.Error{Op: "route",
			Kind: notify.Invalid, Reason: notify.ReasonNoSuchRoute, Err: errNoSaaSRoute}})
	}
}

// errNoSaaSRoute answers a path below a SaaS route's folder that is none of
// the routes.
var errNoSaaSRoute = errors.New("no such route; the SaaS routes are " + strings.Join(SaaSRoutes, ", "))

// saasAPI holds the handlers of the SaaS routes.
type saasAPI struct {
	svc *notify.Service
}

func (a saasAPI) addTask(ctx context.Context, key notify.Secret, p params) (any, *pagination, error) {
	req := notify.TaskRequest{Key: key}
	var err error
	if req.Station, err = p.str("station_id"); err != nil {
		return nil, nil, err
	}
	if id, ok, err := p.int("restaurant_id", false); err != nil {
		return nil, nil, err
	} else if ok {
		req.RestaurantID = &id
	}
	if req.ReceiveName, err = p.optStr("receive_name"); err != nil {
		return nil, nil, err
	}
	if req.Phone, err = p.str("receive_phone"); err != nil {
		return nil, nil, err
	}
	if req.Phone == "" {
		return nil, nil, notify.Invalidf("receive_phone", notify.ReasonMissingField, "is required")
	}
	if req.Content, err = p.object("sms_content"); err != nil {
		return nil, nil, err
	}
	bt, _, err := p.int("business_type", true)
	if err != nil {
		return nil, nil, err
	}
	if bt < 0 || bt > 1<<31-1 {
		return nil, nil, notify.Invalidf("business_type", notify.ReasonInvalidField, "%d is not a business type of this platform", bt)
	}
	req.BusinessType = int(bt)
	id, err := a.svc.AddTask(ctx, req)
	if err != nil {
		return nil, nil, err
	}
	return struct {
		TaskID int64 `json:"task_id"`
	}{id}, nil, nil
}

func (a saasAPI) startTask(ctx context.Context, key notify.Secret, p params) (any, *pagination, error) {
	id, _, err := p.int("task_id", true)
	if err != nil {
		return nil, nil, err
	}
	if id < 1 {
		return nil, nil, notify.Invalidf("task_id", notify.ReasonInvalidField, "must be a task id, 1 or more")
	}
	if _, err := a.svc.StartTask(ctx, key, id); err != nil {
		return nil, nil, err
	}
	return nil, nil, nil
}

// comboReply is a combo as GET /sms/combo/get lists it.
type comboReply struct {
	ID        int64  `json:"id"`
	Name      string `json:"name"`
	Price     string `json:"price"`
	SMSNums   int64  `json:"sms_nums"`
	Unit      string `json:"unit"`
	UnitPrice int64  `json:"unit_price"`
}

func (a saasAPI) combos(_ context.Context, key notify.Secret, _ params) (any, *pagination, error) {
	cs, err := a.svc.Combos(key)
	if err != nil {
		return nil, nil, err
	}
	out := make([]comboReply, len(cs))
	for i, c := range cs {
		out[i] = comboReply{ID: c.ID, Name: c.Name, Price: notify.FormatMoney(c.PriceFen), SMSNums: c.Units, Unit: c.Unit,
			UnitPrice: c.UnitPrice}
	}
	return out, nil, nil
}

func (a saasAPI) balance(ctx context.Context, key notify.Secret, p params) (any, *pagination, error) {
	station, err := p.str("station_id")
	if err != nil {
		return nil, nil, err
	}
	n, err := a.svc.Balance(ctx, key, station)
	if err != nil {
		return nil, nil, err
	}
	return struct {
		Balance int64 `json:"sms_balance"`
	}{n}, nil, nil
}

// dayReply is one day of GET /sms/data_center/get.
type dayReply struct {
	Date   string `json:"send_date"`
	Total  int64  `json:"total_send_nums"`
	Sent   int64  `json:"success_send_nums"`
	Failed int64  `json:"send_failed_nums"`
}

func (a saasAPI) dataCenter(ctx context.Context, key notify.Secret, p params) (any, *pagination, error) {
	station, err := p.str("station_id")
	if err != nil {
		return nil, nil, err
	}
	from, err := p.day("start_date", true)
	if err != nil {
		return nil, nil, err
	}
	to, err := p.day("end_date", true)
	if err != nil {
		return nil, nil, err
	}
	days, err := a.svc.DailyFigures(ctx, key, station, from, to)
	if err != nil {
		return nil, nil, err
	}
	out := make([]dayReply, len(days))
	for i, d := range days {
		out[i] = dayReply{Date: d.Day, Total: d.Total, Sent: d.Sent, Failed: d.Failed}
	}
	return out, nil, nil
}

// rechargeReply is a recharge as GET /sms/recharge_record/get lists it.
type rechargeReply struct {
	Date      string `json:"recharge_date"`
	Station   string `json:"station_id"`
	ComboID   int64  `json:"combo_id"`
	ComboName string `json:"combo_name"`
	Units     int64  `json:"recharge_nums"`
	Money     string `json:"recharge_money"`
	DealCode  string `json:"deal_code"`
	Remark    string `json:"remark"`
	Operator  string `json:"operator_name"`
	UnitPrice string `json:"unit_price,omitempty"`
}

func (a saasAPI) recharges(ctx context.Context, key notify.Secret, p params) (any, *pagination, error) {
	q := notify.RechargeQuery{}
	var err error
	if q.Station, err = p.str("station_id"); err != nil {
		return nil, nil, err
	}
	if q.Q, err = p.str("q"); err != nil {
		return nil, nil, err
	}
	if q.From, err = p.day("start_date", false); err != nil {
		return nil, nil, err
	}
	to, err := p.day("end_date", false)
	if err != nil {
		return nil, nil, err
	}
	if !to.IsZero() {
		q.To = to.AddDate(0, 0, 1)
	}
	if q.Page, err = page(p); err != nil {
		return nil, nil, err
	}
	rs, more, err := a.svc.RechargeRecords(ctx, key, q)
	if err != nil {
		return nil, nil, err
	}
	out := make([]rechargeReply, len(rs))
	keys := make([]string, len(rs))
	for i, r := range rs {
		out[i] = rechargeReply{Date: notify.FormatBeijing(r.At), Station: r.Station, ComboID: r.ComboID,
			ComboName: r.ComboName, Units: r.Units, Money: notify.FormatMoney(r.MoneyFen), DealCode: r.DealCode,
			Remark: r.Remark, Operator: r.Operator, UnitPrice: r.UnitPrice}
		keys[i] = strconv.FormatInt(r.ID, 10)
	}
	return out, paginate(q.Page, keys, more), nil
}

func (a saasAPI) recharge(ctx context.Context, key notify.Secret, p params) (any, *pagination, error) {
	req := notify.RechargeRequest{Key: key}
	var err error
	if req.ComboID, _, err = p.int("combo_id", true); err != nil {
		return nil, nil, err
	}
	if req.Station, err = p.str("station_id"); err != nil {
		return nil, nil, err
	}
	if req.Units, _, err = p.int("recharge_nums", true); err != nil {
		return nil, nil, err
	}
	if !p.has("recharge_money") {
		return nil, nil, notify.Invalidf("recharge_money", notify.ReasonMissingField, "is required")
	}
	for _, f := range []struct {
		name string
		dst  *string
	}{{"recharge_money", &req.Money}, {"operator_name", &req.Operator}, {"deal_code", &req.DealCode},
		{"remark", &req.Remark}, {"unit_price", &req.UnitPrice}} {
		if *f.dst, err = p.str(f.name); err != nil {
			return nil, nil, err
		}
	}
	if _, err := a.svc.Recharge(ctx, req); err != nil {
		return nil, nil, err
	}
	return nil, nil, nil
}

// sendRecordReply is a send record as GET /sms/send_record/get lists it.
type sendRecordReply struct {
	TaskID       int64   `json:"task_id"`
	BusinessType int     `json:"business_type"`
	ReceiveName  *string `json:"receive_name"`
	ReceivePhone string  `json:"receive_phone"`
	Remark       string  `json:"remark"`
	RestaurantID *int64  `json:"restaurant_id"`
	SendTime     string  `json:"send_time"`
	Status       int     `json:"status"`
}

func (a saasAPI) sendRecords(ctx context.Context, key notify.Secret, p params) (any, *pagination, error) {
	req := notify.SendRecordRequest{Key: key}
	var err error
	if req.Station, err = p.str("station_id"); err != nil {
		return nil, nil, err
	}
	if req.From, err = p.day("start_date", true); err != nil {
		return nil, nil, err
	}
	if req.To, err = p.day("end_date", true); err != nil {
		return nil, nil, err
	}
	if req.Search, err = p.str("search_text"); err != nil {
		return nil, nil, err
	}
	for _, f := range []struct {
		name string
		dst  **int
	}{{"business_type", &req.BusinessType}, {"status", &req.State}} {
		n, ok, err := p.int(f.name, false)
		if err != nil {
			return nil, nil, err
		}
		if ok {
			v := int(max(min(n, 1<<31-1), -1<<31))
			*f.dst = &v
		}
	}
	if req.Page, err = page(p); err != nil {
		return nil, nil, err
	}
	rs, more, err := a.svc.SendRecords(ctx, req)
	if err != nil {
		return nil, nil, err
	}
	out := make([]sendRecordReply, len(rs))
	keys := make([]string, len(rs))
	for i, r := range rs {
		at := r.CreatedAt
		if !r.StartedAt.IsZero() {
			at = r.StartedAt
		}
		out[i] = sendRecordReply{TaskID: r.ID, BusinessType: r.BusinessType, ReceiveName: r.ReceiveName,
			ReceivePhone: r.Phone, RestaurantID: r.RestaurantID, SendTime: notify.FormatBeijing(at),
			Status: notify.SendState(r.Status)}
		if r.Status == notify.Failed {
			out[i].Remark = remark(r.ErrorText)
		}
		keys[i] = strconv.FormatInt(r.ID, 10)
	}
	return out, paginate(req.Page, keys, more), nil
}

// remark is why a send failed, as a station reads it: the record's error
// text without the name of the step that failed ("sms.record: ",
// "aliyunsms.SendSms: ").
func remark(text string) string {
	if step, rest, ok := strings.Cut(text, ": "); ok && step != "" && !strings.ContainsAny(step, " ，,") {
		return rest
	}
	return text
}

func (a saasAPI) overview(ctx context.Context, key notify.Secret, _ params) (any, *pagination, error) {
	o, err := a.svc.Overview(ctx, key)
	if err != nil {
		return nil, nil, err
	}
	return struct {
		ProviderUnitsLeft int64  `json:"gm_balance"`
		Balance           string `json:"saas_balance"`
		Recharged         string `json:"saas_recharge_money"`
	}{o.ProviderUnitsLeft, strconv.FormatInt(o.Balance, 10), notify.FormatMoney(o.RechargedFen)}, nil, nil
}

// stationReply is a station as GET /sms/statistics_detail/get lists it.
type stationReply struct {
	Balance        int64  `json:"sms_balance"`
	Station        string `json:"station_id"`
	RechargedMoney string `json:"total_recharge_money"`
	RechargedUnits int64  `json:"total_recharge_nums"`
}

func (a saasAPI) stations(ctx context.Context, key notify.Secret, p params) (any, *pagination, error) {
	q := notify.StationQuery{}
	var err error
	if q.Stations, err = p.list("station_ids"); err != nil {
		return nil, nil, err
	}
	if q.Q, err = p.str("q"); err != nil {
		return nil, nil, err
	}
	if q.Page, err = page(p); err != nil {
		return nil, nil, err
	}
	fs, more, err := a.svc.StationFigures(ctx, key, q)
	if err != nil {
		return nil, nil, err
	}
	out := make([]stationReply, len(fs))
	keys := make([]string, len(fs))
	for i, f := range fs {
		out[i] = stationReply{Balance: f.Balance, Station: f.Station, RechargedMoney: notify.FormatMoney(f.RechargedFen),
			RechargedUnits: f.RechargedUnits}
		keys[i] = f.Station
	}
	return out, paginate(q.Page, keys, more), nil
}

// page reads a listing's paging: limit (default 10), page_obj, reverse
// and offset. page_obj is opaque to callers: the key of an item, in
// URL-safe base64.
func page(p params) (notify.Page, error) {
	pg := notify.Page{Limit: notify.DefaultPageLimit}
	if n, ok, err := p.int("limit", false); err != nil {
		return pg, err
	} else if ok {
		pg.Limit = int(max(min(n, 1<<31-1), -1))
	}
	if n, _, err := p.int("offset", false); err != nil {
		return pg, err
	} else {
		pg.Offset = int(max(min(n, 1<<31-1), -1))
	}
	var err error
	if pg.Reverse, err = p.bool("reverse"); err != nil {
		return pg, err
	}
	obj, err := p.str("page_obj")
	if err != nil {
		return pg, err
	}
	if obj != "" {
		key, err := base64.RawURLEncoding.DecodeString(obj)
		if err != nil || len(key) == 0 {
			return pg, notify.Invalidf("page_obj", notify.ReasonInvalidField, "is not a page of this listing")
		}
		pg.After = string(key)
	}
	return pg, nil
}

// paginate is the pagination of a page of items with keys: where the next
// page in the same direction starts (after the last item; with reverse,
// before the first), and whether it holds anything.
func paginate(pg notify.Page, keys []string, more bool) *pagination {
	if len(keys) == 0 {
		var obj string
		if pg.After != "" {
			obj = base64.RawURLEncoding.EncodeToString([]byte(pg.After))
		}
		return &pagination{PageObj: obj, More: more}
	}
	edge := keys[len(keys)-1]
	if pg.Reverse {
		edge = keys[0]
	}
	return &pagination{PageObj: base64.RawURLEncoding.EncodeToString([]byte(edge)), More: more}
}

// errMethod is the refusal of a request with method got on a route of
// method want.
func errMethod(got, want string) error {
	return fmt.Errorf("method %s not allowed; use %s", got, want)
}
