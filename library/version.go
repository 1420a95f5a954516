package library

import (
	"fmt"
	"strconv"
	"strings"
)

// Version is a release number such as 0.11.0. A missing patch is zero.
type Version struct {
	Major, Minor, Patch int
}

// V builds a Version from its parts.
func V(major, minor, patch int) Version { return Version{major, minor, patch} }

// ParseVersion reads "0.11", "0.11.0" or "v0.11.0".
func ParseVersion(s string) (Version, error) {
	t := strings.TrimPrefix(strings.TrimSpace(s), "v")
	parts := strings.Split(t, ".")
	if len(parts) < 2 || len(parts) > 3 {
		return Version{}, fmt.Errorf("malformed version %q: want MAJOR.MINOR or MAJOR.MINOR.PATCH", s)
	}
	var nums [3]int
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 || p == "" || (len(p) > 1 && p[0] == '0') {
			return Version{}, fmt.Errorf("malformed version %q: %q is not a number", s, p)
		}
		nums[i] = n
	}
	return Version{nums[0], nums[1], nums[2]}, nil
}

// Compare returns -1, 0 or +1.
func (v Version) Compare(o Version) int {
	switch {
	case v.Major != o.Major:
		return cmp(v.Major, o.Major)
	case v.Minor != o.Minor:
		return cmp(v.Minor, o.Minor)
	default:
		return cmp(v.Patch, o.Patch)
	}
}

func cmp(a, b int) int {
	if a < b {
		return -1
	}
	if a > b {
		return 1
	}
	return 0
}

// Less reports v < o.
func (v Version) Less(o Version) bool { return v.Compare(o) < 0 }

// IsZero reports whether v is the zero Version (used as an open bound).
func (v Version) IsZero() bool { return v == Version{} }

func (v Version) String() string { return fmt.Sprintf("%d.%d.%d", v.Major, v.Minor, v.Patch) }

// Short prints MAJOR.MINOR, the granularity release notes use.
func (v Version) Short() string { return fmt.Sprintf("%d.%d", v.Major, v.Minor) }

// Range is a half-open version interval [Since, Until). A zero bound is open.
type Range struct {
	Since Version // first version that has it; zero means "always"
	Until Version // first version that no longer has it; zero means "still there"
}

// Contains reports whether v lies in the range.
func (r Range) Contains(v Version) bool {
	if !r.Since.IsZero() && v.Less(r.Since) {
		return false
	}
	if !r.Until.IsZero() && !v.Less(r.Until) {
		return false
	}
	return true
}
