// Package conformance checks otel/collector.yaml, as inferobs generates it
// for the examples and for test specs, against the real OpenTelemetry
// collector components of one collector-contrib release: it resolves the
// file the way the collector does (file and env providers, "$$" escapes),
// decodes each section into the component's own Config from its factory's
// defaults, validates it, builds the component, and runs spans through the
// spanmetrics connector to compare the metric names and buckets it emits
// with what the plan's rules read. Where the metrics leave through the
// prometheus exporter (tracing.scrape: false with a kubernetes block), the
// real exporter is started on a free loopback port, fed by the real
// connector, and scraped and parsed the way Prometheus does. The scrape
// jobs are loaded by Prometheus's own config loader.
//
// Run it with: cd generators/collector/conformance && go test ./...
package conformance
