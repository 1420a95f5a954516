package library

import (
	"fmt"
	"slices"
	"strings"
)

// The stock collectors file differs by exporter release. Read at every
// NVIDIA/dcgm-exporter tag from 3.3.5-3.4.0 to 4.5.3-4.8.2 (etc/default-
// counters.csv; a tag is DCGM version-exporter version, and Versions here
// are the exporter's): apart from the fields below, every release enables
// the same fields as HEAD (DCGMField.DefaultEnabled), with the same types.

// dcgmStockChange is a field whose stock line changed across releases:
// enabled with Type in Range, absent or commented out elsewhere.
type dcgmStockChange struct {
	Field string
	Range Range
	Type  Type
}

var dcgmStockChanges = []dcgmStockChange{
	// Absent from 3.4.0-3.6.1, enabled gauges from 4.0.1 (tag 4.0.0-4.0.1).
	{"DCGM_FI_PROF_GR_ENGINE_ACTIVE", since(V(4, 0, 1)), Gauge},
	{"DCGM_FI_PROF_PIPE_TENSOR_ACTIVE", since(V(4, 0, 1)), Gauge},
	{"DCGM_FI_PROF_DRAM_ACTIVE", since(V(4, 0, 1)), Gauge},
	// Absent from 3.4.x, counters ("total bytes via NVML") in 3.5.0-3.6.1,
	// gauges (bytes per second) from 4.0.1, where the counter line stays
	// commented out.
	{"DCGM_FI_PROF_PCIE_TX_BYTES", between(V(3, 5, 0), V(4, 0, 1)), Counter},
	{"DCGM_FI_PROF_PCIE_TX_BYTES", since(V(4, 0, 1)), Gauge},
	{"DCGM_FI_PROF_PCIE_RX_BYTES", between(V(3, 5, 0), V(4, 0, 1)), Counter},
	{"DCGM_FI_PROF_PCIE_RX_BYTES", since(V(4, 0, 1)), Gauge},
	// Enabled from 4.4.0 (tag 4.3.1-4.4.0).
	{"DCGM_FI_DEV_FB_RESERVED", since(V(4, 4, 0)), Gauge},
}

// DCGMStockDefault reports whether the stock default-counters.csv of
// exporter release v collects field name, and with which type.
func DCGMStockDefault(name string, v Version) (typ Type, enabled bool) {
	changed := false
	for _, c := range dcgmStockChanges {
		if c.Field != name {
			continue
		}
		changed = true
		if c.Range.Contains(v) {
			return c.Type, true
		}
	}
	f, ok := DCGMByName(name)
	if changed || !ok || !f.DefaultEnabled {
		return "", false
	}
	return f.Type, true
}

// DCGMStockSince returns the first read exporter release whose stock file
// collects field name as it is collected now (zero: every read release).
func DCGMStockSince(name string) Version {
	var first Version
	for _, c := range dcgmStockChanges {
		if c.Field == name && c.Range.Until.IsZero() {
			first = c.Range.Since
		}
	}
	return first
}

// DCGMStockNote says, for a field that today's stock file collects but
// older exporter releases do not (or type differently), since when; "" for
// fields every read release treats alike.
func DCGMStockNote(name string) string {
	since := DCGMStockSince(name)
	if since.IsZero() {
		return ""
	}
	var older []string
	for _, c := range dcgmStockChanges {
		if c.Field == name && !c.Range.Until.IsZero() {
			older = append(older, fmt.Sprintf("a %s in %s to %s", c.Type, c.Range.Since, prevPatch(c.Range.Until)))
		}
	}
	s := fmt.Sprintf("%s is in the stock default-counters.csv from dcgm-exporter %s", name, since)
	if len(older) > 0 {
		return s + " (" + strings.Join(older, ", ") + ", not collected before)"
	}
	return s + " (not collected before)"
}

// DCGMStockChanged lists the fields whose stock line differs across the
// read exporter releases, sorted.
func DCGMStockChanged() []string {
	var out []string
	for _, c := range dcgmStockChanges {
		if !slices.Contains(out, c.Field) {
			out = append(out, c.Field)
		}
	}
	slices.Sort(out)
	return out
}

// dcgmExporterReleases are the exporter versions of the tags read, oldest first.
var dcgmExporterReleases = []Version{
	V(3, 4, 0), V(3, 4, 1), V(3, 4, 2), V(3, 5, 0), V(3, 6, 0), V(3, 6, 1),
	V(4, 0, 1), V(4, 0, 3), V(4, 0, 4), V(4, 1, 0), V(4, 1, 1), V(4, 1, 3), V(4, 2, 0),
	V(4, 4, 0), V(4, 5, 0), V(4, 5, 2), V(4, 6, 0), V(4, 7, 0), V(4, 7, 1), V(4, 8, 0), V(4, 8, 1), V(4, 8, 2),
}

// prevPatch names the last read release before v.
func prevPatch(v Version) string {
	var prev Version
	for _, r := range dcgmExporterReleases {
		if r.Less(v) {
			prev = r
		}
	}
	return prev.String()
}
