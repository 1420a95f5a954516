package lint

import "fmt"

// groupFindings folds findings with the same file, panel or rule, check and
// message (for rules: on one line) into the first of them, with a count: one stale panel whose six
// targets all read a removed name is one finding, not six.
func groupFindings(fs []Finding) []Finding {
	type key struct {
		file, panel, rule, check, msg string
		line                          int
	}
	first := map[key]int{}
	count := map[int]int{}
	var out []Finding
	for _, f := range fs {
		if f.Panel == "" && f.Rule == "" {
			out = append(out, f)
			continue
		}
		k := key{f.File, f.Panel, f.Rule, f.Check, f.Message, 0}
		if f.Panel == "" {
			k.line = f.Line // rule names repeat across groups: one expression only
		}
		if i, ok := first[k]; ok {
			count[i]++
			continue
		}
		first[k] = len(out)
		count[len(out)] = 1
		out = append(out, f)
	}
	for i, n := range count {
		if n > 1 {
			where := "panel"
			if out[i].Panel == "" {
				where = "rule"
			}
			out[i].Message += fmt.Sprintf(" (%d times in this %s)", n, where)
		}
	}
	return out
}
