package plan

// CollectorScrapes reports whether the collector scrapes the engines and
// the DCGM exporter with its prometheus receiver: always without a tracing
// block (scraping is all it does then), else tracing.scrape.
func (p *Plan) CollectorScrapes() bool {
	return p.Tracing == nil || p.Tracing.Spec.Scrape
}

// CollectorExposesMetrics reports whether the collector's metrics (its
// spanmetrics) leave through a prometheus exporter that the operator's
// Prometheus scrapes through a PodMonitor, rather than by remote write:
// when the collector only receives OTLP (tracing.scrape: false) and the
// kubernetes block has the operator scrape through monitors. Prometheus
// then ingests everything by scraping, as the stack is built to, and
// needs no remote-write receiver.
func (p *Plan) CollectorExposesMetrics() bool {
	k := p.Kubernetes()
	return !p.CollectorScrapes() && k != nil && k.Monitors == MonitorsPodMonitor
}

// Values of kubernetes.monitors.
const (
	MonitorsPodMonitor = "PodMonitor"
	MonitorsNone       = "none"
)

// scrapeWarnings: each engine must be scraped by exactly one of the
// collector and the operator's Prometheus. Twice, every engine series is
// ingested twice (the copies differ by the collector's environment
// label), so every sum over replicas or models counts it double; never,
// the engine SLOs and diagnostics read nothing. Both are warnings, not
// errors: the collector file and the monitors are deployed separately
// (and tracing.scrape defaults to true, so adding a kubernetes block to a
// traced spec must not stop it compiling); the message says which of the
// two to drop.
func (b *builder) scrapeWarnings() {
	k, tr := b.s.Kubernetes, b.s.Tracing
	if tr == nil {
		return
	}
	scrapePath := []string{"tracing", "scrape"}
	switch {
	case tr.Scrape && k != nil && k.Monitors == MonitorsPodMonitor:
		also := ""
		if k.DCGM != nil {
			also = " (and the DCGM exporter, which kubernetes.dcgmExporter has a PodMonitor scrape)"
		}
		b.warnf(scrapePath, "the engines would be scraped twice: kubernetes.monitors: %q has the operator's Prometheus scrape every model's engine%s, and the collector's prometheus receiver scrapes them too (tracing.scrape: true, the default), so every engine series is ingested twice and sums over models count it double; set tracing.scrape: false (the collector then only receives OTLP) or kubernetes.monitors: %q",
			MonitorsPodMonitor, also, MonitorsNone)
	case !tr.Scrape && (k == nil || k.Monitors == MonitorsNone):
		b.warnf(scrapePath, "nothing inferobs generates scrapes the engines or the DCGM exporter: tracing.scrape: false turns the collector's scrape jobs off, and without kubernetes.monitors: %q there are no PodMonitors; unless your own Prometheus configuration scrapes them (with the labels the rules select on), set tracing.scrape: true or add a kubernetes block with monitors: %q",
			MonitorsPodMonitor, MonitorsPodMonitor)
	case !tr.Scrape && k.DCGM == nil:
		b.warnf(scrapePath, "nothing inferobs generates scrapes the DCGM exporter: tracing.scrape: false turns the collector's DCGM job off and kubernetes.dcgmExporter is not set; set it (a PodMonitor then scrapes the exporter's pods) unless the exporter's own ServiceMonitor does")
	}
}
