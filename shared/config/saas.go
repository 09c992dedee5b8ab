package config

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/seed4ddb146e/notify/shared/notify"
)

// saasJSON is a group's "saas": the SaaS platform whose stations use the
// SaaS routes.
type saasJSON struct {
	Combos        []comboJSON                 `json:"combos"`
	BusinessTypes map[string]businessTypeJSON `json:"business_types"`
	ProviderUnits int64                       `json:"provider_units"`
}

type comboJSON struct {
	ID        int64  `json:"id"`
	Name      string `json:"name"`
	Price     string `json:"price"`
	SMSNums   int64  `json:"sms_nums"`
	Unit      string `json:"unit"`
	UnitPrice int64  `json:"unit_price"`
}

type businessTypeJSON struct {
	Template string            `json:"template"`
	Params   map[string]string `json:"params"`
}

// saas checks the platform of the group at at, which may use channels.
func (sj *saasJSON) saas(p *problems, at string, channels []notify.Channel) *notify.SaaS {
	if sj == nil {
		return nil
	}
	at += ".saas"
	if !slices.Contains(channels, notify.SMS) {
		p.add("%s: set but the group may not use sms", at)
	}
	s := &notify.SaaS{ProviderUnits: sj.ProviderUnits, BusinessTypes: map[int]notify.BusinessType{}}
	if sj.ProviderUnits < 0 {
		p.add("%s.provider_units: %d; want 0 or more", at, sj.ProviderUnits)
	}
	if len(sj.Combos) == 0 {
		p.add("%s.combos: missing; list the packages stations buy, such as "+
			`{"id":1,"name":"套餐包: 2000条","price":"200.00","sms_nums":2000,"unit":"条","unit_price":10}`, at)
	}
	for i, cj := range sj.Combos {
		ca := fmt.Sprintf("%s.combos[%d]", at, i)
		if cj.ID < 1 {
			p.add("%s.id: %d; want 1 or more", ca, cj.ID)
		}
		if s.Combo(cj.ID) != nil {
			p.add("%s.id: %d is listed twice", ca, cj.ID)
		}
		if strings.TrimSpace(cj.Name) == "" {
			p.add("%s.name: missing", ca)
		}
		fen, err := notify.ParseMoney("price", cj.Price)
		if err != nil {
			p.add("%s.price: %q; want yuan with at most two decimal places, such as \"200.00\"", ca, cj.Price)
		}
		if cj.SMSNums < 0 || cj.UnitPrice < 0 {
			p.add("%s: sms_nums and unit_price must be 0 or more", ca)
		}
		s.Combos = append(s.Combos, notify.Combo{ID: cj.ID, Name: cj.Name, PriceFen: fen, Units: cj.SMSNums,
			Unit: cj.Unit, UnitPrice: cj.UnitPrice})
	}
	if len(sj.BusinessTypes) == 0 {
		p.add("%s.business_types: missing; name each business type's template, such as "+
			`{"0":{"template":"SMS_1001"}}`, at)
	}
	for _, k := range slices.Sorted(maps.Keys(sj.BusinessTypes)) {
		bj := sj.BusinessTypes[k]
		ba := fmt.Sprintf("%s.business_types[%q]", at, k)
		n, err := strconv.Atoi(k)
		if err != nil || n < 0 || strconv.Itoa(n) != k {
			p.add("%s: the key must be a business type, a whole number from 0", ba)
			continue
		}
		if strings.TrimSpace(bj.Template) == "" {
			p.add("%s.template: missing", ba)
		}
		for to, from := range bj.Params {
			if to == "" || from == "" || from == "sms_signature" {
				p.add("%s.params: %q <- %q; want a template variable <- a key of sms_content other than sms_signature", ba, to, from)
			}
		}
		s.BusinessTypes[n] = notify.BusinessType{Template: strings.TrimSpace(bj.Template), Params: bj.Params}
	}
	return s
}

// checkOneSaaS reports more than one group with a SaaS platform: the SaaS
// routes name no group, so they can serve only one.
func checkOneSaaS(p *problems, groups []notify.Group) {
	var ids []string
	for _, g := range groups {
		if g.SaaS != nil {
			ids = append(ids, g.ID)
		}
	}
	if len(ids) > 1 {
		p.add("NOTIFY_GROUPS: groups %s all have saas; at most one group may (the SaaS routes name no group)",
			strings.Join(ids, ", "))
	}
}
