package notify

// The providers, by the one name records, routes, templates, delivery
// reports and configuration give each. A provider package's Name is one of
// these; Aliyun's SMS and voice products share theirs.
const (
	ProviderAliyun  = "aliyun"
	ProviderTencent = "tencent"
	ProviderCloopen = "cloopen"
	ProviderSMTP    = "smtp"
	ProviderSandbox = "sandbox"
)
