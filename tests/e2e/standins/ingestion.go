package main

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	_ "github.com/lib/pq"
)

// The web-ingestion plane's stand-ins (planes/ingestion). Each offers what the program uses in the
// image it stands for and fails loudly otherwise; what they do not prove is in
// tests/e2e/images/README.md.

// npmMain stands for the ingestion MCP server image's `npm`: `npm start` (the server) and
// `npm run migrate:up` (the migrations). Anything else is refused.
func npmMain(args []string) int {
	switch strings.Join(args, " ") {
	case "start":
		return ingestionServerMain()
	case "run migrate:up":
		return migrateMain()
	case "run test:smoke":
		return smokeMain()
	}
	return fatalf("npm", "the stand-in runs only `npm start`, `npm run migrate:up` and `npm run test:smoke`, got `npm %s`", strings.Join(args, " "))
}

// smokeMain stands for the seed's `npm run test:smoke`, run in the server's container after it
// started: the server answers /health and /metrics with the seed's metrics, and its database
// connection (from the same environment) works.
func smokeMain() int {
	who := "test:smoke"
	port := os.Getenv("PORT")
	base := "http://127.0.0.1:" + port
	if err := httpCheck(base+"/health", nil); err != nil {
		return fatalf(who, "the server's /health: %v", err)
	}
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		return fatalf(who, "the server's /metrics: %v", err)
	}
	defer resp.Body.Close()
	buf := new(strings.Builder)
	if _, err := io.Copy(buf, resp.Body); err != nil || !strings.Contains(buf.String(), "web_pages_indexed_total") {
		return fatalf(who, "the server's /metrics has no web_pages_indexed_total (%v)", err)
	}
	db, err := connectFromEnv(who)
	if err != nil {
		return fatalf(who, "%v", err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow("SELECT count(*) FROM pages").Scan(&n); err != nil {
		return fatalf(who, "SELECT count(*) FROM pages: %v", err)
	}
	fmt.Printf("test:smoke: /health and /metrics answer, %d pages readable: passed\n", n)
	return 0
}

// The migrations of the stand-in's "release": applied in order, each once, recorded in
// schema_migrations (as the seed's migrate:up does). pgvector first: the superuser created it when
// the volume was initialised, so for the application role this is a no-op; without pgvector in
// the server it fails, and so does the release (docs/ingestion.md).
var migrations = []struct{ version, sql string }{
	{"001_vector", "CREATE EXTENSION IF NOT EXISTS vector"},
	{"002_pages", "CREATE TABLE pages (id bigserial PRIMARY KEY, url text NOT NULL UNIQUE, title text, indexed_at timestamptz NOT NULL DEFAULT now())"},
	{"003_chunks", "CREATE TABLE chunks (id bigserial PRIMARY KEY, page_id bigint NOT NULL REFERENCES pages(id) ON DELETE CASCADE, body text NOT NULL, embedding vector(3))"},
	{"004_chunks_embedding_index", "CREATE INDEX chunks_embedding_idx ON chunks USING hnsw (embedding vector_l2_ops)"},
}

// connectFromEnv opens POSTGRES_CONNECTION_STRING, which secret-env.sh exported from its file; the
// file variable must be gone (the wrapper unsets it) so the service sees the value only once.
func connectFromEnv(who string) (*sql.DB, error) {
	conn := os.Getenv("POSTGRES_CONNECTION_STRING")
	if conn == "" {
		return nil, fmt.Errorf("POSTGRES_CONNECTION_STRING is not in the environment (secret-env.sh exports it from POSTGRES_CONNECTION_STRING_FILE)")
	}
	if f := os.Getenv("POSTGRES_CONNECTION_STRING_FILE"); f != "" {
		return nil, fmt.Errorf("POSTGRES_CONNECTION_STRING_FILE=%s is still set: the process was not started through secret-env.sh", f)
	}
	if !strings.Contains(conn, "sslmode=") {
		sep := "?"
		if strings.Contains(conn, "?") {
			sep = "&"
		}
		conn += sep + "sslmode=disable"
	}
	db, err := sql.Open("postgres", conn)
	if err != nil {
		return nil, err
	}
	deadline := time.Now().Add(60 * time.Second)
	if err := retry(deadline, db.Ping); err != nil {
		db.Close()
		return nil, fmt.Errorf("PostgreSQL (POSTGRES_CONNECTION_STRING as uid %d): %w", os.Getuid(), err)
	}
	return db, nil
}

func migrateMain() int {
	who := "migrate:up"
	db, err := connectFromEnv(who)
	if err != nil {
		return fatalf(who, "%v", err)
	}
	defer db.Close()
	// One migrator at a time (an advisory lock, as migration tools take).
	if _, err := db.Exec("SELECT pg_advisory_lock(4242022)"); err != nil {
		return fatalf(who, "advisory lock: %v", err)
	}
	if _, err := db.Exec("CREATE TABLE IF NOT EXISTS schema_migrations (version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT clock_timestamp())"); err != nil {
		return fatalf(who, "schema_migrations: %v", err)
	}
	applied := 0
	for _, m := range migrations {
		var done bool
		if err := db.QueryRow("SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = $1)", m.version).Scan(&done); err != nil {
			return fatalf(who, "%v", err)
		}
		if done {
			continue
		}
		tx, err := db.Begin()
		if err != nil {
			return fatalf(who, "%v", err)
		}
		if _, err := tx.Exec(m.sql); err != nil {
			tx.Rollback()
			return fatalf(who, "migration %s failed (nothing of it applied): %v", m.version, err)
		}
		if _, err := tx.Exec("INSERT INTO schema_migrations (version) VALUES ($1)", m.version); err != nil {
			tx.Rollback()
			return fatalf(who, "%v", err)
		}
		if err := tx.Commit(); err != nil {
			return fatalf(who, "%v", err)
		}
		fmt.Printf("migrate:up: applied %s\n", m.version)
		applied++
	}
	if applied == 0 {
		fmt.Printf("migrate:up: no migrations to run (%d applied)\n", len(migrations))
	} else {
		fmt.Printf("migrate:up: %d applied, schema at %s\n", applied, migrations[len(migrations)-1].version)
	}
	return 0
}

// ingestionServerMain stands for the ingestion MCP server: it starts only on a migrated schema,
// with its secrets in its environment (and not as *_FILE), the services it calls healthy; it serves
// /health (with the pipeline flags it runs with) and /metrics with the contract's families.
func ingestionServerMain() int {
	who := "ingestion-mcp-server"
	release := os.Getenv("ENRICHMENT_RELEASE")
	port := os.Getenv("PORT")
	if release == "" || port == "" {
		return fatalf(who, "ENRICHMENT_RELEASE (baked) and PORT (set by the program) are required, got %q, %q", release, port)
	}
	for _, name := range []string{"OPENAI_API_KEY", "LLM_API_KEY"} {
		if os.Getenv(name) == "" {
			return fatalf(who, "%s is not in the environment (secret-env.sh exports it from %s_FILE)", name, name)
		}
		if os.Getenv(name+"_FILE") != "" {
			return fatalf(who, "%s_FILE is still set: the process was not started through secret-env.sh", name)
		}
	}
	flags := map[string]string{}
	for _, flag := range []string{"ENABLE_HYBRID_SEARCH", "ENABLE_RERANKING", "ENABLE_SYMBOL_EXTRACTION", "USE_UNIFIED_PIPELINE"} {
		v := os.Getenv(flag)
		if v != "true" && v != "false" {
			return fatalf(who, "%s must be \"true\" or \"false\", got %q", flag, v)
		}
		flags[flag] = v
	}
	for _, name := range []string{"RERANK_INITIAL_K", "RERANK_FINAL_K", "EMBEDDING_BATCH_SIZE"} {
		if n, err := strconv.Atoi(os.Getenv(name)); err != nil || n < 1 {
			return fatalf(who, "%s must be a positive integer, got %q", name, os.Getenv(name))
		}
	}
	contract, err := loadContract()
	if err != nil {
		return fatalf(who, "%v", err)
	}
	db, err := connectFromEnv(who)
	if err != nil {
		return fatalf(who, "%v", err)
	}
	latest := migrations[len(migrations)-1].version
	var have bool
	if err := db.QueryRow("SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = $1)", latest).Scan(&have); err != nil || !have {
		return fatalf(who, "the schema is not at %s (run the migrations first: npm run migrate:up): %v", latest, err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for _, env := range []struct{ name, path string }{{"SPLADE_URL", "/health"}, {"RERANKER_URL", "/health"}, {"CRAWL4AI_URL", "/health"}, {"QDRANT_URL", "/readyz"}} {
		url := os.Getenv(env.name)
		if url == "" {
			if env.name == "QDRANT_URL" {
				continue // Qdrant is optional
			}
			return fatalf(who, "%s is not set", env.name)
		}
		if err := retry(deadline, func() error { return httpCheck(strings.TrimRight(url, "/")+env.path, nil) }); err != nil {
			return fatalf(who, "%s=%s: %v", env.name, url, err)
		}
	}
	families := metricsFor(contract, who)
	if len(families) == 0 {
		return fatalf(who, "the metrics contract lists nothing exposed by %s", who)
	}
	body := renderMetrics(families, func(label string) string {
		switch label {
		case "service":
			return who
		case "release":
			return release
		}
		return "unknown"
	}, nil)
	mux := http.NewServeMux()
	mux.HandleFunc("/health", func(w http.ResponseWriter, r *http.Request) {
		if err := db.Ping(); err != nil {
			http.Error(w, "postgres: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"status": "ok", "service": who, "release": release, "flags": flags})
	})
	mux.HandleFunc("/metrics", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		fmt.Fprint(w, body)
	})
	fmt.Printf("%s: release %s on :%s, USE_UNIFIED_PIPELINE=%s, schema at %s\n", who, release, port, flags["USE_UNIFIED_PIPELINE"], latest)
	return fatalf(who, "%v", http.ListenAndServe(":"+port, mux))
}

// writable proves the service's state directory is a volume its user can write (a named volume
// over a path the image does not own is root's, and the service would fail on its first write).
func writable(who, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("%s: cannot create %s as uid %d: %w", who, dir, os.Getuid(), err)
	}
	marker := filepath.Join(dir, ".standin-"+who)
	if err := os.WriteFile(marker, []byte(time.Now().UTC().Format(time.RFC3339)+"\n"), 0o644); err != nil {
		return fmt.Errorf("%s: cannot write %s as uid %d: %w", who, dir, os.Getuid(), err)
	}
	return nil
}

// qdrantMain stands for qdrant/qdrant:v1.8.0's `./qdrant`: storage in ./storage (the volume), the
// REST port 6333 with /healthz, /livez, /readyz, /metrics and an empty /collections.
func qdrantMain(args []string) int {
	who := "qdrant"
	if len(args) > 0 {
		return fatalf(who, "the stand-in takes no arguments (the program passes none), got %v", args)
	}
	if err := writable(who, "./storage"); err != nil {
		return fatalf(who, "%v", err)
	}
	port := os.Getenv("QDRANT__SERVICE__HTTP_PORT")
	if port == "" {
		port = "6333"
	}
	ok := func(text string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, text) }
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", ok("healthz check passed"))
	mux.HandleFunc("/livez", ok("healthz check passed"))
	mux.HandleFunc("/readyz", ok("all shards are ready"))
	mux.HandleFunc("/collections", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"result":{"collections":[]},"status":"ok","time":0}`)
	})
	mux.HandleFunc("/metrics", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		fmt.Fprint(w, "# HELP app_info information about qdrant server\n# TYPE app_info gauge\napp_info{name=\"qdrant\",version=\"1.8.0-standin\"} 1\n# HELP collections_total number of collections\n# TYPE collections_total gauge\ncollections_total 0\n")
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"title":"qdrant - vector search engine","version":"1.8.0-standin"}`)
	})
	fmt.Printf("%s: storage ./storage writable as uid %d, listening on :%s\n", who, os.Getuid(), port)
	return fatalf(who, "%v", http.ListenAndServe(":"+port, mux))
}

