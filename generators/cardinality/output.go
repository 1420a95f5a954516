package cardinality

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"
)

// Output formats of the cardinality report.
const (
	FormatTable = "table"
	FormatJSON  = "json"
)

// Formats lists the report formats Write accepts, default first.
func Formats() []string { return []string{FormatTable, FormatJSON} }

// UnknownFormatError is what Write returns for a format it does not know
// (a usage error: the CLI exits 2).
type UnknownFormatError struct{ Format string }

func (e *UnknownFormatError) Error() string {
	return fmt.Sprintf("unknown output format %q: want %s", e.Format, strings.Join(Formats(), " or "))
}

// Write writes the report in a format ("" is the table).
func (r Report) Write(w io.Writer, format string) error {
	switch format {
	case "", FormatTable:
		return r.WriteTable(w)
	case FormatJSON:
		return r.WriteJSON(w)
	}
	return &UnknownFormatError{format}
}

func (r Report) readText(f Family) string {
	switch {
	case f.Source == SourceRecorded || f.Source == SourceAggregated:
		return "created"
	case f.Read:
		return "read"
	}
	return "-"
}

func percent(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) + "%" }

// WriteTable writes an aligned text table: one line per family (sorted by
// series, descending), then a subtotal per source and the total against
// the budget.
func (r Report) WriteTable(w io.Writer) error {
	var buf bytes.Buffer
	tw := tabwriter.NewWriter(&buf, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "FAMILY\tMODEL\tSOURCE\tREAD\tSERIES\tBUDGET\tFORMULA")
	for _, f := range r.Families {
		model := f.Model
		if model == "" {
			model = "-"
		}
		formula := f.Formula.String()
		if f.Note != "" {
			formula += "  [" + f.Note + "]"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\n", f.Name, model, f.Source, r.readText(f), f.Series, percent(r.Share(f.Series)), formula)
	}
	fmt.Fprintln(tw, "\t\t\t\t\t\t")
	for _, s := range r.Sources() {
		fmt.Fprintf(tw, "subtotal\t\t%s\t\t%d\t%s\t\n", s.Source, s.Series, percent(r.Share(s.Series)))
	}
	agg := "off"
	if r.StreamAggregation {
		agg = "on"
	}
	fmt.Fprintf(tw, "total\t\t\t\t%d\t%s\tbudget %d; stream aggregation %s\n", r.Total, percent(r.Share(r.Total)), r.Budget, agg)
	if err := tw.Flush(); err != nil {
		return err
	}
	lines := strings.SplitAfter(buf.String(), "\n")
	for i, l := range lines {
		if t, ok := strings.CutSuffix(l, "\n"); ok {
			lines[i] = strings.TrimRight(t, " ") + "\n"
		}
	}
	_, err := io.WriteString(w, strings.Join(lines, ""))
	return err
}

type jsonFamily struct {
	Family  string  `json:"family"`
	Model   string  `json:"model,omitempty"`
	Source  Source  `json:"source"`
	Type    string  `json:"type,omitempty"`
	Read    bool    `json:"read"`
	Series  int     `json:"series"`
	Share   float64 `json:"budgetPercent"`
	Formula string  `json:"formula"`
	Terms   []Term  `json:"terms"`
	Note    string  `json:"note,omitempty"`
	Advice  string  `json:"advice,omitempty"`
}

type jsonReport struct {
	Budget            int           `json:"budget"`
	Total             int           `json:"total"`
	Share             float64       `json:"budgetPercent"`
	OverBudget        bool          `json:"overBudget"`
	StreamAggregation bool          `json:"streamAggregation"`
	Options           Options       `json:"options"`
	Sources           []SourceTotal `json:"sources"`
	Families          []jsonFamily  `json:"families"`
}

func round2(v float64) float64 { return math.Round(v*100) / 100 }

// WriteJSON writes the report as indented JSON with a fixed field order.
func (r Report) WriteJSON(w io.Writer) error {
	jr := jsonReport{
		Budget: r.Budget, Total: r.Total, Share: round2(r.Share(r.Total)), OverBudget: r.Budget > 0 && r.Total > r.Budget,
		StreamAggregation: r.StreamAggregation, Options: r.Options, Sources: r.Sources(),
		Families: make([]jsonFamily, len(r.Families)),
	}
	for i, f := range r.Families {
		terms := f.Formula
		if terms == nil {
			terms = Formula{}
		}
		jr.Families[i] = jsonFamily{
			Family: f.Name, Model: f.Model, Source: f.Source, Type: string(f.Type), Read: f.Read,
			Series: f.Series, Share: round2(r.Share(f.Series)), Formula: f.Formula.String(), Terms: terms,
			Note: f.Note, Advice: f.Advice,
		}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(jr)
}
