package lint

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// FormatText writes findings for people, grouped by file:
//
//	rules/vllm.yaml
//	  12:11 error   metric/removed  vllm:gpu_cache_usage_perc was removed in vLLM 0.12; use vllm:kv_cache_usage_perc  (alert KVCacheFull)
//
// followed by a count per severity.
func FormatText(w io.Writer, fs []Finding) error {
	var b strings.Builder
	counts := map[Severity]int{}
	file := "\x00"
	for _, f := range fs {
		counts[f.Severity]++
		if f.File != file {
			if file != "\x00" {
				b.WriteString("\n")
			}
			file = f.File
			name := f.File
			if name == "" {
				name = "(expression)"
			}
			b.WriteString(name + "\n")
		}
		fmt.Fprintf(&b, "  %-6s %-7s %s  %s%s\n", position(f), f.Severity, f.Check, f.Message, context(f))
	}
	if len(fs) > 0 {
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "%d errors, %d warnings, %d info\n", counts[SeverityError], counts[SeverityWarning], counts[SeverityInfo])
	_, err := io.WriteString(w, b.String())
	return err
}

func position(f Finding) string {
	switch {
	case f.Line == 0:
		return "-"
	case f.Column == 0:
		return fmt.Sprint(f.Line)
	default:
		return fmt.Sprintf("%d:%d", f.Line, f.Column)
	}
}

// context names the panel/target or rule a finding belongs to.
func context(f Finding) string {
	var parts []string
	if f.Panel != "" {
		parts = append(parts, fmt.Sprintf("panel %q", f.Panel))
	}
	if f.RefID != "" {
		parts = append(parts, "query "+f.RefID)
	}
	if f.Rule != "" {
		parts = append(parts, "rule "+f.Rule)
	}
	if len(parts) == 0 {
		return ""
	}
	return "  (" + strings.Join(parts, ", ") + ")"
}

// FormatJSON writes findings as an indented JSON array.
func FormatJSON(w io.Writer, fs []Finding) error {
	if fs == nil {
		fs = []Finding{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(fs)
}

// FormatGitHub writes findings as GitHub Actions workflow commands
// (::error file=F,line=L,col=C,title=T::message); info becomes a notice.
func FormatGitHub(w io.Writer, fs []Finding) error {
	var b strings.Builder
	for _, f := range fs {
		level := "notice"
		switch f.Severity {
		case SeverityError:
			level = "error"
		case SeverityWarning:
			level = "warning"
		}
		var props []string
		if f.File != "" {
			props = append(props, "file="+ghProperty(f.File))
		}
		if f.Line > 0 {
			props = append(props, fmt.Sprintf("line=%d", f.Line))
		}
		if f.Column > 0 {
			props = append(props, fmt.Sprintf("col=%d", f.Column))
		}
		props = append(props, "title="+ghProperty(f.Check))
		fmt.Fprintf(&b, "::%s %s::%s\n", level, strings.Join(props, ","), ghData(f.Message+context(f)))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// ghData escapes a workflow command's message.
func ghData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

// ghProperty escapes a workflow command's property value.
func ghProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}
