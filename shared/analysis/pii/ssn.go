package pii

// ssn.go holds the US social security number validator.

import "slices"

// ---- SSN ----

var ssnContext = []string{"ssn", "social security", "soc sec", "social:", "social #", "social no", "ss#", "ss #", "ss no", "taxpayer id"}

func (d *detector) ssn(r *numberRun, gs []digitGroup, end int) bool {
	if !plain(r, gs) {
		return false
	}
	t := d.text
	l := func(i int) int { return gs[i].e - gs[i].s }
	var ds string
	dashed := false
	switch {
	case len(gs) == 3 && l(0) == 3 && l(1) == 2 && l(2) == 4 && sameSep(gs, "- "):
		dashed = gs[1].sep == '-'
		ds = t[gs[0].s:gs[0].e] + t[gs[1].s:gs[1].e] + t[gs[2].s:gs[2].e]
	case len(gs) == 1 && l(0) == 9:
		ds = t[gs[0].s:gs[0].e]
	default:
		return false
	}
	if !validSSN(ds) {
		return false
	}
	ctx := d.near(r.s, 24, ssnContext)
	switch {
	case ctx:
		d.add(r.s, end, SSN, 0.95)
	case dashed:
		d.add(r.s, end, SSN, 0.85)
	case slices.Contains(d.ssns, ds):
		// The digits of an SSN found earlier in the document, written again without its
		// context or dashes: the same number (found from outside: "SSN 536-22-8642 and
		// 536228642" redacted the first and left the second).
		d.add(r.s, end, SSN, 0.9)
	default:
		return false
	}
	d.ssns = append(d.ssns, ds)
	return true
}

// validSSN checks a nine-digit US social security number against the SSA's rules: area
// not 000, 666 or 900–999, group not 00, serial not 0000, and not one of the two voided
// numbers.
func validSSN(ds string) bool {
	if len(ds) != 9 {
		return false
	}
	for i := 0; i < 9; i++ {
		if !isDigit(ds[i]) {
			return false
		}
	}
	area, group, serial := ds[:3], ds[3:5], ds[5:]
	if area == "000" || area == "666" || area[0] == '9' || group == "00" || serial == "0000" {
		return false
	}
	return ds != "078051120" && ds != "219099999"
}
