package simulate

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/inferobs/inferobs/library"
)

// OpenMetricsContentType is what WriteOpenMetrics writes.
const OpenMetricsContentType = "application/openmetrics-text; version=1.0.0; charset=utf-8"

// WriteOpenMetrics writes the scenario from the simulation's start for
// duration, one sample of every series each step, as an OpenMetrics text
// file ending in "# EOF" that `promtool tsdb create-blocks-from openmetrics`
// backfills. Each sample carries its target's labels, and every target
// gets the up series a scrape would have written (0 once an engine stops
// answering). Samples are in time order; a family's metadata comes once,
// before its first sample.
func (s *Sim) WriteOpenMetrics(w io.Writer, duration, step time.Duration) error {
	if step <= 0 {
		return fmt.Errorf("simulate: step must be positive")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	bw := bufio.NewWriterSize(w, 1<<20)
	seen := map[string]bool{}
	for at := time.Duration(0); at <= duration; at += step {
		now := s.opts.Start.Add(at)
		dt := s.advanceTo(now)
		ts := strconv.FormatFloat(float64(now.UnixMilli())/1000, 'f', 3, 64)
		var ups []family
		fams := s.union(dt, func(t Target, ok bool) {
			v := 0.0
			if ok {
				v = 1
			}
			ups = append(ups, family{samples: []sample{{name: library.UpSeries, labels: withTargetLabels(nil, t.Labels), value: v}}})
		})
		up := family{name: library.UpSeries, typ: string(library.Gauge), help: "1 if the target's last scrape succeeded (written by the simulator)."}
		for _, u := range ups {
			up.samples = append(up.samples, u.samples...)
		}
		for _, f := range append([]family{up}, fams...) {
			omName, omType := openMetricsFamily(f)
			if !seen[f.name] {
				seen[f.name] = true
				fmt.Fprintf(bw, "# TYPE %s %s\n# HELP %s %s\n", omName, omType, omName, omHelpEscaper.Replace(f.help))
			}
			for _, smp := range f.samples {
				writeSeries(bw, smp.name, smp.labels)
				bw.WriteByte(' ')
				bw.WriteString(strconv.FormatFloat(smp.value, 'g', -1, 64))
				bw.WriteByte(' ')
				bw.WriteString(ts)
				bw.WriteByte('\n')
			}
		}
	}
	bw.WriteString("# EOF\n")
	return bw.Flush()
}

var omHelpEscaper = strings.NewReplacer(`\`, `\\`, "\n", `\n`, `"`, `\"`)

// openMetricsFamily names a family the OpenMetrics way: a counter family
// is named without its samples' _total suffix; a counter whose samples
// lack the suffix (TGI, DCGM) is left untyped.
func openMetricsFamily(f family) (name, typ string) {
	switch f.typ {
	case string(library.Counter):
		if base, ok := strings.CutSuffix(f.name, "_total"); ok {
			return base, f.typ
		}
		return f.name, "unknown"
	case string(library.Gauge), string(library.Histogram), string(library.Summary):
		return f.name, f.typ
	}
	return f.name, "unknown"
}
