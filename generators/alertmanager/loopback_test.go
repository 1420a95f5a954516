package alertmanager_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/common/model"

	"github.com/inferobs/inferobs/generators/alertmanager"
	"github.com/inferobs/inferobs/generators/plan"
	"github.com/inferobs/inferobs/generators/rules"
	"github.com/inferobs/inferobs/library"
)

// alertmanagerBinary is Debian's Alertmanager (.ci/run installs
// prometheus-alertmanager), or one named alertmanager on the PATH.
func alertmanagerBinary(t *testing.T) string {
	for _, name := range []string{"prometheus-alertmanager", "alertmanager"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("no prometheus-alertmanager binary (Debian's prometheus-alertmanager package)")
	return ""
}

func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startAlertmanager runs bin with the configuration text on a free
// loopback port, clustering off, and waits until it is ready. Cleanup
// stops it by its PID.
func startAlertmanager(t *testing.T, bin, cfgText string) string {
	t.Helper()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "alertmanager.yaml")
	if err := os.WriteFile(cfg, []byte(cfgText), 0o644); err != nil {
		t.Fatal(err)
	}
	for attempt := 0; ; attempt++ {
		port := freePort(t)
		base := fmt.Sprintf("http://127.0.0.1:%d", port)
		logPath := filepath.Join(dir, fmt.Sprintf("alertmanager-%d.log", attempt))
		logf, err := os.Create(logPath)
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(bin,
			"--config.file="+cfg,
			"--storage.path="+filepath.Join(dir, fmt.Sprintf("data-%d", attempt)),
			fmt.Sprintf("--web.listen-address=127.0.0.1:%d", port),
			"--cluster.listen-address=",
		)
		cmd.Stdout, cmd.Stderr = logf, logf
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan struct{})
		go func() { cmd.Wait(); logf.Close(); close(done) }()
		stop := func() {
			select {
			case <-done:
				return
			default:
			}
			cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				cmd.Process.Kill()
				<-done
			}
		}
		ready := false
		for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline) && !ready; {
			select {
			case <-done:
				deadline = time.Now()
				continue
			default:
			}
			if resp, err := http.Get(base + "/-/ready"); err == nil {
				resp.Body.Close()
				ready = resp.StatusCode == http.StatusOK
			}
			if !ready {
				time.Sleep(50 * time.Millisecond)
			}
		}
		if ready {
			t.Cleanup(stop)
			return base
		}
		stop()
		out, _ := os.ReadFile(logPath)
		if attempt < 2 && bytes.Contains(out, []byte("address already in use")) {
			continue
		}
		t.Fatalf("%s did not become ready:\n%s", bin, out)
	}
}

type postedAlert struct {
	Labels      model.LabelSet `json:"labels"`
	Annotations model.LabelSet `json:"annotations,omitempty"`
	StartsAt    time.Time      `json:"startsAt"`
	EndsAt      time.Time      `json:"endsAt"`
}

type gotAlert struct {
	Labels      model.LabelSet `json:"labels"`
	Fingerprint string         `json:"fingerprint"`
	Status      struct {
		State       string   `json:"state"`
		InhibitedBy []string `json:"inhibitedBy"`
	} `json:"status"`
}

// incident picks the alerts of an engine-down incident from the plan's
// generated rules.
type incident struct {
	p      *plan.Plan
	alerts []alert
}

// sloAlert returns the burn alerts of the SLO of kind on model (tenant ""
// for an engine-measured SLO) in the given tiers (all when none).
func (in incident) sloAlert(t *testing.T, kind library.SLOKind, mdl, tenant string, tiers ...string) []model.LabelSet {
	t.Helper()
	var name string
	for _, s := range in.p.SLOs {
		if s.Kind == kind && s.Model.Name == mdl && (s.Tenant == nil) == (tenant == "") {
			name = rules.AlertName(s)
		}
	}
	var out []model.LabelSet
	for _, a := range in.alerts {
		l := a.labels
		if a.rule.Alert == name && string(l[library.LabelModel]) == mdl && string(l[library.LabelTenant]) == tenant &&
			(len(tiers) == 0 || slices.Contains(tiers, string(l[library.LabelTier]))) {
			out = append(out, a.labels)
		}
	}
	if len(out) == 0 || len(tiers) > 0 && len(out) != len(tiers) {
		t.Fatalf("burn alerts of %s on %s (tenant %q, tiers %v): found %d", kind, mdl, tenant, tiers, len(out))
	}
	return out
}

