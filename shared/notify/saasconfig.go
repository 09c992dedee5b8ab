package notify

import (
	"fmt"
	"strconv"
	"strings"
)

// SaaS is a group's SaaS platform: the combos its stations buy, the
// templates its business types send, and the units the platform holds at
// its provider. At most one group has one; the SaaS routes are that
// group's.
type SaaS struct {
	Combos []Combo
	// BusinessTypes are what a task's business_type sends, by its value.
	BusinessTypes map[int]BusinessType
	// ProviderUnits are the units the platform bought from its provider:
	// the overview's gm_balance is what is left of them.
	ProviderUnits int64
}

// Combo is an SMS package a station buys.
type Combo struct {
	ID        int64
	Name      string
	PriceFen  int64
	Units     int64 // sms_nums; 0 for a package of any size
	Unit      string
	UnitPrice int64 // fen per unit
}

// BusinessType is the template a kind of task is sent with. The template's
// variables are the task's sms_content less sms_signature, as given,
// except those Params renames: template variable <- sms_content key.
type BusinessType struct {
	Template string
	Params   map[string]string
}

// Combo returns the combo id, or nil.
func (s *SaaS) Combo(id int64) *Combo {
	for i := range s.Combos {
		if s.Combos[i].ID == id {
			return &s.Combos[i]
		}
	}
	return nil
}

// maxFen bounds an amount of money: 10^10 fen is 100 million yuan, far
// above any one recharge, and so far below where the int64 sums of the
// balances overflow (about 10^9 such recharges) that none ever will.
const maxFen = 10_000_000_000

// ParseMoney reads an amount of yuan with at most two decimal places
// ("200", "0.3", "21981.31") as fen. field names it in the error.
func ParseMoney(field, s string) (int64, error) {
	whole, frac, dot := strings.Cut(s, ".")
	if whole == "" || !allDigits(whole) || dot && (frac == "" || !allDigits(frac)) {
		return 0, Invalidf(field, ReasonInvalidField, "%q is not an amount of yuan such as 200.00", truncate(s, 32))
	}
	if len(frac) > 2 {
		return 0, Invalidf(field, ReasonInvalidField, "%q has more than two decimal places", truncate(s, 32))
	}
	frac += strings.Repeat("0", 2-len(frac))
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || w > maxFen/100 {
		return 0, Invalidf(field, ReasonInvalidField, "%q is too large", truncate(s, 32))
	}
	f, _ := strconv.ParseInt(frac, 10, 64) // two digits
	if w*100+f > maxFen {
		return 0, Invalidf(field, ReasonInvalidField, "%q is too large", truncate(s, 32))
	}
	return w*100 + f, nil
}

// FormatMoney writes fen as yuan with two decimal places: 2198131 is
// "21981.31".
func FormatMoney(fen int64) string {
	sign := ""
	if fen < 0 {
		sign, fen = "-", -fen
	}
	return fmt.Sprintf("%s%d.%02d", sign, fen/100, fen%100)
}
