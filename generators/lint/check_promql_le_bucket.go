package lint

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/inferobs/inferobs/library"
	"github.com/prometheus/prometheus/model/labels"
)

// promqlLeBucketName reports le="..." matchers on engine _bucket series
// that match no series: a value that is not a bucket boundary of that
// family in that version, or a boundary written in another text form than
// the engine prints (vLLM prints 1 as "1.0").
const promqlLeBucketName = "promql/le-bucket"

type promqlLeBucket struct{}

func (promqlLeBucket) name() string { return promqlLeBucketName }

func (promqlLeBucket) check(e *entry) []Finding {
	var out []Finding
	for _, s := range e.sels {
		sr, ok := e.seriesOf(s)
		if !ok || sr.suffix != sufBucket || sr.fam.Type != library.Histogram {
			continue
		}
		for _, m := range s.vs.LabelMatchers {
			if m.Name != labels.BucketLabel || m.Type != labels.MatchEqual || strings.Contains(m.Value, varMark) {
				continue
			}
			if sev, msg, bad := checkLe(sr, m.Value); bad {
				out = append(out, e.findingAt(s.vs, promqlLeBucketName, sev, "%s", msg))
			}
		}
	}
	return out
}

// checkLe judges one le value against the family's boundaries and the
// text the engine's client library prints for them.
func checkLe(sr series, text string) (Severity, string, bool) {
	style, label := sr.cat.Info.LeStyle, engineLabel(sr.cat)
	head := fmt.Sprintf("%s=%q on %s", labels.BucketLabel, text, sr.name)
	v, err := strconv.ParseFloat(text, 64)
	if err != nil {
		return SeverityError, head + " never matches: the value is not a number", true
	}
	b, ok := boundary(sr.fam.Buckets, v)
	if !ok {
		return SeverityError, fmt.Sprintf("%s never matches: %s is not a bucket boundary of %s in %s%s",
			head, text, sr.fam.Name, label, nearText(style, sr.fam.Buckets, v)), true
	}
	in2 := slices.Contains(style.LeTexts(b, 2, true), text)
	in3 := slices.Contains(style.LeTexts(b, 3, true), text)
	switch {
	case in2 && in3:
		return "", "", false
	case !in2 && !in3:
		return SeverityError, fmt.Sprintf("%s never matches: %s exposes this boundary as %s=%q",
			head, displayName(sr.cat.Engine()), labels.BucketLabel, style.LeText(b)), true
	}
	only := 3
	if in2 {
		only = 2
	}
	all := slices.Compact(append(style.LeTexts(b, 2, true), style.LeTexts(b, 3, true)...))
	quoted := make([]string, len(all))
	for i, t := range all {
		quoted[i] = regexp.QuoteMeta(t)
	}
	return SeverityWarning, fmt.Sprintf("%s matches only in Prometheus %d (scraped series); match both forms with %s=~%q",
		head, only, labels.BucketLabel, strings.Join(quoted, "|")), true
}

// boundary finds the bucket boundary equal to v (+Inf is always one).
func boundary(buckets []float64, v float64) (float64, bool) {
	if math.IsInf(v, 1) {
		return v, true
	}
	for _, b := range buckets {
		if library.NearlyEqual(b, v) {
			return b, true
		}
	}
	return 0, false
}

func nearText(style library.LeStyle, buckets []float64, v float64) string {
	below, above := library.NearestBuckets(buckets, v)
	var parts []string
	for _, b := range []float64{below, above} {
		if !math.IsNaN(b) {
			parts = append(parts, strconv.Quote(style.LeText(b)))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return " (nearest: " + strings.Join(parts, ", ") + ")"
}
