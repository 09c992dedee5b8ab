package dysmsapi

import (
	"github.com/seed4ddb146e/notify/shared/fake/internal/china"
	"net/url"
	"strconv"
	"time"

	"github.com/seed4ddb146e/notify/shared/fake/aliyun/acs"
)

// MaxPageSize is the largest PageSize of QuerySendDetails.
const MaxPageSize = 50

type detail struct {
	PhoneNum     string
	SendStatus   int // 1 waiting for a report, 2 failed, 3 delivered
	ErrCode      string
	TemplateCode string
	Content      string
	SendDate     string
	ReceiveDate  string
	OutID        string `json:"OutId"`
}

type queryReply struct {
	acs.OK
	TotalCount        int
	SmsSendDetailDTOs struct {
		SmsSendDetailDTO []detail
	}
}

func (s *Server) querySendDetails(id string, p url.Values) (any, *acs.Error) {
	if e := acs.Require(p, "PhoneNumber", "SendDate", "PageSize", "CurrentPage"); e != nil {
		return nil, e
	}
	phone, _ := canonical(p.Get("PhoneNumber"))
	day, err := time.ParseInLocation("20060102", p.Get("SendDate"), china.Beijing)
	size, err1 := strconv.Atoi(p.Get("PageSize"))
	page, err2 := strconv.Atoi(p.Get("CurrentPage"))
	if err != nil || err1 != nil || err2 != nil || size < 1 || size > MaxPageSize || page < 1 {
		return nil, acs.Errorf("isv.INVALID_PARAMETERS", "参数异常")
	}
	biz := p.Get("BizId")

	var all []detail
	for _, m := range s.sends.All() {
		at := m.At.In(china.Beijing)
		if (biz != "" && m.BizID != biz) || at.Format("20060102") != day.Format("20060102") {
			continue
		}
		for _, n := range m.PhoneNumbers {
			if c, _ := canonical(n); c == phone {
				d := detail{
					PhoneNum: n, SendStatus: 3, ErrCode: "DELIVERED", TemplateCode: m.TemplateCode,
					Content:  "【" + m.SignName + "】" + m.TemplateCode + " " + m.TemplateParam,
					SendDate: at.Format(time.DateTime), ReceiveDate: at.Add(3 * time.Second).Format(time.DateTime),
					OutID: m.OutID,
				}
				if code, ok := s.undelivered.Load(c); ok {
					d.SendStatus, d.ErrCode = 2, code.(string)
				}
				all = append(all, d)
			}
		}
	}

	r := queryReply{OK: acs.Success(id), TotalCount: len(all)}
	from := len(all)
	if page-1 <= len(all)/size { // and (page-1)*size cannot overflow
		from = min((page-1)*size, len(all))
	}
	r.SmsSendDetailDTOs.SmsSendDetailDTO = all[from:min(from+size, len(all))]
	if r.SmsSendDetailDTOs.SmsSendDetailDTO == nil {
		r.SmsSendDetailDTOs.SmsSendDetailDTO = []detail{}
	}
	return r, nil
}