var modelID = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)?$`)

// teiMain stands for text-embeddings-router (TEI 1.5): `--model-id <id> [--json-output]
// [--port N]`, PORT and HUGGINGFACE_HUB_CACHE from the environment (the image sets /data and 80).
// It "downloads" the model into the cache (a marker file), then serves /health, /info, /metrics
// and POST /rerank.
func teiMain(args []string) int {
	who := "text-embeddings-router"
	model, port := "", os.Getenv("PORT")
	for i := 0; i < len(args); i++ {
		switch args[i] {
		case "--model-id":
			if i+1 >= len(args) {
				return fatalf(who, "--model-id needs a value")
			}
			model = args[i+1]
			i++
		case "--port":
			if i+1 >= len(args) {
				return fatalf(who, "--port needs a value")
			}
			port = args[i+1]
			i++
		case "--json-output":
		default:
			return fatalf(who, "the stand-in accepts --model-id, --port and --json-output only, got %q", args[i])
		}
	}
	if !modelID.MatchString(model) {
		return fatalf(who, "--model-id must name a Hugging Face model, got %q", model)
	}
	if port == "" {
		port = "3000"
	}
	cache := os.Getenv("HUGGINGFACE_HUB_CACHE")
	if cache == "" {
		return fatalf(who, "HUGGINGFACE_HUB_CACHE is not set (the image sets /data)")
	}
	if err := writable(who, filepath.Join(cache, "models--"+strings.ReplaceAll(model, "/", "--"))); err != nil {
		return fatalf(who, "%v", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/health", func(w http.ResponseWriter, r *http.Request) {})
	mux.HandleFunc("/info", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"model_id": model, "model_type": map[string]any{"reranker": map[string]any{}}, "version": "1.5.0-standin"})
	})
	mux.HandleFunc("/rerank", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Query string   `json:"query"`
			Texts []string `json:"texts"`
		}
		if r.Method != http.MethodPost || json.NewDecoder(r.Body).Decode(&req) != nil || req.Query == "" {
			http.Error(w, `{"error":"expected POST {query, texts}"}`, http.StatusUnprocessableEntity)
			return
		}
		out := make([]map[string]any, len(req.Texts))
		for i := range req.Texts {
			out[i] = map[string]any{"index": i, "score": 1 / float64(i+1)}
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(out)
	})
	mux.HandleFunc("/metrics", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		fmt.Fprint(w, "# TYPE te_request_count counter\nte_request_count{method=\"rerank\"} 0\n# TYPE te_queue_size gauge\nte_queue_size 0\n")
	})
	fmt.Printf("%s: model %s cached in %s, listening on :%s as uid %d\n", who, model, cache, port, os.Getuid())
	return fatalf(who, "%v", http.ListenAndServe(":"+port, mux))
}
