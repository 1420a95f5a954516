package lint

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/prometheus/common/model"

	"github.com/inferobs/inferobs/generators/emit"
	"github.com/inferobs/inferobs/library"
)

// SpecRecord is what inferobs records of its spec in an output directory's
// manifest, so that linting the output later (`inferobs lint out/`) checks
// each query at the version of the models it selects without the spec.
type SpecRecord struct {
	ScrapeInterval string          `json:"scrapeInterval,omitempty"`
	Models         []RecordedModel `json:"models"`
}

// RecordedModel is one model of a SpecRecord.
type RecordedModel struct {
	Name          string            `json:"name"`
	Engine        string            `json:"engine"`
	EngineVersion string            `json:"engineVersion"`
	Selector      map[string]string `json:"selector"`
	ServedName    string            `json:"servedName,omitempty"`
	DataParallel  int               `json:"dataParallel,omitempty"`
}

// Record describes models (sorted by the caller) for the manifest.
func Record(models []Model, scrape time.Duration) SpecRecord {
	r := SpecRecord{Models: []RecordedModel{}}
	if scrape > 0 {
		r.ScrapeInterval = model.Duration(scrape).String()
	}
	for _, m := range models {
		r.Models = append(r.Models, RecordedModel{Name: m.Name, Engine: string(m.Engine), EngineVersion: m.Version.String(),
			Selector: m.Selector, ServedName: m.ServedName, DataParallel: m.DataParallel})
	}
	return r
}

// manifestOptions returns opts with the models of the manifest nearest to
// file (its directory or an ancestor's), when opts has no models of its
// own (no --spec) and such a manifest records them. found says whether one
// did; a manifest that does not decode is an error, one without a spec
// record (older inferobs) is ignored.
func manifestOptions(file string, opts Options, cache map[string]*SpecRecord) (Options, bool, error) {
	if len(opts.Models) > 0 {
		return opts, false, nil
	}
	abs, err := filepath.Abs(file)
	if err != nil {
		return opts, false, err
	}
	for dir := filepath.Dir(abs); ; dir = filepath.Dir(dir) {
		rec, err := readRecord(dir, cache)
		if err != nil {
			return opts, false, err
		}
		if rec != nil {
			return rec.apply(opts)
		}
		if parent := filepath.Dir(dir); parent == dir {
			return opts, false, nil
		}
	}
}

func readRecord(dir string, cache map[string]*SpecRecord) (*SpecRecord, error) {
	if r, ok := cache[dir]; ok {
		return r, nil
	}
	path := filepath.Join(dir, emit.ManifestName)
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		cache[dir] = nil
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var m struct {
		Spec *SpecRecord `json:"spec"`
	}
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	cache[dir] = m.Spec
	return m.Spec, nil
}

func (r *SpecRecord) apply(opts Options) (Options, bool, error) {
	opts.Models = nil
	for _, m := range r.Models {
		v, err := library.ParseVersion(m.EngineVersion)
		if err != nil {
			return opts, false, fmt.Errorf("manifest model %q: %w", m.Name, err)
		}
		opts.Models = append(opts.Models, Model{Name: m.Name, Engine: library.Engine(m.Engine), Version: v,
			Selector: m.Selector, ServedName: m.ServedName, DataParallel: m.DataParallel})
	}
	if r.ScrapeInterval != "" && opts.ScrapeInterval == 0 {
		d, err := model.ParseDuration(r.ScrapeInterval)
		if err != nil {
			return opts, false, fmt.Errorf("manifest scrape interval: %w", err)
		}
		opts.ScrapeInterval = time.Duration(d)
	}
	return opts, true, nil
}
