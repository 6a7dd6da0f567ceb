package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"
)

// serviceMain stands for the platform's own images (mcp-server, the agents, coordinator, workers,
// review-api, cost-api). The image bakes ENRICHMENT_SERVICE (which service it is) and
// ENRICHMENT_RELEASE (the release version it was built as, like a real image's version). At start
// it does what the real service needs before it can answer /health: every *_FILE secret must be
// readable and non-empty, MongoDB must accept the URI's credentials, NSQ, the MCP server, the
// coordinator and Ollama (with this agent's model pulled) must answer. Any failure exits 1.
func serviceMain(args []string) int {
	service := os.Getenv("ENRICHMENT_SERVICE")
	release := os.Getenv("ENRICHMENT_RELEASE")
	if service == "" || release == "" {
		return fatalf("service", "ENRICHMENT_SERVICE and ENRICHMENT_RELEASE must be baked into the image (got %q, %q)", service, release)
	}
	who := service
	agent := os.Getenv("AGENT_NAME")
	if agent != "" {
		who = agent
	}
	port := os.Getenv("PORT")
	if port == "" {
		return fatalf(who, "PORT is not set (the program sets PORT for every platform service)")
	}
	contract, err := loadContract()
	if err != nil {
		return fatalf(who, "%v", err)
	}

	secrets := map[string]string{}
	for _, kv := range os.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		if !strings.HasSuffix(k, "_FILE") {
			continue
		}
		raw, err := os.ReadFile(v)
		if err != nil {
			return fatalf(who, "cannot read %s=%s as uid %d gid %d: %v", k, v, os.Getuid(), os.Getgid(), err)
		}
		if strings.TrimSpace(string(raw)) == "" {
			return fatalf(who, "%s=%s is empty", k, v)
		}
		secrets[k] = strings.TrimSpace(string(raw))
		fmt.Printf("%s: read %s (%d bytes)\n", who, k, len(raw))
	}

	// The ingestion plane's own builds (splade, crawl4ai): the model cache is a volume the service's
	// user writes, the model and batch size are set, the crawler mode is a boolean.
	if dir := os.Getenv("HF_HOME"); dir != "" {
		if err := writable(who, dir); err != nil {
			return fatalf(who, "HF_HOME: %v", err)
		}
		fmt.Printf("%s: model cache HF_HOME=%s writable as uid %d\n", who, dir, os.Getuid())
	}
	if model := os.Getenv("MODEL_NAME"); model != "" {
		if n, err := strconv.Atoi(os.Getenv("BATCH_SIZE")); err != nil || n < 1 {
			return fatalf(who, "MODEL_NAME=%s needs BATCH_SIZE, a positive integer, got %q", model, os.Getenv("BATCH_SIZE"))
		}
		fmt.Printf("%s: model %s, batch size %s\n", who, model, os.Getenv("BATCH_SIZE"))
	}
	if v, set := os.LookupEnv("USE_SIMPLE_CRAWLER"); set && v != "true" && v != "false" {
		return fatalf(who, "USE_SIMPLE_CRAWLER must be \"true\" or \"false\", got %q", v)
	}

	deadline := time.Now().Add(60 * time.Second)
	if uri, ok := secrets["MONGODB_URI_FILE"]; ok {
		if err := retry(deadline, func() error { return mongoCheck(uri, os.Getenv("MONGODB_DATABASE")) }); err != nil {
			return fatalf(who, "MongoDB (from MONGODB_URI_FILE, database %q): %v", os.Getenv("MONGODB_DATABASE"), err)
		}
		fmt.Printf("%s: MongoDB accepted the credentials of MONGODB_URI_FILE\n", who)
	}
	if addr := os.Getenv("NSQD_TCP_ADDRESS"); addr != "" {
		if err := retry(deadline, func() error { return tcpCheck(addr) }); err != nil {
			return fatalf(who, "nsqd at NSQD_TCP_ADDRESS=%s: %v", addr, err)
		}
	}
	if addr := os.Getenv("NSQLOOKUPD_HTTP_ADDRESS"); addr != "" {
		if err := retry(deadline, func() error { return httpCheck("http://"+addr+"/ping", nil) }); err != nil {
			return fatalf(who, "nsqlookupd at NSQLOOKUPD_HTTP_ADDRESS=%s: %v", addr, err)
		}
	}
	for _, env := range []string{"MCP_SERVER_URL", "COORDINATOR_URL"} {
		if url := os.Getenv(env); url != "" {
			if err := retry(deadline, func() error { return httpCheck(strings.TrimRight(url, "/")+"/health", nil) }); err != nil {
				return fatalf(who, "%s=%s: %v", env, url, err)
			}
		}
	}
	if url := os.Getenv("OLLAMA_URL"); url != "" {
		models := []string{os.Getenv("MODEL")}
		if f := os.Getenv("FALLBACK_MODEL"); f != "" {
			models = append(models, f)
		}
		if err := retry(deadline, func() error { return ollamaHasModels(url, models) }); err != nil {
			return fatalf(who, "OLLAMA_URL=%s: %v", url, err)
		}
	}
	if topic := os.Getenv("NSQ_TOPIC"); topic != "" && os.Getenv("NSQLOOKUPD_HTTP_ADDRESS") != "" {
		lookupd := os.Getenv("NSQLOOKUPD_HTTP_ADDRESS")
		if err := retry(deadline, func() error { return httpCheck("http://"+lookupd+"/lookup?topic="+topic, nil) }); err != nil {
			return fatalf(who, "topic %q unknown to nsqlookupd %s: %v", topic, lookupd, err)
		}
	}

	exposer := service
	if agent != "" {
		exposer = "agents"
	}
	families := metricsFor(contract, exposer)
	if len(families) == 0 {
		return fatalf(who, "the metrics contract lists nothing exposed by %q", exposer)
	}
	labelValue := func(label string) string {
		switch label {
		case "service":
			return who
		case "release":
			return release
		case "agent":
			if agent != "" {
				return agent
			}
			return "metadata-agent"
		case "model":
			if m := os.Getenv("MODEL"); m != "" {
				return m
			}
			return "llama3.2:3b"
		case "code":
			return "200"
		case "operation":
			return "find"
		}
		return "unknown"
	}
	// The worker reports documents (documents.go); every other service's counters stay 0.
	var values metricValues
	if service == "enrichment-worker" {
		simulation, err := newDocumentSimulation(release)
		if err != nil {
			return fatalf(who, "%v", err)
		}
		values = simulation
		profile := "healthy"
		if simulation.profile == degradedDocuments {
			profile = "degraded (STANDIN_DEGRADE_RELEASES)"
		}
		fmt.Printf("%s: reports %g documents a minute, %s numbers\n", who, simulation.perMinute, profile)
	}

	mux := http.NewServeMux()
	mux.HandleFunc("/health", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]string{"status": "ok", "service": who, "release": release})
	})
	mux.HandleFunc("/metrics", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		fmt.Fprint(w, renderMetrics(families, labelValue, values))
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]string{"service": who, "release": release, "standin": "true", "path": r.URL.Path})
	})
	fmt.Printf("%s: release %s listening on :%s (%d metric families)\n", who, release, port, len(families))
	return fatalf(who, "%v", http.ListenAndServe(":"+port, mux))
}

