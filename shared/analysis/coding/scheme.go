package coding

import (
	"slices"
	"strings"
)

// Scheme is a hierarchical classification ("coding scheme"): every code has a label, a level
// (1 for the coarsest) and the code of its parent at the level above ("" at level 1). A
// code's parent is its own prefix one digit shorter, as in UK SOC.
type Scheme struct {
	URIName  string // a stable identifier of the classification
	Standard string // "SOC"
	Version  string // "2010"
	Codes    []Code // ordered by level, then code

	byCode map[string]int // index into Codes
}

// Code is one entry of a Scheme.
type Code struct {
	Code   string `json:"code"`
	Label  string `json:"label"`
	Parent string `json:"parent,omitempty"`
	Level  int    `json:"level"`
}

// soc2010 is the UK Standard Occupational Classification 2010 (Office for National
// Statistics, SOC2010 volume 1) down to the minor groups: 9 major groups, 25 sub-major groups
// and 90 minor groups. Unit groups (4 digits) are not part of the table.
var soc2010 = [][2]string{
	// Major groups.
	{"1", "Managers, directors and senior officials"},
	{"2", "Professional occupations"},
	{"3", "Associate professional and technical occupations"},
	{"4", "Administrative and secretarial occupations"},
	{"5", "Skilled trades occupations"},
	{"6", "Caring, leisure and other service occupations"},
	{"7", "Sales and customer service occupations"},
	{"8", "Process, plant and machine operatives"},
	{"9", "Elementary occupations"},
	// Sub-major groups.
	{"11", "Corporate managers and directors"},
	{"12", "Other managers and proprietors"},
	{"21", "Science, research, engineering and technology professionals"},
	{"22", "Health professionals"},
	{"23", "Teaching and educational professionals"},
	{"24", "Business, media and public service professionals"},
	{"31", "Science, engineering and technology associate professionals"},
	{"32", "Health and social care associate professionals"},
	{"33", "Protective service occupations"},
	{"34", "Culture, media and sports occupations"},
	{"35", "Business and public service associate professionals"},
	{"41", "Administrative occupations"},
	{"42", "Secretarial and related occupations"},
	{"51", "Skilled agricultural and related trades"},
	{"52", "Skilled metal, electrical and electronic trades"},
	{"53", "Skilled construction and building trades"},
	{"54", "Textiles, printing and other skilled trades"},
	{"61", "Caring personal service occupations"},
	{"62", "Leisure, travel and related personal service occupations"},
	{"71", "Sales occupations"},
	{"72", "Customer service occupations"},
	{"81", "Process, plant and machine operatives"},
	{"82", "Transport and mobile machine drivers and operatives"},
	{"91", "Elementary trades and related occupations"},
	{"92", "Elementary administration and service occupations"},
	// Minor groups.
	{"111", "Chief executives and senior officials"},
	{"112", "Production managers and directors"},
	{"113", "Functional managers and directors"},
	{"115", "Financial institution managers and directors"},
	{"116", "Managers and directors in transport and logistics"},
	{"117", "Senior officers in protective services"},
	{"118", "Health and social services managers and directors"},
	{"119", "Managers and directors in retail and wholesale"},
	{"121", "Managers and proprietors in agriculture related services"},
	{"122", "Managers and proprietors in hospitality and leisure services"},
	{"124", "Managers and proprietors in health and care services"},
	{"125", "Managers and proprietors in other services"},
	{"211", "Natural and social science professionals"},
	{"212", "Engineering professionals"},
	{"213", "Information technology and telecommunications professionals"},
	{"214", "Conservation and environment professionals"},
	{"215", "Research and development managers"},
	{"221", "Health professionals"},
	{"222", "Therapy professionals"},
	{"223", "Nursing and midwifery professionals"},
	{"231", "Teaching and educational professionals"},
	{"241", "Legal professionals"},
	{"242", "Business, research and administrative professionals"},
	{"243", "Architects, town planners and surveyors"},
	{"244", "Welfare professionals"},
	{"245", "Librarians and related professionals"},
	{"246", "Quality and regulatory professionals"},
	{"247", "Media professionals"},
	{"311", "Science, engineering and production technicians"},
	{"312", "Draughtspersons and related architectural technicians"},
	{"313", "Information technology technicians"},
	{"321", "Health associate professionals"},
	{"323", "Welfare and housing associate professionals"},
	{"331", "Protective service occupations"},
	{"341", "Artistic, literary and media occupations"},
	{"342", "Design occupations"},
	{"344", "Sports and fitness occupations"},
	{"351", "Transport associate professionals"},
	{"352", "Legal associate professionals"},
	{"353", "Business, finance and related associate professionals"},
	{"354", "Sales, marketing and related associate professionals"},
	{"355", "Conservation and environmental associate professionals"},
	{"356", "Public services and other associate professionals"},
	{"411", "Administrative occupations: government and related organisations"},
	{"412", "Administrative occupations: finance"},
	{"413", "Administrative occupations: records"},
	{"415", "Other administrative occupations"},
	{"416", "Administrative occupations: office managers and supervisors"},
	{"421", "Secretarial and related occupations"},
	{"511", "Agricultural and related trades"},
	{"521", "Metal forming, welding and related trades"},
	{"522", "Metal machining, fitting and instrument making trades"},
	{"523", "Vehicle trades"},
	{"524", "Electrical and electronic trades"},
	{"525", "Skilled metal, electrical and electronic trades supervisors"},
	{"531", "Construction and building trades"},
	{"532", "Building finishing trades"},
	{"533", "Construction and building trades supervisors"},
	{"541", "Textiles and garments trades"},
	{"542", "Printing trades"},
	{"543", "Food preparation and hospitality trades"},
	{"544", "Other skilled trades"},
	{"612", "Childcare and related personal services"},
	{"613", "Animal care and control services"},
	{"614", "Caring personal services"},
	{"621", "Leisure and travel services"},
	{"622", "Hairdressers and related services"},
	{"623", "Housekeeping and related services"},
	{"624", "Cleaning and housekeeping managers and supervisors"},
	{"711", "Sales assistants and retail cashiers"},
	{"712", "Sales related occupations"},
	{"713", "Sales supervisors"},
	{"721", "Customer service occupations"},
	{"722", "Customer service managers and supervisors"},
	{"811", "Process operatives"},
	{"812", "Plant and machine operatives"},
	{"813", "Assemblers and routine operatives"},
	{"814", "Construction operatives"},
	{"821", "Road transport drivers"},
	{"822", "Mobile machine drivers and operatives"},
	{"823", "Other drivers and transport operatives"},
	{"911", "Elementary agricultural occupations"},
	{"912", "Elementary construction occupations"},
	{"913", "Elementary process plant occupations"},
	{"921", "Elementary administration occupations"},
	{"923", "Elementary cleaning occupations"},
	{"924", "Elementary security occupations"},
	{"925", "Elementary sales occupations"},
	{"926", "Elementary storage occupations"},
	{"927", "Other elementary services occupations"},
}

