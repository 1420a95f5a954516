package lint

import (
	"bytes"
	"encoding/json"
	"testing"
)

var formatFindings = []Finding{
	{File: "rules.yaml", Line: 6, Column: 15, Rule: "KVCacheOld", Check: metricRemovedName, Severity: SeverityError, Message: "vllm:gpu_cache_usage_perc was removed in vLLM 0.12; use vllm:kv_cache_usage_perc"},
	{File: "rules.yaml", Line: 43, Column: 15, Check: rulesGroupIntervalName, Severity: SeverityWarning, Message: `group "slow" is evaluated every 10m`},
	{File: "dash, v1.json", Line: 80, Panel: "Scheduler State", RefID: "B", Check: engineAssumedName, Severity: SeverityInfo, Message: "50% done\nnext"},
}

func TestFormatText(t *testing.T) {
	var b bytes.Buffer
	if err := FormatText(&b, formatFindings); err != nil {
		t.Fatal(err)
	}
	want := `rules.yaml
  6:15   error   metric/removed  vllm:gpu_cache_usage_perc was removed in vLLM 0.12; use vllm:kv_cache_usage_perc  (rule KVCacheOld)
  43:15  warning rules/group-interval  group "slow" is evaluated every 10m

dash, v1.json
  80     info    engine/assumed  50% done
next  (panel "Scheduler State", query B)

1 errors, 1 warnings, 1 info
`
	if b.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", b.String(), want)
	}
	b.Reset()
	if err := FormatText(&b, nil); err != nil || b.String() != "0 errors, 0 warnings, 0 info\n" {
		t.Errorf("empty: %q, %v", b.String(), err)
	}
}

func TestFormatGitHub(t *testing.T) {
	var b bytes.Buffer
	if err := FormatGitHub(&b, formatFindings); err != nil {
		t.Fatal(err)
	}
	want := `::error file=rules.yaml,line=6,col=15,title=metric/removed::vllm:gpu_cache_usage_perc was removed in vLLM 0.12; use vllm:kv_cache_usage_perc  (rule KVCacheOld)
::warning file=rules.yaml,line=43,col=15,title=rules/group-interval::group "slow" is evaluated every 10m
::notice file=dash%2C v1.json,line=80,title=engine/assumed::50%25 done%0Anext  (panel "Scheduler State", query B)
`
	if b.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", b.String(), want)
	}
}

func TestFormatJSON(t *testing.T) {
	var b bytes.Buffer
	if err := FormatJSON(&b, formatFindings); err != nil {
		t.Fatal(err)
	}
	var got []Finding
	if err := json.Unmarshal(b.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(formatFindings) {
		t.Fatalf("round trip: %d findings", len(got))
	}
	for i := range got {
		if got[i] != formatFindings[i] {
			t.Errorf("finding %d: got %+v, want %+v", i, got[i], formatFindings[i])
		}
	}
	if !bytes.Contains(b.Bytes(), []byte(`"refId": "B"`)) || bytes.Contains(b.Bytes(), []byte(`"column": 0`)) {
		t.Errorf("unexpected JSON shape:\n%s", b.String())
	}
	b.Reset()
	if err := FormatJSON(&b, nil); err != nil || b.String() != "[]\n" {
		t.Errorf("empty: %q, %v", b.String(), err)
	}
}
