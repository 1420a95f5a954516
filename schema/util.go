package schema

import (
	"github.com/inferobs/inferobs/schema/diag"

	"sort"
	"strconv"
)

func sortStrings(s []string) { sort.Strings(s) }

func literalString(s string) (string, error) { return strconv.Unquote(s) }

// nearest returns the candidate closest to s by edit distance, if it is
// close enough to be a likely typo.
func nearest(s string, cands []string) string {
	best, bestD := "", len(s)/2+2
	for _, c := range cands {
		if d := diag.EditDistance(s, c); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}
