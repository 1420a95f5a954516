package simulate

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/inferobs/inferobs/generators/cardinality/synth"
)

// CheckLoopback accepts a listen address only when it binds the loopback
// interface: an IP literal that is loopback (127.0.0.1, ::1) or
// "localhost". An empty host (":9400") would bind every interface.
func CheckLoopback(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("listen address %q: %v", addr, err)
	}
	if port == "" {
		return fmt.Errorf("listen address %q has no port", addr)
	}
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("listen address %q is not a loopback address: the simulator serves 127.0.0.1, ::1 or localhost only", addr)
	}
	return nil
}

// Listen opens a loopback listener (see CheckLoopback).
func Listen(addr string) (net.Listener, error) {
	if err := CheckLoopback(addr); err != nil {
		return nil, err
	}
	return net.Listen("tcp", addr)
}

// SDTarget is one entry of Prometheus's file and HTTP service discovery
// format.
type SDTarget struct {
	Targets []string          `json:"targets"`
	Labels  map[string]string `json:"labels"`
}

// ServiceDiscovery returns the simulator's targets in Prometheus's
// file_sd / http_sd format, for a simulator reachable at addr: each entry
// carries the target's labels and its __metrics_path__.
func (s *Sim) ServiceDiscovery(addr string) []SDTarget {
	var out []SDTarget
	for _, t := range s.targets {
		ls := map[string]string{"__metrics_path__": t.Path}
		for k, v := range t.Labels {
			ls[k] = v
		}
		out = append(out, SDTarget{Targets: []string{addr}, Labels: ls})
	}
	return out
}

// Handler serves the simulation:
//
//	/metrics            every target's series, target labels included (scrape with honor_labels: true)
//	/metrics/engine/M/R one engine replica exactly as the engine serves it (503 once it is down)
//	/metrics/dcgm/NODE  one node's DCGM exporter
//	/metrics/gateway    the collector's spanmetrics
//	/targets            the targets in http_sd format (labels and paths)
//	/                   an index
//
// now is the clock (nil: time.Now).
func (s *Sim) Handler(now func() time.Time) http.Handler {
	if now == nil {
		now = time.Now
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/metrics", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", synth.ContentType)
		w.Write(s.RenderAll(now()))
	})
	mux.HandleFunc("/metrics/", func(w http.ResponseWriter, r *http.Request) {
		body, err := s.Render(r.URL.Path, now())
		switch {
		case errors.Is(err, ErrTargetDown):
			http.Error(w, "engine unavailable (simulated)", http.StatusServiceUnavailable)
			return
		case err != nil:
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", synth.ContentType)
		w.Write(body)
	})
	mux.HandleFunc("/targets", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(s.ServiceDiscovery(r.Host))
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprint(w, s.Describe())
	})
	return mux
}

// Describe says what the simulation serves, for the index page and the CLI.
func (s *Sim) Describe() string {
	var b strings.Builder
	sc := s.w.sc
	fmt.Fprintf(&b, "inferobs simulate: scenario %s (seed %d, speed %gx, onset %s of scenario time)\n", sc.Name, s.opts.Seed, s.opts.Speed, s.opts.Onset)
	fmt.Fprintf(&b, "  %s\n  should trigger: %s\n", sc.Summary, sc.Triggers)
	if s.w.subject != nil {
		fmt.Fprintf(&b, "  subject model: %s\n", s.w.subject.Name)
	}
	b.WriteString("\n/metrics: every target's series with target labels (scrape with honor_labels: true)\n/targets: the targets below in http_sd format\n\n")
	ts := s.Targets()
	sort.SliceStable(ts, func(i, j int) bool { return ts[i].Kind < ts[j].Kind })
	for _, t := range ts {
		var ls []string
		for k, v := range t.Labels {
			ls = append(ls, fmt.Sprintf("%s=%q", k, v))
		}
		sort.Strings(ls)
		fmt.Fprintf(&b, "%-8s %s {%s}\n", t.Kind, t.Path, strings.Join(ls, ", "))
	}
	return b.String()
}
