package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"
)

// The grafana stand-in reads what Grafana 11 reads at start and fails where Grafana would:
// the admin password file (GF_SECURITY_ADMIN_PASSWORD__FILE), the provisioned datasources and
// dashboard providers under GF_PATHS_PROVISIONING, each provider's dashboards (classic v1 JSON),
// and a writable GF_PATHS_DATA (the volume at /var/lib/grafana, where grafana.db lives).
// It serves /api/health, and /api/search and /api/datasources behind the admin's basic auth.
const grafanaVersion = "11.3.1"

func envOr(k, d string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return d
}

type provisionedDashboard struct {
	UID   string `json:"uid"`
	Title string `json:"title"`
	Type  string `json:"type"`
	File  string `json:"file"`
}

func grafanaMain(args []string) int {
	const who = "grafana"
	user := envOr("GF_SECURITY_ADMIN_USER", "admin")
	password := envOr("GF_SECURITY_ADMIN_PASSWORD", "admin")
	if file := os.Getenv("GF_SECURITY_ADMIN_PASSWORD__FILE"); file != "" {
		raw, err := os.ReadFile(file)
		if err != nil {
			return fatalf(who, "GF_SECURITY_ADMIN_PASSWORD__FILE=%s unreadable as uid %d gid %d: %v", file, os.Getuid(), os.Getgid(), err)
		}
		password = strings.TrimSpace(string(raw))
		if password == "" {
			return fatalf(who, "GF_SECURITY_ADMIN_PASSWORD__FILE=%s is empty", file)
		}
	}
	data := envOr("GF_PATHS_DATA", "/var/lib/grafana")
	if err := os.WriteFile(filepath.Join(data, "grafana.db"), []byte("e2e stand-in\n"), 0o640); err != nil {
		return fatalf(who, "data directory %s is not writable as uid %d: %v", data, os.Getuid(), err)
	}
	prov := envOr("GF_PATHS_PROVISIONING", "/etc/grafana/provisioning")

	var datasources []map[string]any
	dsFiles, _ := filepath.Glob(filepath.Join(prov, "datasources", "*.y*ml"))
	for _, f := range dsFiles {
		var doc struct {
			APIVersion  int              `yaml:"apiVersion"`
			Datasources []map[string]any `yaml:"datasources"`
		}
		if err := readYAML(f, &doc); err != nil {
			return fatalf(who, "datasource provisioning %s: %v", f, err)
		}
		for _, ds := range doc.Datasources {
			if ds["name"] == nil || ds["type"] == nil || ds["url"] == nil {
				return fatalf(who, "datasource provisioning %s: a datasource needs name, type and url: %v", f, ds)
			}
			datasources = append(datasources, ds)
		}
	}
	if len(datasources) == 0 {
		return fatalf(who, "no datasource provisioned under %s/datasources", prov)
	}

	var dashboards []provisionedDashboard
	providerFiles, _ := filepath.Glob(filepath.Join(prov, "dashboards", "*.y*ml"))
	for _, f := range providerFiles {
		var doc struct {
			Providers []struct {
				Name    string `yaml:"name"`
				Type    string `yaml:"type"`
				Options struct {
					Path string `yaml:"path"`
				} `yaml:"options"`
			} `yaml:"providers"`
		}
		if err := readYAML(f, &doc); err != nil {
			return fatalf(who, "dashboard provider %s: %v", f, err)
		}
		for _, p := range doc.Providers {
			if p.Type != "" && p.Type != "file" {
				return fatalf(who, "dashboard provider %s: type %q (only file providers are provisioned)", f, p.Type)
			}
			files, err := filepath.Glob(filepath.Join(p.Options.Path, "*.json"))
			if err != nil || len(files) == 0 {
				return fatalf(who, "dashboard provider %q (%s): no dashboard JSON in %s", p.Name, f, p.Options.Path)
			}
			for _, jf := range files {
				var d map[string]any
				raw, err := os.ReadFile(jf)
				if err == nil {
					err = json.Unmarshal(raw, &d)
				}
				if err != nil {
					return fatalf(who, "dashboard %s: %v", jf, err)
				}
				// File provisioning loads classic dashboards: a title and panels, not the v2 spec.
				if _, v2 := d["spec"]; v2 || d["title"] == nil || d["panels"] == nil {
					return fatalf(who, "dashboard %s is not a classic (v1) dashboard with title and panels", jf)
				}
				uid, _ := d["uid"].(string)
				title, _ := d["title"].(string)
				dashboards = append(dashboards, provisionedDashboard{UID: uid, Title: title, Type: "dash-db", File: jf})
			}
		}
	}
	if len(dashboards) == 0 {
		return fatalf(who, "no dashboard provider under %s/dashboards", prov)
	}
	if home := os.Getenv("GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"); home != "" {
		if _, err := os.Stat(home); err != nil {
			return fatalf(who, "GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH: %v", err)
		}
	}

	authed := func(h http.HandlerFunc) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			u, p, ok := r.BasicAuth()
			if !ok || u != user || p != password {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(401)
				fmt.Fprint(w, `{"message":"Unauthorized"}`)
				return
			}
			h(w, r)
		}
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/api/health", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]string{"database": "ok", "version": grafanaVersion, "commit": "e2e-standin"})
	})
	mux.HandleFunc("/api/search", authed(func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(dashboards)
	}))
	mux.HandleFunc("/api/datasources", authed(func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(datasources)
	}))
	// Real Grafana serves /metrics without a login (unless [metrics] basic auth is set), which is
	// how the program's Prometheus scrapes it.
	mux.HandleFunc("/metrics", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		fmt.Fprintf(w, "# TYPE grafana_build_info gauge\ngrafana_build_info{version=%q,edition=\"oss\"} 1\n", grafanaVersion)
		fmt.Fprintf(w, "# TYPE grafana_stat_totals_dashboard gauge\ngrafana_stat_totals_dashboard %d\n", len(dashboards))
		fmt.Fprintf(w, "# TYPE grafana_stat_totals_datasource gauge\ngrafana_stat_totals_datasource %d\n", len(datasources))
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/login", http.StatusFound)
	})
	port := envOr("GF_SERVER_HTTP_PORT", "3000")
	fmt.Printf("grafana: stand-in %s as uid %d gid %d: %d datasources, %d dashboards, listening on :%s\n",
		grafanaVersion, os.Getuid(), os.Getgid(), len(datasources), len(dashboards), port)
	return fatalf(who, "%v", http.ListenAndServe(":"+port, mux))
}

func readYAML(path string, into any) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return yaml.Unmarshal(raw, into)
}
