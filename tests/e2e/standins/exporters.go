package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"
)

// parseFlags accepts exactly the flags listed (as --name=value or a bare --name for booleans) and
// refuses any other, as the real exporters' flag parsers do.
func parseFlags(who string, args []string, known map[string]bool) (map[string]string, error) {
	out := map[string]string{}
	for _, a := range args {
		if !strings.HasPrefix(a, "-") {
			return nil, fmt.Errorf("%s: unexpected argument %q", who, a)
		}
		k, v, has := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !known[k] {
			return nil, fmt.Errorf("%s: unknown flag --%s", who, k)
		}
		if !has {
			v = "true"
		}
		out[k] = v
	}
	return out, nil
}

// mongodbExporterMain stands for percona/mongodb_exporter 0.42: reads MONGODB_URI (or
// --mongodb.uri) and serves mongodb_up, mongodb_ss_connections and mongodb_ss_opcounters from
// serverStatus, the series the monitoring relies on.
func mongodbExporterMain(args []string) int {
	const who = "mongodb_exporter"
	flags, err := parseFlags(who, args, map[string]bool{
		"version": true, "web.listen-address": true, "mongodb.uri": true, "mongodb.direct-connect": true,
		"collector.diagnosticdata": true, "collector.dbstats": true, "log.level": true,
	})
	if err != nil {
		return fatalf(who, "%v", err)
	}
	if flags["version"] != "" {
		fmt.Println("mongodb_exporter - e2e stand-in for percona/mongodb_exporter 0.42.0")
		return 0
	}
	uri := flags["mongodb.uri"]
	if uri == "" {
		uri = os.Getenv("MONGODB_URI")
	}
	if uri == "" {
		return fatalf(who, "no MongoDB URI: set MONGODB_URI or --mongodb.uri")
	}
	opts := options.Client().ApplyURI(uri).SetServerSelectionTimeout(5 * time.Second)
	if flags["mongodb.direct-connect"] == "true" {
		opts.SetDirect(true)
	}
	client, err := mongo.Connect(context.Background(), opts)
	if err != nil {
		return fatalf(who, "MONGODB_URI: %v", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/metrics", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
		defer cancel()
		var status bson.M
		err := client.Database("admin").RunCommand(ctx, bson.D{{Key: "serverStatus", Value: 1}}).Decode(&status)
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		up := 1
		if err != nil {
			up = 0
			fmt.Fprintf(os.Stderr, "%s: serverStatus: %v\n", who, err)
		}
		fmt.Fprintf(w, "# HELP mongodb_up Whether MongoDB is up.\n# TYPE mongodb_up gauge\nmongodb_up %d\n", up)
		if err != nil {
			return
		}
		writeSub(w, "mongodb_ss_connections", "gauge", "conn_type", status["connections"])
		opcounters := status["opcounters"]
		if opcounters == nil {
			// FerretDB's serverStatus has no opcounters (nor connections): count its per-command
			// totals (metrics.commands) into the legacy op types, as mongod's opcounters do.
			opcounters = opcountersFromCommands(status)
		}
		writeSub(w, "mongodb_ss_opcounters", "counter", "legacy_op_type", opcounters)
	})
	addr := flags["web.listen-address"]
	if addr == "" {
		addr = ":9216"
	}
	fmt.Printf("%s: stand-in as uid %d listening on %s\n", who, os.Getuid(), addr)
	return fatalf(who, "%v", http.ListenAndServe(addr, mux))
}

