package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"
)

// The ollama stand-in: `ollama serve` (the image's CMD) answers the API the program and the
// agents use; `ollama pull|list|rm` are clients of it, as in the real CLI. Models live in the
// volume at /root/.ollama (OLLAMA_MODELS overrides): one manifest file per tag under
// models/manifests/, and every pull appends a line to pulls.log so a check can count pulls.
const ollamaVersion = "0.4.7"

func ollamaHome() string {
	if d := os.Getenv("OLLAMA_MODELS"); d != "" {
		return d
	}
	home, _ := os.UserHomeDir()
	if home == "" {
		home = "/root"
	}
	return filepath.Join(home, ".ollama", "models")
}

// ollamaBase is where clients connect: OLLAMA_HOST as the real CLI reads it (0.0.0.0 -> 127.0.0.1).
func ollamaBase() string {
	host := os.Getenv("OLLAMA_HOST")
	if host == "" {
		host = "127.0.0.1:11434"
	}
	host = strings.TrimPrefix(strings.TrimPrefix(host, "http://"), "https://")
	if strings.HasPrefix(host, "0.0.0.0") {
		host = "127.0.0.1" + strings.TrimPrefix(host, "0.0.0.0")
	}
	if !strings.Contains(host, ":") {
		host += ":11434"
	}
	return "http://" + host
}

func ollamaMain(args []string) int {
	if len(args) == 0 {
		return fatalf("ollama", "usage: ollama serve | pull MODEL | list | rm MODEL | --version")
	}
	switch args[0] {
	case "serve":
		return ollamaServe()
	case "list", "ls":
		return ollamaList()
	case "pull":
		if len(args) != 2 {
			return fatalf("ollama", "usage: ollama pull MODEL")
		}
		return ollamaPost("/api/pull", map[string]any{"name": args[1], "stream": true}, "POST")
	case "rm":
		if len(args) != 2 {
			return fatalf("ollama", "usage: ollama rm MODEL")
		}
		return ollamaPost("/api/delete", map[string]any{"name": args[1]}, "DELETE")
	case "--version", "-v":
		fmt.Printf("ollama version is %s (e2e stand-in)\n", ollamaVersion)
		return 0
	}
	return fatalf("ollama", "unknown command %q", args[0])
}

func normalizeTag(name string) string {
	if !strings.Contains(name, ":") {
		return name + ":latest"
	}
	return name
}

func manifestPath(tag string) string {
	name, version, _ := strings.Cut(normalizeTag(tag), ":")
	return filepath.Join(ollamaHome(), "manifests", "registry.ollama.ai", "library", name, version)
}

type ollamaModel struct {
	Name       string    `json:"name"`
	Model      string    `json:"model"`
	ModifiedAt time.Time `json:"modified_at"`
	Size       int64     `json:"size"`
	Digest     string    `json:"digest"`
}