func retry(deadline time.Time, f func() error) error {
	for {
		err := f()
		if err == nil || time.Now().After(deadline) {
			return err
		}
		time.Sleep(2 * time.Second)
	}
}

func tcpCheck(addr string) error {
	c, err := net.DialTimeout("tcp", addr, 3*time.Second)
	if err != nil {
		return err
	}
	return c.Close()
}

func httpCheck(url string, into any) error {
	client := http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("GET %s: HTTP %d", url, resp.StatusCode)
	}
	if into != nil {
		return json.NewDecoder(resp.Body).Decode(into)
	}
	return nil
}

// mongoCheck authenticates with the URI and lists the database's collections (needs auth).
func mongoCheck(uri, database string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	client, err := mongo.Connect(ctx, options.Client().ApplyURI(uri))
	if err != nil {
		return err
	}
	defer client.Disconnect(ctx)
	if database == "" {
		database = "admin"
	}
	_, err = client.Database(database).ListCollectionNames(ctx, bson.D{})
	return err
}

func ollamaHasModels(url string, models []string) error {
	var tags struct {
		Models []struct {
			Name string `json:"name"`
		} `json:"models"`
	}
	if err := httpCheck(strings.TrimRight(url, "/")+"/api/tags", &tags); err != nil {
		return err
	}
	have := map[string]bool{}
	for _, m := range tags.Models {
		have[m.Name] = true
	}
	for _, m := range models {
		if m != "" && !have[m] {
			return fmt.Errorf("model %q is not pulled (have %v)", m, tags.Models)
		}
	}
	return nil
}