var soc2010Scheme = newScheme("urn:ons:soc:2010", "SOC", "2010", soc2010)

// SOC2010 returns the UK Standard Occupational Classification 2010 to the minor-group level
// (3 digits): 9 major groups (level 1), 25 sub-major groups (level 2) and 90 minor groups
// (level 3), labelled as published by the Office for National Statistics. The returned
// Scheme is shared; do not modify it.
func SOC2010() *Scheme { return soc2010Scheme }

func newScheme(uri, standard, version string, table [][2]string) *Scheme {
	s := &Scheme{URIName: uri, Standard: standard, Version: version, byCode: make(map[string]int, len(table))}
	for _, e := range table {
		c := Code{Code: e[0], Label: e[1], Level: len(e[0])}
		if c.Level > 1 {
			c.Parent = e[0][:len(e[0])-1]
		}
		s.Codes = append(s.Codes, c)
	}
	slices.SortStableFunc(s.Codes, func(a, b Code) int {
		if a.Level != b.Level {
			return a.Level - b.Level
		}
		return strings.Compare(a.Code, b.Code)
	})
	for i, c := range s.Codes {
		s.byCode[c.Code] = i
	}
	return s
}

// Lookup returns the entry for code and whether the scheme has it.
func (s *Scheme) Lookup(code string) (Code, bool) {
	i, ok := s.byCode[code]
	if !ok {
		return Code{}, false
	}
	return s.Codes[i], true
}

// Label returns code's label, or "" when the scheme has no such code.
func (s *Scheme) Label(code string) string {
	c, _ := s.Lookup(code)
	return c.Label
}

// Parent returns the code of code's parent, or "" for a top-level or unknown code.
func (s *Scheme) Parent(code string) string {
	c, _ := s.Lookup(code)
	return c.Parent
}

// Level returns the codes at one level (1, 2 or 3 for SOC 2010), in code order.
func (s *Scheme) Level(level int) []Code {
	var out []Code
	for _, c := range s.Codes {
		if c.Level == level {
			out = append(out, c)
		}
	}
	return out
}

// Ancestor returns code's ancestor at level (code itself at its own level), or "" when code
// is unknown or above level.
func (s *Scheme) Ancestor(code string, level int) string {
	c, ok := s.Lookup(code)
	if !ok || level < 1 || level > c.Level {
		return ""
	}
	return code[:level]
}
