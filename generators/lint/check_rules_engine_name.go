package lint

// rulesEngineNameName reports recording rules that write a name the engine
// itself exposes (in any version): the recorded series and the scraped one
// collide, and every query of the engine's name reads a mix of both.
const rulesEngineNameName = "rules/engine-name"

type rulesEngineName struct{}

func (rulesEngineName) name() string { return rulesEngineNameName }

func (rulesEngineName) check(f *ruleFile) []Finding {
	var out []Finding
	for _, g := range f.groups {
		for _, r := range g.rules {
			if r.record == "" {
				continue
			}
			eng, ok := engineOf(r.record)
			if !ok {
				continue
			}
			info, ok := lookupInfo(eng)
			if !ok || !known(info, r.record) {
				continue
			}
			out = append(out, Finding{File: f.name, Line: r.line, Column: r.col, Rule: r.record,
				Check: rulesEngineNameName, Severity: SeverityError,
				Message: "recording rule writes " + r.record + ", a name " + displayName(eng) + " itself exposes: the recorded and the scraped series collide; record a level:metric:operation name instead, e.g. model:" + r.record[len(prefixOf(eng)):] + ":avg"})
		}
	}
	return out
}
