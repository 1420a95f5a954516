// Package schema is the inferobs spec language: the CUE schema (embedded),
// the loader that unifies users' CUE files with it, and the validation that
// turns every problem into a positioned diagnostic. Load returns a *Spec,
// the typed, defaulted input of the planner.
package schema

import (
	_ "embed"
	"strings"
)

//go:embed inferobs.cue
var schemaSource string

// schemaFile is the name positions inside the schema carry.
const schemaFile = "inferobs-schema.cue"

// Text returns the CUE schema users' specs are unified with, for editors
// and `cue vet`.
func Text() string { return schemaSource }

// rootDefinition is the definition a spec must satisfy.
const rootDefinition = "#Spec"

func formatPath(path []string) string {
	var b strings.Builder
	for i, p := range path {
		if isIndex(p) {
			b.WriteString("[" + p + "]")
			continue
		}
		if i > 0 {
			b.WriteByte('.')
		}
		if isIdent(p) {
			b.WriteString(p)
		} else {
			b.WriteString(quote(p))
		}
	}
	return b.String()
}

func isIndex(p string) bool {
	if p == "" {
		return false
	}
	for _, r := range p {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

func isIdent(p string) bool {
	if p == "" {
		return false
	}
	for i, r := range p {
		switch {
		case r == '_' || r == '$' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z'):
		case i > 0 && r >= '0' && r <= '9':
		default:
			return false
		}
	}
	return true
}

func quote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`, "\t", `\t`)
	return `"` + r.Replace(s) + `"`
}