func (in incident) named(t *testing.T, name, mdl string) model.LabelSet {
	t.Helper()
	for _, a := range in.alerts {
		if a.rule.Alert == name && string(a.labels[library.LabelModel]) == mdl {
			return a.labels
		}
	}
	t.Fatalf("no alert %s of model %q", name, mdl)
	return nil
}

// TestInhibitionOnRealAlertmanager runs Alertmanager on loopback with the
// composed configuration, posts the alerts of an incident where model a's
// engine is down, and reads back which are inhibited. Model b keeps
// paging for its own SLOs, its ticket tier of an SLO whose page tier
// fires is muted by that page, and nothing crosses models, environments
// or to alerts inferobs did not generate.
func TestInhibitionOnRealAlertmanager(t *testing.T) {
	bin := alertmanagerBinary(t)
	for _, tc := range []struct{ name, spec string }{
		{"plain", twoModels},
		{"kubernetes", twoModels + kubernetesBlock},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := planOf(t, tc.spec)
			base := startAlertmanager(t, bin, compose(alertmanager.Build(p)))
			in := incident{p: p, alerts: alertsOf(t, p)}
			env := func(ls model.LabelSet) model.LabelSet { return with(ls, library.LabelEnv, p.Environment) }
			// The first page tier and the first ticket tier.
			var page, ticket string
			for _, tr := range slices.Backward(p.Tiers) {
				switch tr.Severity {
				case "page":
					page = tr.Name
				case "ticket":
					ticket = tr.Name
				}
			}

			targetMissing := env(in.named(t, rules.AlertTargetMissing, "a"))
			var muted, kept []model.LabelSet
			for _, ls := range in.sloAlert(t, library.SLOTTFT, "a", "") {
				muted = append(muted, env(ls))
			}
			for _, ls := range in.sloAlert(t, library.SLOE2E, "a", "acme") {
				muted = append(muted, env(ls))
			}
			aITLPage := env(in.sloAlert(t, library.SLOITL, "a", "", page)[0])
			aDiag := env(in.named(t, rules.AlertKVCacheThrash, "a"))
			bTTFTPage := env(in.sloAlert(t, library.SLOTTFT, "b", "", page)[0])
			bTTFTTicket := env(in.sloAlert(t, library.SLOTTFT, "b", "", ticket)[0])
			muted = append(muted, aITLPage, aDiag, bTTFTTicket)
			kept = append(kept,
				targetMissing,
				bTTFTPage,
				// Model a's ITL page fires (muted itself) and must not mute b's ticket.
				env(in.sloAlert(t, library.SLOITL, "b", "", ticket)[0]),
				env(in.named(t, rules.AlertKVCacheThrash, "b")),
				env(in.named(t, rules.AlertGPUXIDError, "")),
				// The same alert of model a in another environment.
				with(in.sloAlert(t, library.SLOTTFT, "a", "", page)[0], library.LabelEnv, "staging"),
				// Someone else's alert about model a.
				with(aDiag, "alertname", "KubePodCrashLooping"),
			)

			now := time.Now()
			var posted []postedAlert
			for _, ls := range slices.Concat(muted, kept) {
				posted = append(posted, postedAlert{Labels: ls, StartsAt: now.Add(-time.Minute), EndsAt: now.Add(time.Hour)})
			}
			body, _ := json.Marshal(posted)
			resp, err := http.Post(base+"/api/v2/alerts", "application/json", bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			msg, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("POST /api/v2/alerts: %s: %s", resp.Status, msg)
			}

			// Inhibition is evaluated as the alerts are read, against the
			// sources the inhibitor has seen: poll until every muted alert
			// is muted (or the deadline), then check the whole state.
			var got map[model.Fingerprint]gotAlert
			for deadline := time.Now().Add(20 * time.Second); ; {
				got = readAlerts(t, base)
				done := len(got) == len(posted)
				for _, ls := range muted {
					done = done && len(got[ls.Fingerprint()].Status.InhibitedBy) > 0
				}
				if done || time.Now().After(deadline) {
					break
				}
				time.Sleep(100 * time.Millisecond)
			}
			if len(got) != len(posted) {
				t.Fatalf("Alertmanager holds %d alerts, posted %d", len(got), len(posted))
			}
			for _, ls := range muted {
				if a := got[ls.Fingerprint()]; len(a.Status.InhibitedBy) == 0 {
					t.Errorf("not inhibited (state %s): %v", a.Status.State, ls)
				}
			}
			for _, ls := range kept {
				if a := got[ls.Fingerprint()]; len(a.Status.InhibitedBy) > 0 || a.Status.State != "active" {
					t.Errorf("inhibited or not active (state %s, by %v): %v", a.Status.State, a.Status.InhibitedBy, ls)
				}
			}
			// Who mutes whom: the missing target mutes a's page; b's page
			// mutes b's ticket of the same SLO.
			aTTFTPage := env(in.sloAlert(t, library.SLOTTFT, "a", "", page)[0])
			for _, pair := range [][2]model.LabelSet{{aTTFTPage, targetMissing}, {aITLPage, targetMissing}, {bTTFTTicket, bTTFTPage}} {
				target, source := pair[0], pair[1]
				if by := got[target.Fingerprint()].Status.InhibitedBy; !slices.Equal(by, []string{source.Fingerprint().String()}) {
					t.Errorf("%v inhibited by %v, want %s (%v)", target, by, source.Fingerprint(), source)
				}
			}
			if p.Kubernetes() != nil && !strings.Contains(string(aTTFTPage[library.LabelSeverity]), "critical") {
				t.Errorf("kubernetes severities not mapped: %v", aTTFTPage)
			}
		})
	}
}