func writeSub(w http.ResponseWriter, name, typ, label string, sub any) {
	doc, ok := sub.(bson.M)
	if !ok {
		return
	}
	keys := make([]string, 0, len(doc))
	for k := range doc {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	fmt.Fprintf(w, "# HELP %s serverStatus.%s\n# TYPE %s untyped\n", name, strings.TrimPrefix(name, "mongodb_ss_"), name)
	for _, k := range keys {
		var f float64
		switch v := doc[k].(type) {
		case int32:
			f = float64(v)
		case int64:
			f = float64(v)
		case float64:
			f = v
		default:
			continue
		}
		fmt.Fprintf(w, "%s{%s=%q} %g\n", name, label, k, f)
	}
}

// cadvisorMain stands for gcr.io/cadvisor/cadvisor: /healthz, and /metrics with the container_*
// series the alerts use, read from the Docker API on the mounted socket (stats of each running
// container), labelled with id, name, image and the whitelisted labels as container_label_*.
func cadvisorMain(args []string) int {
	const who = "cadvisor"
	flags, err := parseFlags(who, args, map[string]bool{
		"docker_only": true, "store_container_labels": true, "whitelisted_container_labels": true,
		"housekeeping_interval": true, "disable_metrics": true, "port": true, "docker": true, "logtostderr": true,
	})
	if err != nil {
		return fatalf(who, "%v", err)
	}
	socket := strings.TrimPrefix(flags["docker"], "unix://")
	if socket == "" {
		socket = "/var/run/docker.sock"
	}
	docker := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", socket)
		},
	}}
	if _, err := docker.Get("http://docker/_ping"); err != nil {
		return fatalf(who, "Docker API at %s: %v", socket, err)
	}
	whitelist := strings.Split(flags["whitelisted_container_labels"], ",")
	var mu sync.Mutex
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "ok") })
	mux.HandleFunc("/metrics", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		var containers []struct {
			ID      string            `json:"Id"`
			Names   []string          `json:"Names"`
			Image   string            `json:"Image"`
			Created int64             `json:"Created"`
			Labels  map[string]string `json:"Labels"`
		}
		resp, err := docker.Get("http://docker/containers/json")
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		json.NewDecoder(resp.Body).Decode(&containers)
		resp.Body.Close()
		var b strings.Builder
		for _, m := range []string{"container_memory_working_set_bytes gauge", "container_spec_memory_limit_bytes gauge", "container_cpu_usage_seconds_total counter", "container_start_time_seconds gauge"} {
			name, typ, _ := strings.Cut(m, " ")
			fmt.Fprintf(&b, "# TYPE %s %s\n", name, typ)
		}
		// One-shot stats, all containers at once: a plain stats call waits a sampling cycle per
		// container, which took the page past Prometheus's scrape timeout.
		type sample struct {
			stats struct {
				MemoryStats struct {
					Usage uint64            `json:"usage"`
					Limit uint64            `json:"limit"`
					Stats map[string]uint64 `json:"stats"`
				} `json:"memory_stats"`
				CPUStats struct {
					CPUUsage struct {
						TotalUsage uint64 `json:"total_usage"`
					} `json:"cpu_usage"`
				} `json:"cpu_stats"`
			}
			inspect struct {
				HostConfig struct {
					Memory int64 `json:"Memory"`
				} `json:"HostConfig"`
			}
		}
		samples := make([]sample, len(containers))
		var wg sync.WaitGroup
		for i, c := range containers {
			wg.Add(1)
			go func(i int, id string) {
				defer wg.Done()
				if resp, err := docker.Get("http://docker/containers/" + id + "/stats?stream=false&one-shot=true"); err == nil {
					json.NewDecoder(resp.Body).Decode(&samples[i].stats)
					resp.Body.Close()
				}
				if resp, err := docker.Get("http://docker/containers/" + id + "/json"); err == nil {
					json.NewDecoder(resp.Body).Decode(&samples[i].inspect)
					resp.Body.Close()
				}
			}(i, c.ID)
		}
		wg.Wait()
		for i, c := range containers {
			stats, inspect := samples[i].stats, samples[i].inspect
			name := strings.TrimPrefix(strings.Join(c.Names, ""), "/")
			labels := fmt.Sprintf(`id="/docker/%s",image=%q,name=%q`, c.ID, c.Image, name)
			for _, l := range whitelist {
				if v, ok := c.Labels[l]; ok && l != "" {
					labels += fmt.Sprintf(",container_label_%s=%q", strings.NewReplacer(".", "_", "-", "_").Replace(l), v)
				}
			}
			working := stats.MemoryStats.Usage - stats.MemoryStats.Stats["inactive_file"]
			if stats.MemoryStats.Stats["inactive_file"] > stats.MemoryStats.Usage {
				working = 0
			}
			fmt.Fprintf(&b, "container_memory_working_set_bytes{%s} %d\n", labels, working)
			fmt.Fprintf(&b, "container_spec_memory_limit_bytes{%s} %d\n", labels, inspect.HostConfig.Memory)
			fmt.Fprintf(&b, "container_cpu_usage_seconds_total{%s} %g\n", labels, float64(stats.CPUStats.CPUUsage.TotalUsage)/1e9)
			fmt.Fprintf(&b, "container_start_time_seconds{%s} %d\n", labels, c.Created)
		}
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		fmt.Fprint(w, b.String())
	})
	port := flags["port"]
	if port == "" {
		port = "8080"
	}
	fmt.Printf("%s: stand-in as uid %d on :%s, Docker API at %s\n", who, os.Getuid(), port, socket)
	return fatalf(who, "%v", http.ListenAndServe(":"+port, mux))
}

// sinkMain receives Alertmanager's webhooks: every POST is recorded (path, headers, JSON body);
// GET /received lists them as JSON. SINK_ADDR (default 127.0.0.1:9099) or the first argument.
func sinkMain(args []string) int {
	addr := envOr("SINK_ADDR", "127.0.0.1:9099")
	if len(args) > 0 {
		addr = args[0]
	}
	type received struct {
		Time   time.Time       `json:"time"`
		Path   string          `json:"path"`
		Header http.Header     `json:"header"`
		Body   json.RawMessage `json:"body"`
	}
	var mu sync.Mutex
	list := []received{}
	mux := http.NewServeMux()
	mux.HandleFunc("/received", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(list)
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			http.Error(w, "POST a webhook, or GET /received", 405)
			return
		}
		var body json.RawMessage
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			http.Error(w, "expected a JSON body: "+err.Error(), 400)
			return
		}
		mu.Lock()
		list = append(list, received{time.Now().UTC(), r.URL.Path, r.Header, body})
		mu.Unlock()
		w.WriteHeader(200)
		fmt.Fprint(w, "ok")
	})
	fmt.Printf("sink: listening on %s\n", addr)
	return fatalf("sink", "%v", http.ListenAndServe(addr, mux))
}

func opcountersFromCommands(status bson.M) any {
	metrics, _ := status["metrics"].(bson.M)
	commands, _ := metrics["commands"].(bson.M)
	if commands == nil {
		return nil
	}
	out := bson.M{"insert": int64(0), "query": int64(0), "update": int64(0), "delete": int64(0), "getmore": int64(0), "command": int64(0)}
	for name, v := range commands {
		c, _ := v.(bson.M)
		var total int64
		switch t := c["total"].(type) {
		case int32:
			total = int64(t)
		case int64:
			total = t
		case float64:
			total = int64(t)
		}
		op := map[string]string{"insert": "insert", "find": "query", "update": "update", "delete": "delete", "getMore": "getmore"}[name]
		if op == "" {
			op = "command"
		}
		out[op] = out[op].(int64) + total
	}
	return out
}
