package lint

// promqlSyntaxName reports expressions that do not parse.
const promqlSyntaxName = "promql/syntax"

type promqlSyntax struct{}

func (promqlSyntax) name() string  { return promqlSyntaxName }
func (promqlSyntax) runsOnBroken() {}

func (promqlSyntax) check(e *entry) []Finding {
	if e.err == nil {
		return nil
	}
	// The parser keeps going after an error; the later ones are mostly
	// consequences of the first, so only the first is reported.
	pe := e.parseErrors()[0]
	msg := "PromQL does not parse: " + pe.Err.Error()
	if e.query != e.src {
		msg += " (in " + quoteQuery(e.query) + ", after replacing template variables)"
	}
	return []Finding{e.findingAtOffset(int(pe.PositionRange.Start), promqlSyntaxName, SeverityError, msg)}
}

// quoteQuery shortens a query for a message.
func quoteQuery(q string) string {
	const max = 120
	if len(q) > max {
		q = q[:max] + "…"
	}
	return "`" + q + "`"
}