func readAlerts(t *testing.T, base string) map[model.Fingerprint]gotAlert {
	t.Helper()
	resp, err := http.Get(base + "/api/v2/alerts")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var as []gotAlert
	if err := json.NewDecoder(resp.Body).Decode(&as); err != nil {
		t.Fatal(err)
	}
	out := map[model.Fingerprint]gotAlert{}
	for _, a := range as {
		if fp := a.Labels.Fingerprint(); fp.String() != a.Fingerprint {
			t.Fatalf("fingerprint %s of %v, Alertmanager says %s", fp, a.Labels, a.Fingerprint)
		}
		out[a.Labels.Fingerprint()] = a
	}
	return out
}

// TestStackDefaultInhibitionCrossesModels backs the README's warning:
// kube-prometheus-stack's default rule (critical mutes warning|info with
// equal namespace and alertname) lets one model's page mute another
// model's ticket tier of the same SLO; adding model, slo and tenant to
// its equal, as the README says, stops that.
func TestStackDefaultInhibitionCrossesModels(t *testing.T) {
	bin := alertmanagerBinary(t)
	p := planOf(t, twoModels+kubernetesBlock)
	in := incident{p: p, alerts: alertsOf(t, p)}
	var page, ticket string
	for _, tr := range slices.Backward(p.Tiers) {
		switch tr.Severity {
		case "page":
			page = tr.Name
		case "ticket":
			ticket = tr.Name
		}
	}
	aPage := in.sloAlert(t, library.SLOITL, "a", "", page)[0]
	bTicket := in.sloAlert(t, library.SLOITL, "b", "", ticket)[0]
	// Muted by a's page in either case: once it is, the inhibitor has
	// seen the page, and b's state is final.
	aTicket := in.sloAlert(t, library.SLOITL, "a", "", ticket)[0]
	for _, tc := range []struct {
		equal     string
		inhibited bool
	}{
		{"[namespace, alertname]", true},
		{"[namespace, alertname, model, slo, tenant]", false},
	} {
		stackRule := "inhibit_rules:\n" +
			"  - source_matchers: ['severity = critical']\n" +
			"    target_matchers: ['severity =~ warning|info']\n" +
			"    equal: " + tc.equal + "\n"
		base := startAlertmanager(t, bin, strings.Replace(compose(alertmanager.Build(p)), "inhibit_rules:\n", stackRule, 1))
		now := time.Now()
		body, _ := json.Marshal([]postedAlert{
			{Labels: aPage, StartsAt: now.Add(-time.Minute), EndsAt: now.Add(time.Hour)},
			{Labels: bTicket, StartsAt: now.Add(-time.Minute), EndsAt: now.Add(time.Hour)},
			{Labels: aTicket, StartsAt: now.Add(-time.Minute), EndsAt: now.Add(time.Hour)},
		})
		resp, err := http.Post(base+"/api/v2/alerts", "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		var by []string
		for deadline := time.Now().Add(10 * time.Second); ; {
			got := readAlerts(t, base)
			by = got[bTicket.Fingerprint()].Status.InhibitedBy
			if len(got) == 3 && len(got[aTicket.Fingerprint()].Status.InhibitedBy) > 0 || time.Now().After(deadline) {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		if inhibited := slices.Equal(by, []string{aPage.Fingerprint().String()}); inhibited != tc.inhibited {
			t.Errorf("equal %s: model b's ticket %v inhibited by %v, want inhibited by model a's page: %v", tc.equal, bTicket, by, tc.inhibited)
		}
	}
}
