package main

import (
	"os"
	"strconv"
	"strings"
	"time"
)

// The enrichment-worker stand-in's documents: it consumes no job, but reports a steady stream of
// documents on the contract's series, so that Prometheus, the dashboards, promote's gates and the
// rollout's canary analysis read real numbers per `release` label. Every counter is a function
// of the time since the process started, so a replaced container starts again from zero (a
// counter reset, as a real one would show).
//
//	STANDIN_DOCUMENTS_PER_MINUTE  documents a minute (default 60; 0: none, every counter stays 0)
//	STANDIN_DEGRADE_RELEASES      comma-separated releases that report the degraded profile below;
//	                              the e2e's rollout scenarios build a candidate listed here to
//	                              prove that a bad candidate is aborted
//
// The healthy profile meets every default target (completeness >= 95 %, auto-approval >= 90 %,
// no failed document, $0.05 <= $0.50 a document, 2 s <= 120 s); the degraded one misses them all.
type documentProfile struct {
	completeness float64
	autoApproval float64
	failedShare  float64
	costUSD      float64
	seconds      float64
}

var (
	healthyDocuments  = documentProfile{completeness: 0.97, autoApproval: 0.94, failedShare: 0, costUSD: 0.05, seconds: 2}
	degradedDocuments = documentProfile{completeness: 0.80, autoApproval: 0.60, failedShare: 0.05, costUSD: 0.80, seconds: 200}
)

// degradedRelease reports whether release is listed in STANDIN_DEGRADE_RELEASES.
func degradedRelease(release string) bool {
	for _, r := range strings.Split(os.Getenv("STANDIN_DEGRADE_RELEASES"), ",") {
		if strings.TrimSpace(r) == release && release != "" {
			return true
		}
	}
	return false
}

// documentSimulation answers the worker's counters and histograms at a given time.
type documentSimulation struct {
	started   time.Time
	perMinute float64
	profile   documentProfile
	now       func() time.Time
}

func newDocumentSimulation(release string) (*documentSimulation, error) {
	perMinute := 60.0
	if text := os.Getenv("STANDIN_DOCUMENTS_PER_MINUTE"); text != "" {
		v, err := strconv.ParseFloat(text, 64)
		if err != nil || v < 0 {
			return nil, &simulationError{"STANDIN_DOCUMENTS_PER_MINUTE=" + text + ": expected a number >= 0"}
		}
		perMinute = v
	}
	profile := healthyDocuments
	if degradedRelease(release) {
		profile = degradedDocuments
	}
	return &documentSimulation{started: time.Now(), perMinute: perMinute, profile: profile, now: time.Now}, nil
}

type simulationError struct{ message string }

func (e *simulationError) Error() string { return e.message }

// totals: documents processed so far, of which failed, completed and auto-approved. They grow
// continuously (not by whole documents), so every ratio a query takes over any window is the
// profile's exactly: the stand-in's numbers carry no sampling noise for an analysis to trip on.
func (s *documentSimulation) totals() (processed, failed, completed, approved float64) {
	elapsed := s.now().Sub(s.started).Seconds()
	processed = elapsed * s.perMinute / 60
	failed = processed * s.profile.failedShare
	completed = processed - failed
	approved = completed * s.profile.autoApproval
	return
}

// value of a counter or gauge series; ok false for a family the simulation does not drive.
func (s *documentSimulation) value(family string, labels map[string]string) (float64, bool) {
	_, failed, completed, approved := s.totals()
	switch family {
	case "enrichment_documents_processed_total":
		if labels["status"] == "failed" {
			return failed, true
		}
		return completed, true
	case "enrichment_documents_auto_approved_total":
		return approved, true
	case "enrichment_documents_in_progress":
		if s.perMinute > 0 {
			return 1, true
		}
		return 0, true
	case "enrichment_cost_usd_total":
		return completed * s.profile.costUSD, true
	}
	return 0, false
}

// histogram of a family: every observation equals one value (the profile's), so a bucket holds
// all of them from that value up; ok false for a family the simulation does not drive.
func (s *documentSimulation) histogram(family string) (observed, count float64, ok bool) {
	processed, _, completed, _ := s.totals()
	switch family {
	case "enrichment_document_completeness_score":
		return s.profile.completeness, completed, true
	case "enrichment_document_duration_seconds":
		return s.profile.seconds, processed, true
	}
	return 0, 0, false
}
