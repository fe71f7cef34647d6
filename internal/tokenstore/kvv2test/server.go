// Package kvv2test is an in-memory fake of the HTTP API of a KV version 2
// secrets engine, as served by HashiCorp Vault and OpenBao, for testing code
// that uses the official client (github.com/hashicorp/vault/api) where no
// real server can run.
//
// It serves one mount and implements what a check-and-set client relies on:
//
//   - GET /v1/<mount>/data/<path> (optionally ?version=N): the latest or the
//     given version, 404 when absent, and 404 carrying the metadata with
//     "data": null when that version was deleted, as Vault answers.
//   - PUT or POST /v1/<mount>/data/<path> with {"data": {...},
//     "options": {"cas": N}}: a new version; a stale cas is refused with
//     HTTP 400 and "check-and-set parameter did not match the current
//     version", and cas 0 allows only the creation of an absent secret.
//   - DELETE /v1/<mount>/data/<path>: soft delete of the latest version.
//   - GET and DELETE /v1/<mount>/metadata/<path>: versions; remove all.
//   - LIST /v1/<mount>/metadata/<folder>, or GET with ?list=true as the
//     client sends it: the names directly in the folder, sorted, sub-folders
//     ending in "/", under "keys"; 404 with no errors when there is none.
//     Soft-deleted secrets are listed, as Vault lists them.
//   - X-Vault-Token is required on every request (403 "permission denied"
//     otherwise) and X-Vault-Namespace is recorded.
//
// Responses use Vault's envelope ({"request_id", "data", "warnings", …}) and
// errors its {"errors": [...]} form, so the client parses them as it would a
// real server's. It listens on 127.0.0.1 only.
package kvv2test

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// CASMismatch is the error message KV v2 returns for a stale options.cas.
const CASMismatch = "check-and-set parameter did not match the current version"

// Server is a running fake KV v2 server.
type Server struct {
	// URL is the server's base address, for the client's Address.
	URL string
	// Token is the only token the server accepts.
	Token string
	// Mount is the path the KV v2 engine is mounted at.
	Mount string

	// BeforeWrite, when set, runs before each data write is applied, outside
	// the server's lock, with the secret's path. Tests use it to slip in a
	// competing write (with Put) and so force a check-and-set conflict.
	BeforeWrite func(path string)

	srv *httptest.Server

	mu           sync.Mutex
	secrets      map[string]*secret
	reads        int
	writes       int
	casConflicts int
	namespaces   map[string]int
}

type version struct {
	data    map[string]any
	created time.Time
	deleted time.Time
}

type secret struct {
	versions []*version // versions[i] is version i+1
	created  time.Time
	updated  time.Time
}

// NewServer starts a fake server for mount on 127.0.0.1 and stops it when
// the test ends.
func NewServer(t testing.TB, mount string) *Server {
	t.Helper()
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	s := &Server{
		Token:      "hvs.test-" + hex.EncodeToString(b[:]),
		Mount:      strings.Trim(mount, "/"),
		secrets:    map[string]*secret{},
		namespaces: map[string]int{},
	}
	s.srv = httptest.NewServer(s) // httptest listens on 127.0.0.1
	s.URL = s.srv.URL
	t.Cleanup(s.srv.Close)
	return s
}

// Put writes data as a new version of path without check-and-set, as a
// competing client would, and returns the new version number.
func (s *Server) Put(path string, data map[string]any) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.put(path, data)
}

// Data returns the latest version of path and its number; nil and 0 when
// the secret is absent, nil and the number when that version is deleted.
func (s *Server) Data(path string) (map[string]any, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sec := s.secrets[path]
	if sec == nil || len(sec.versions) == 0 {
		return nil, 0
	}
	v := sec.versions[len(sec.versions)-1]
	if !v.deleted.IsZero() {
		return nil, len(sec.versions)
	}
	return clone(v.data), len(sec.versions)
}

// Paths lists the secrets that exist, sorted.
func (s *Server) Paths() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, 0, len(s.secrets))
	for p := range s.secrets {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// Reads counts the data reads served, found or not. A test can wait on it
// to know that a client polled while a condition held.
func (s *Server) Reads() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reads
}

