package main

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
)

// MetricSpec mirrors facts/metricsContract.ts's MetricSpec; build.sh writes the contract as JSON
// into each platform image, so the stand-ins expose exactly the contract's families and labels.
type MetricSpec struct {
	Name      string              `json:"name"`
	Type      string              `json:"type"`
	Help      string              `json:"help"`
	Labels    []string            `json:"labels"`
	Values    map[string][]string `json:"values"`
	Buckets   []float64           `json:"buckets"`
	ExposedBy []string            `json:"exposedBy"`
}

const defaultContractPath = "/etc/standin/contract.json"

func loadContract() ([]MetricSpec, error) {
	path := os.Getenv("STANDIN_CONTRACT")
	if path == "" {
		path = defaultContractPath
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("metrics contract: %w", err)
	}
	var specs []MetricSpec
	if err := json.Unmarshal(raw, &specs); err != nil {
		return nil, fmt.Errorf("metrics contract %s: %w", path, err)
	}
	return specs, nil
}

// metricsFor returns the contract's families a service exposes; agents are "agents" in the contract.
func metricsFor(specs []MetricSpec, exposer string) []MetricSpec {
	var out []MetricSpec
	for _, s := range specs {
		for _, e := range s.ExposedBy {
			if e == exposer {
				out = append(out, s)
				break
			}
		}
	}
	return out
}

// metricValues drives the numbers of some families (the worker's documents); nil: all zero.
type metricValues interface {
	value(family string, labels map[string]string) (float64, bool)
	histogram(family string) (observed, count float64, ok bool)
}

// renderMetrics writes every family with one series per combination of the contract's fixed label
// values; free labels take the value the service knows (labelValue). Counters and histograms are
// 0 (nothing was processed) unless `values` drives them; enrichment_release_info is 1.
func renderMetrics(specs []MetricSpec, labelValue func(label string) string, values metricValues) string {
	var b strings.Builder
	for _, s := range specs {
		fmt.Fprintf(&b, "# HELP %s %s\n# TYPE %s %s\n", s.Name, strings.ReplaceAll(s.Help, "\n", " "), s.Name, s.Type)
		for _, labels := range combinations(s, labelValue) {
			switch s.Type {
			case "histogram":
				observed, count, ok := 0.0, 0.0, false
				if values != nil {
					observed, count, ok = values.histogram(s.Name)
				}
				for _, le := range s.Buckets {
					inBucket := 0.0
					if ok && observed <= le {
						inBucket = count
					}
					fmt.Fprintf(&b, "%s_bucket%s %s\n", s.Name, labelSet(labels, "le", strconv.FormatFloat(le, 'g', -1, 64)), number(inBucket))
				}
				fmt.Fprintf(&b, "%s_bucket%s %s\n", s.Name, labelSet(labels, "le", "+Inf"), number(count))
				fmt.Fprintf(&b, "%s_sum%s %s\n%s_count%s %s\n", s.Name, labelSet(labels, "", ""), number(observed*count), s.Name, labelSet(labels, "", ""), number(count))
			default:
				value := 0.0
				if strings.HasSuffix(s.Name, "_info") {
					value = 1
				} else if values != nil {
					asMap := map[string]string{}
					for _, p := range labels {
						asMap[p.k] = p.v
					}
					if v, ok := values.value(s.Name, asMap); ok {
						value = v
					}
				}
				fmt.Fprintf(&b, "%s%s %s\n", s.Name, labelSet(labels, "", ""), number(value))
			}
		}
	}
	return b.String()
}

func number(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

type pair struct{ k, v string }

func combinations(s MetricSpec, labelValue func(string) string) [][]pair {
	out := [][]pair{{}}
	for _, label := range s.Labels {
		values := s.Values[label]
		if len(values) == 0 {
			values = []string{labelValue(label)}
		}
		var next [][]pair
		for _, prefix := range out {
			for _, v := range values {
				row := append(append([]pair{}, prefix...), pair{label, v})
				next = append(next, row)
			}
		}
		out = next
	}
	return out
}

func labelSet(labels []pair, extraK, extraV string) string {
	all := append([]pair{}, labels...)
	if extraK != "" {
		all = append(all, pair{extraK, extraV})
	}
	if len(all) == 0 {
		return ""
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].k < all[j].k })
	parts := make([]string, len(all))
	for i, p := range all {
		parts[i] = fmt.Sprintf("%s=%q", p.k, p.v)
	}
	return "{" + strings.Join(parts, ",") + "}"
}