func listModels() ([]ollamaModel, error) {
	root := filepath.Join(ollamaHome(), "manifests", "registry.ollama.ai", "library")
	var out []ollamaModel
	err := filepath.Walk(root, func(path string, info os.FileInfo, err error) error {
		if err != nil {
			if os.IsNotExist(err) {
				return nil
			}
			return err
		}
		if info.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(root, path)
		name := strings.Replace(rel, string(filepath.Separator), ":", 1)
		out = append(out, ollamaModel{Name: name, Model: name, ModifiedAt: info.ModTime(), Size: info.Size(), Digest: "sha256:e2e-standin"})
		return nil
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, err
}

func ollamaServe() int {
	home := ollamaHome()
	// The real server creates its key and model folders at start: an unwritable volume fails here.
	if err := os.MkdirAll(filepath.Join(home, "manifests"), 0o755); err != nil {
		return fatalf("ollama", "model directory %s: %v", home, err)
	}
	var mu sync.Mutex
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		fmt.Fprint(w, "Ollama is running")
	})
	mux.HandleFunc("/api/version", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]string{"version": ollamaVersion})
	})
	mux.HandleFunc("/api/tags", func(w http.ResponseWriter, r *http.Request) {
		models, err := listModels()
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		if models == nil {
			models = []ollamaModel{}
		}
		json.NewEncoder(w).Encode(map[string]any{"models": models})
	})
	mux.HandleFunc("/api/pull", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Name  string `json:"name"`
			Model string `json:"model"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || (req.Name == "" && req.Model == "") {
			http.Error(w, `{"error":"expected {\"name\": MODEL}"}`, 400)
			return
		}
		tag := normalizeTag(req.Name + req.Model)
		mu.Lock()
		defer mu.Unlock()
		path := manifestPath(tag)
		err := os.MkdirAll(filepath.Dir(path), 0o755)
		if err == nil {
			err = os.WriteFile(path, []byte(fmt.Sprintf(`{"schemaVersion":2,"standin":true,"tag":%q}`+"\n", tag)), 0o644)
		}
		if err == nil {
			var f *os.File
			if f, err = os.OpenFile(filepath.Join(home, "pulls.log"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644); err == nil {
				fmt.Fprintf(f, "%s\t%s\n", time.Now().UTC().Format(time.RFC3339), tag)
				err = f.Close()
			}
		}
		if err != nil {
			w.WriteHeader(500)
			json.NewEncoder(w).Encode(map[string]string{"error": err.Error()})
			return
		}
		enc := json.NewEncoder(w)
		enc.Encode(map[string]string{"status": "pulling manifest"})
		enc.Encode(map[string]string{"status": "success"})
	})
	mux.HandleFunc("/api/delete", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Name  string `json:"name"`
			Model string `json:"model"`
		}
		json.NewDecoder(r.Body).Decode(&req)
		mu.Lock()
		defer mu.Unlock()
		if err := os.Remove(manifestPath(req.Name + req.Model)); err != nil {
			w.WriteHeader(404)
			json.NewEncoder(w).Encode(map[string]string{"error": fmt.Sprintf("model '%s' not found", req.Name+req.Model)})
			return
		}
	})
	addr := strings.TrimPrefix(ollamaBase(), "http://")
	if h := os.Getenv("OLLAMA_HOST"); h != "" {
		addr = strings.TrimPrefix(strings.TrimPrefix(h, "http://"), "https://")
	}
	fmt.Printf("ollama: stand-in %s listening on %s, models in %s (uid %d)\n", ollamaVersion, addr, home, os.Getuid())
	return fatalf("ollama", "%v", http.ListenAndServe(addr, mux))
}

func ollamaList() int {
	resp, err := http.Get(ollamaBase() + "/api/tags")
	if err != nil {
		return fatalf("ollama", "could not connect to ollama app, is it running? %v", err)
	}
	defer resp.Body.Close()
	var tags struct {
		Models []ollamaModel `json:"models"`
	}
	if resp.StatusCode != 200 || json.NewDecoder(resp.Body).Decode(&tags) != nil {
		return fatalf("ollama", "GET /api/tags: HTTP %d", resp.StatusCode)
	}
	fmt.Printf("%-30s %-14s %-8s %s\n", "NAME", "ID", "SIZE", "MODIFIED")
	for _, m := range tags.Models {
		fmt.Printf("%-30s %-14s %-8d %s\n", m.Name, "e2e", m.Size, m.ModifiedAt.Format(time.RFC3339))
	}
	return 0
}

func ollamaPost(path string, body map[string]any, method string) int {
	raw, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, ollamaBase()+path, bytes.NewReader(raw))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fatalf("ollama", "could not connect to ollama app, is it running? %v", err)
	}
	defer resp.Body.Close()
	scanner := bufio.NewScanner(resp.Body)
	last := ""
	for scanner.Scan() {
		last = scanner.Text()
		var line map[string]string
		if json.Unmarshal([]byte(last), &line) == nil && line["status"] != "" {
			fmt.Println(line["status"])
		}
	}
	if resp.StatusCode != 200 {
		return fatalf("ollama", "%s %s: HTTP %d %s", method, path, resp.StatusCode, last)
	}
	if method == "DELETE" {
		fmt.Printf("deleted '%s'\n", body["name"])
	}
	return 0
}