// Writes counts the data writes applied.
func (s *Server) Writes() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.writes
}

// CASConflicts counts the writes refused for a stale cas.
func (s *Server) CASConflicts() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.casConflicts
}

// Namespaces counts requests by X-Vault-Namespace value ("" for none).
func (s *Server) Namespaces() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.namespaces))
	for k, v := range s.namespaces {
		out[k] = v
	}
	return out
}

func (s *Server) put(path string, data map[string]any) int {
	now := time.Now().UTC()
	sec := s.secrets[path]
	if sec == nil {
		sec = &secret{created: now}
		s.secrets[path] = sec
	}
	sec.versions = append(sec.versions, &version{data: clone(data), created: now})
	sec.updated = now
	s.writes++
	return len(sec.versions)
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("X-Vault-Token") != s.Token {
		writeErrors(w, http.StatusForbidden, "permission denied")
		return
	}
	s.mu.Lock()
	s.namespaces[r.Header.Get("X-Vault-Namespace")]++
	s.mu.Unlock()

	rest, ok := strings.CutPrefix(r.URL.Path, "/v1/"+s.Mount+"/")
	if !ok {
		writeErrors(w, http.StatusNotFound, fmt.Sprintf("no handler for route %q. route entry not found.", strings.TrimPrefix(r.URL.Path, "/v1/")))
		return
	}
	switch {
	case strings.HasPrefix(rest, "data/"):
		s.serveData(w, r, strings.TrimPrefix(rest, "data/"))
	case strings.HasPrefix(rest, "metadata/"):
		s.serveMetadata(w, r, strings.TrimPrefix(rest, "metadata/"))
	default:
		writeErrors(w, http.StatusNotFound, "unsupported path")
	}
}

func (s *Server) serveData(w http.ResponseWriter, r *http.Request, path string) {
	if path == "" {
		writeErrors(w, http.StatusNotFound, "missing path")
		return
	}
	switch r.Method {
	case http.MethodGet:
		s.readData(w, r, path)
	case http.MethodPut, http.MethodPost:
		s.writeData(w, r, path)
	case http.MethodDelete:
		s.mu.Lock()
		if sec := s.secrets[path]; sec != nil && len(sec.versions) > 0 {
			sec.versions[len(sec.versions)-1].deleted = time.Now().UTC()
		}
		s.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	default:
		writeErrors(w, http.StatusMethodNotAllowed, "unsupported operation")
	}
}

func (s *Server) readData(w http.ResponseWriter, r *http.Request, path string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reads++
	sec := s.secrets[path]
	if sec == nil || len(sec.versions) == 0 {
		writeErrors(w, http.StatusNotFound)
		return
	}
	n := len(sec.versions)
	if q := r.URL.Query().Get("version"); q != "" && q != "0" {
		var err error
		if n, err = strconv.Atoi(q); err != nil || n < 1 || n > len(sec.versions) {
			writeErrors(w, http.StatusNotFound)
			return
		}
	}
	v := sec.versions[n-1]
	body := map[string]any{"metadata": versionMetadata(n, v)}
	if !v.deleted.IsZero() {
		// Vault answers 404 for a deleted version but still sends its
		// metadata, which a check-and-set client needs.
		body["data"] = nil
		writeData(w, http.StatusNotFound, body)
		return
	}
	body["data"] = clone(v.data)
	writeData(w, http.StatusOK, body)
}

