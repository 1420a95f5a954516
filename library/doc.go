// Package library holds inferobs's domain knowledge as data: the metric
// catalogs of the inference engines by engine and version (vLLM, TGI), the
// DCGM exporter fields, the Kubernetes platform metrics, the spanmetrics
// naming per collector version, the workload presets and the burn-rate window
// tables.
//
// A fact lives here once. Generators ask for a metric by its Role (what it
// measures) and get the exact name, type, labels and bucket boundaries the
// engine version exposes; they never spell a metric name themselves.
package library
