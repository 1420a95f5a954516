package alertmanager_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/alertmanager/config"
	"github.com/prometheus/alertmanager/dispatch"
	"github.com/prometheus/common/model"

	"github.com/inferobs/inferobs/generators/alertmanager"
	"github.com/inferobs/inferobs/generators/rules"
	"github.com/inferobs/inferobs/library"
)

func TestGenerateIsDeterministic(t *testing.T) {
	for _, np := range plans(t) {
		a, err := alertmanager.Generate(np.p)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := alertmanager.Generate(np.p)
		want := []string{alertmanager.InhibitPath, alertmanager.RoutesPath}
		if np.p.Kubernetes() != nil {
			want = append(want, alertmanager.ObjectPath)
		}
		var got []string
		for i := range a {
			got = append(got, a[i].Path)
			if !bytes.Equal(a[i].Data, b[i].Data) {
				t.Errorf("%s %s: two runs differ", np.name, a[i].Path)
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: artifacts %v, want %v", np.name, got, want)
		}
	}
}

// TestComposedConfigLoads loads the pasted snippets with Alertmanager's
// own configuration loader (strict: an unknown or misspelt key is an
// error) and, where installed, checks them with amtool.
func TestComposedConfigLoads(t *testing.T) {
	amtool, _ := exec.LookPath("amtool")
	for _, np := range plans(t) {
		text := compose(alertmanager.Build(np.p))
		cfg, err := config.Load(text)
		if err != nil {
			t.Fatalf("%s: %v\n%s", np.name, err, text)
		}
		if len(cfg.InhibitRules) == 0 || len(cfg.Route.Routes) != 1 || len(cfg.Route.Routes[0].Routes) != 2 {
			t.Errorf("%s: loaded %d inhibit rules and routes %+v", np.name, len(cfg.InhibitRules), cfg.Route.Routes)
		}
		if amtool == "" {
			continue
		}
		f := filepath.Join(t.TempDir(), "alertmanager.yaml")
		if err := os.WriteFile(f, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command(amtool, "check-config", f).CombinedOutput(); err != nil {
			t.Errorf("%s: amtool check-config: %v\n%s", np.name, err, out)
		}
	}
	if amtool == "" {
		t.Log("amtool not installed: checked with the config package only")
	}
}

// TestLoaderRejectsMisspeltKey shows the strict load above can fail.
func TestLoaderRejectsMisspeltKey(t *testing.T) {
	text := compose(alertmanager.Build(planOf(t, twoModels)))
	bad := strings.Replace(text, "group_wait:", "group_wiat:", 1)
	if _, err := config.Load(bad); err == nil || !strings.Contains(err.Error(), "group_wiat") {
		t.Errorf("misspelt key loaded: %v", err)
	}
	bad = strings.Replace(text, "source_matchers:\n      - alertname=", "source_matchers:\n      - alertname==", 1)
	if _, err := config.Load(bad); err == nil {
		t.Error("bad matcher loaded")
	}
}

// TestRouting sends every generated alert through Alertmanager's own
// routing of the composed configuration: pages reach the page receiver,
// tickets the ticket receiver, and alerts inferobs did not generate stay
// on the root route.
func TestRouting(t *testing.T) {
	for _, np := range plans(t) {
		p := np.p
		c := alertmanager.Build(p)
		cfg, err := config.Load(compose(c))
		if err != nil {
			t.Fatal(err)
		}
		root := dispatch.NewRoute(cfg.Route, nil)
		receiverOf := func(ls model.LabelSet) []string {
			var out []string
			for _, r := range root.Match(ls) {
				out = append(out, r.RouteOpts.Receiver)
			}
			return out
		}
		alerts := alertsOf(t, p)
		if len(alerts) == 0 {
			t.Fatalf("%s: no alerts", np.name)
		}
		for _, a := range alerts {
			want := c.TicketReceiver
			switch a.labels[library.LabelSeverity] {
			case model.LabelValue(p.Severity("page")):
				want = c.PageReceiver
			case model.LabelValue(p.Severity("ticket")):
			default:
				t.Errorf("%s: %v has severity %q, neither page (%s) nor ticket (%s)", np.name, a.labels, a.labels[library.LabelSeverity], p.Severity("page"), p.Severity("ticket"))
			}
			// With and without the environment external label.
			for _, ls := range []model.LabelSet{a.labels, with(a.labels, library.LabelEnv, p.Environment)} {
				if got := receiverOf(ls); !slices.Equal(got, []string{want}) {
					t.Errorf("%s: %v goes to %v, want %s", np.name, ls, got, want)
				}
			}
		}
		// Others' alerts, even with inferobs's labels, are not taken.
		for _, ls := range []model.LabelSet{
			{"alertname": "Watchdog", "severity": "none"},
			{"alertname": "KubePodCrashLooping", "severity": "critical", "namespace": "llm"},
			{"alertname": "LLMEngineTargetMissingX", "severity": model.LabelValue(p.Severity("page")), "model": "a"},
			with(alerts[0].labels, "alertname", "Prefix"+string(alerts[0].labels["alertname"])),
		} {
			if got := receiverOf(ls); !slices.Equal(got, []string{rootReceiver}) {
				t.Errorf("%s: %v goes to %v, want the root's %s", np.name, ls, got, rootReceiver)
			}
		}
		if k := p.Kubernetes(); k != nil {
			for l := range k.AlertLabels {
				ls := without(alerts[0].labels, l)
				if got := receiverOf(ls); !slices.Equal(got, []string{rootReceiver}) {
					t.Errorf("%s: %v without alert label %s goes to %v, want the root's", np.name, ls, l, got)
				}
			}
		}
	}
}

func without(ls model.LabelSet, name string) model.LabelSet {
	out := with(ls)
	delete(out, model.LabelName(name))
	return out
}

// TestAlertNamesCovered checks the generator's lists of alert names
// against the rules: every generated alert is a burn alert, the target
// missing alert or a diagnostic the generator knows, and exactly the GPU
// diagnostics lack a model label.
func TestAlertNamesCovered(t *testing.T) {
	for _, np := range plans(t) {
		c := alertmanager.Build(np.p)
		burns := 0
		for _, a := range alertsOf(t, np.p) {
			name := a.rule.Alert
			_, hasModel := a.labels[library.LabelModel]
			switch {
			case slices.Contains(c.BurnAlerts, name):
				burns++
				if _, ok := a.labels[library.LabelTier]; !ok || !hasModel {
					t.Errorf("%s: burn alert %s without tier or model: %v", np.name, name, a.labels)
				}
			case name == rules.AlertTargetMissing, slices.Contains(alertmanager.ModelDiagnostics, name):
				if !hasModel {
					t.Errorf("%s: %s has no model label", np.name, name)
				}
			case slices.Contains(alertmanager.GPUDiagnostics, name):
				if hasModel {
					t.Errorf("%s: %s has a model label", np.name, name)
				}
			default:
				t.Errorf("%s: alert %s is unknown to the alertmanager generator", np.name, name)
			}
		}
		if burns == 0 {
			t.Errorf("%s: no burn alerts", np.name)
		}
	}
}
