package console

// words are the console's texts in Chinese and English; a key missing from
// one language shows as the key.
var words = map[string]map[string]string{
	"zh": {
		"title": "notify 控制台", "signin": "登录", "signout": "退出", "group": "GroupID", "key": "API 密钥",
		"signin_failed": "GroupID 或密钥不对", "messages": "消息", "charts": "统计", "inbox": "沙箱收件箱",
		"stations": "站点", "search": "查询", "to": "号码或地址", "message_id": "MessageId", "provider_id": "服务商 ID",
		"channel": "渠道", "status": "状态", "date": "日期", "any": "全部", "created": "时间", "provider": "服务商",
		"recipients": "接收者", "prev": "上一页", "next": "下一页", "total": "共", "page": "页",
		"timeline": "时间线", "params": "模板参数", "none": "无", "recorded": "已记录", "outcome": "服务商答复",
		"report": "回执", "webhook": "Webhook 推送", "sent": "发送", "delivered": "送达", "failed": "失败",
		"unsettled": "未定", "rate": "送达率", "median": "中位耗时", "p95": "P95 耗时", "failovers": "切换服务商",
		"limited": "被限流", "refused_other": "其他原因拒绝", "refused": "发送前被拒绝，没有交给服务商", "from": "从", "until": "到", "draw": "画图", "cut": "消息太多，只统计了最新的 5000 条",
		"no_inbox": "沙箱收件箱只在某个渠道没有配置服务商时（本地运行）可用", "inbox_note": "沙箱收到、没有发出的消息，参数完整（包括验证码）。配置了真实服务商的渠道不会出现在这里。",
		"not_found": "没有这条消息", "store_down": "数据库暂时不可用", "bad_date": "日期格式应为 2006-01-02",
		"bad_filter": "筛选条件不对", "bad_range": "时间范围不对，最多天数：", "not_saas": "这个组不是 SaaS 平台",
		"balance": "余额", "recharged": "累计充值", "recharge": "充值", "station": "站点 ID", "units": "条数",
		"money": "金额（元）", "deal_code": "到账凭证", "remark": "备注", "recharges": "充值记录", "done": "已充值",
		"bad_number": "应为整数", "operator": "操作人", "combo": "套餐", "subject": "主题", "lang": "English", "empty": "没有记录",
	},
	"en": {
		"title": "notify console", "signin": "Sign in", "signout": "Sign out", "group": "GroupID", "key": "API key",
		"signin_failed": "wrong GroupID or key", "messages": "Messages", "charts": "Charts", "inbox": "Sandbox inbox",
		"stations": "Stations", "search": "Search", "to": "Number or address", "message_id": "MessageId",
		"provider_id": "Provider id", "channel": "Channel", "status": "Status", "date": "Date", "any": "any",
		"created": "Time", "provider": "Provider", "recipients": "Recipients", "prev": "Previous", "next": "Next",
		"total": "total", "page": "page", "timeline": "Timeline", "params": "Template parameters", "none": "none",
		"recorded": "recorded", "outcome": "provider's answer", "report": "report", "webhook": "webhook delivery",
		"sent": "Sent", "delivered": "Delivered", "failed": "Failed", "unsettled": "Unsettled", "rate": "Delivery rate",
		"median": "Median time", "p95": "p95 time", "failovers": "Failovers", "limited": "Rate-limited", "refused_other": "Refused otherwise", "refused": "refused before any provider", "from": "From",
		"until": "To", "draw": "Draw", "cut": "Too many messages: only the newest 5,000 are counted",
		"no_inbox":   "The sandbox inbox is there only while a channel has no provider (a local run)",
		"inbox_note": "What the sandbox took and did not send, with its parameters whole (codes included). A channel with a real provider never shows here.",
		"not_found":  "No such message", "store_down": "The database is not answering", "bad_date": "dates are 2006-01-02",
		"bad_filter": "unknown filter", "bad_range": "bad range; at most this many days:", "not_saas": "This group is not the SaaS platform",
		"balance": "Balance", "recharged": "Recharged", "recharge": "Recharge", "station": "Station id", "units": "Units",
		"money": "Money (yuan)", "deal_code": "Deal code", "remark": "Remark", "recharges": "Recharges", "done": "Recharged",
		"bad_number": "not a whole number", "operator": "Operator", "combo": "Combo", "subject": "Subject", "lang": "中文", "empty": "nothing yet",
	},
}

// translate returns key's text in language l.
func translate(l, key string) string {
	if s, ok := words[l][key]; ok {
		return s
	}
	return key
}