func (s *Server) writeData(w http.ResponseWriter, r *http.Request, path string) {
	var req struct {
		Data    map[string]any `json:"data"`
		Options struct {
			CAS *json.Number `json:"cas"`
		} `json:"options"`
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20))
	dec.UseNumber()
	if err := dec.Decode(&req); err != nil {
		writeErrors(w, http.StatusBadRequest, "error parsing JSON")
		return
	}
	if req.Data == nil {
		writeErrors(w, http.StatusBadRequest, "no data provided")
		return
	}
	if s.BeforeWrite != nil {
		s.BeforeWrite(path)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if req.Options.CAS != nil {
		cas, err := req.Options.CAS.Int64()
		if err != nil {
			writeErrors(w, http.StatusBadRequest, "error parsing cas")
			return
		}
		current := 0
		if sec := s.secrets[path]; sec != nil {
			current = len(sec.versions)
		}
		if int(cas) != current {
			s.casConflicts++
			writeErrors(w, http.StatusBadRequest, CASMismatch)
			return
		}
	}
	n := s.put(path, req.Data)
	writeData(w, http.StatusOK, versionMetadata(n, s.secrets[path].versions[n-1]))
}

func (s *Server) serveMetadata(w http.ResponseWriter, r *http.Request, path string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r.Method == "LIST" || (r.Method == http.MethodGet && r.URL.Query().Get("list") == "true") {
		s.list(w, path)
		return
	}
	sec := s.secrets[path]
	switch r.Method {
	case http.MethodGet:
		if sec == nil {
			writeErrors(w, http.StatusNotFound)
			return
		}
		versions := map[string]any{}
		for i, v := range sec.versions {
			versions[strconv.Itoa(i+1)] = map[string]any{
				"created_time":  v.created.Format(time.RFC3339Nano),
				"deletion_time": formatTime(v.deleted),
				"destroyed":     false,
			}
		}
		writeData(w, http.StatusOK, map[string]any{
			"cas_required":         false,
			"created_time":         sec.created.Format(time.RFC3339Nano),
			"current_version":      len(sec.versions),
			"custom_metadata":      nil,
			"delete_version_after": "0s",
			"max_versions":         0,
			"oldest_version":       1,
			"updated_time":         sec.updated.Format(time.RFC3339Nano),
			"versions":             versions,
		})
	case http.MethodDelete:
		delete(s.secrets, path)
		w.WriteHeader(http.StatusNoContent)
	default:
		writeErrors(w, http.StatusMethodNotAllowed, "unsupported operation")
	}
}

// list answers a LIST of folder; the caller holds s.mu.
func (s *Server) list(w http.ResponseWriter, folder string) {
	prefix := strings.TrimSuffix(folder, "/") + "/"
	if prefix == "/" {
		prefix = ""
	}
	seen := map[string]bool{}
	keys := []string{}
	for p := range s.secrets {
		rest, ok := strings.CutPrefix(p, prefix)
		if !ok || rest == "" {
			continue
		}
		if i := strings.Index(rest, "/"); i >= 0 {
			rest = rest[:i+1]
		}
		if !seen[rest] {
			seen[rest] = true
			keys = append(keys, rest)
		}
	}
	if len(keys) == 0 {
		writeErrors(w, http.StatusNotFound)
		return
	}
	sort.Strings(keys)
	writeData(w, http.StatusOK, map[string]any{"keys": keys})
}

func versionMetadata(n int, v *version) map[string]any {
	return map[string]any{
		"created_time":    v.created.Format(time.RFC3339Nano),
		"custom_metadata": nil,
		"deletion_time":   formatTime(v.deleted),
		"destroyed":       false,
		"version":         n,
	}
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.RFC3339Nano)
}

func writeData(w http.ResponseWriter, status int, data any) {
	var id [16]byte
	_, _ = rand.Read(id[:])
	writeJSON(w, status, map[string]any{
		"request_id":     hex.EncodeToString(id[:]),
		"lease_id":       "",
		"renewable":      false,
		"lease_duration": 0,
		"data":           data,
		"wrap_info":      nil,
		"warnings":       nil,
		"auth":           nil,
	})
}

func writeErrors(w http.ResponseWriter, status int, msgs ...string) {
	if msgs == nil {
		msgs = []string{}
	}
	writeJSON(w, status, map[string]any{"errors": msgs})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// clone copies the top level of data so that callers cannot alter stored
// versions; values are JSON scalars, which are immutable.
func clone(data map[string]any) map[string]any {
	if data == nil {
		return nil
	}
	out := make(map[string]any, len(data))
	for k, v := range data {
		out[k] = v
	}
	return out
}
