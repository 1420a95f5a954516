package library

import "time"

// BurnTier is one row of a multi-window multi-burn-rate table: alert when
// the error rate over both the long and the short window exceeds
// factor × (1 - objective), where factor spends BudgetShare of the period's
// error budget within the long window (SRE workbook, "Alerting on SLOs",
// table 5-8: 2 % in 1 h and 5 % in 6 h page; 10 % in 1 d and 10 % in 3 d open
// a ticket, which at 30 days gives 14.4, 6, 3 and 1).
type BurnTier struct {
	Name        string // page-fast, page-slow, ticket-fast, ticket-slow: tells the tiers apart in labels
	Severity    string // page or ticket
	Long        time.Duration
	Short       time.Duration
	BudgetShare float64       // share of the period's budget the long window may consume
	For         time.Duration // how long the condition must hold
}

// Factor is the burn rate of the tier for an SLO period.
func (t BurnTier) Factor(period time.Duration) float64 {
	return t.BudgetShare * float64(period) / float64(t.Long)
}

var windowSets = map[string][]BurnTier{
	"google": {
		{Name: "page-fast", Severity: "page", Long: time.Hour, Short: 5 * time.Minute, BudgetShare: 0.02, For: 2 * time.Minute},
		{Name: "page-slow", Severity: "page", Long: 6 * time.Hour, Short: 30 * time.Minute, BudgetShare: 0.05, For: 15 * time.Minute},
		{Name: "ticket-fast", Severity: "ticket", Long: 24 * time.Hour, Short: 2 * time.Hour, BudgetShare: 0.10, For: time.Hour},
		{Name: "ticket-slow", Severity: "ticket", Long: 72 * time.Hour, Short: 6 * time.Hour, BudgetShare: 0.10, For: 3 * time.Hour},
	},
}

// WindowSet returns a named burn-rate table.
func WindowSet(name string) ([]BurnTier, bool) {
	w, ok := windowSets[name]
	return append([]BurnTier(nil), w...), ok
}

// WindowSetNames lists the known tables.
func WindowSetNames() []string { return []string{"google"} }
