package tokenstore

import (
	"context"
	"crypto/rand"
	"sync"
)

// NewMemory returns a store that keeps entries in this process only. It is
// what runs when the durable store is turned off or cannot be opened: plan and
// apply (separate processes) and later runs then share nothing, and a refresh
// token the server rotates is lost when the process exits.
func NewMemory() Store {
	s := &memoryStore{entries: map[Key]*Entry{}, names: make([]byte, 32)}
	// A random name key: names need not survive the process.
	if _, err := rand.Read(s.names); err != nil {
		panic("tokenstore: crypto/rand failed: " + err.Error())
	}
	return s
}

// IsMemory reports whether s keeps entries in this process only.
func IsMemory(s Store) bool {
	_, ok := s.(*memoryStore)
	return ok
}

type memoryStore struct {
	mu      sync.Mutex
	entries map[Key]*Entry
	locks   entryLocks
	names   []byte
}

// Update implements Store.
func (s *memoryStore) Update(ctx context.Context, key Key, fn UpdateFunc) (*Entry, error) {
	unlock, err := s.locks.lock(ctx, key, "the in-memory token store entry "+key.String())
	if err != nil {
		return nil, err
	}
	defer unlock()
	current, _ := s.Get(ctx, key)
	next, err := fn(ctx, current)
	if err != nil {
		return nil, err
	}
	if unchanged(current, next) {
		return current, nil
	}
	if err := checkUTF8(next); err != nil {
		return nil, err
	}
	saved := stamp(current, next)
	s.mu.Lock()
	s.entries[key] = saved
	s.mu.Unlock()
	cp := *saved
	return &cp, nil
}

// Get implements Store.
func (s *memoryStore) Get(_ context.Context, key Key) (*Entry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.entries[key]
	if e == nil {
		return nil, nil
	}
	cp := *e
	return &cp, nil
}

// Delete implements Store.
func (s *memoryStore) Delete(_ context.Context, key Key) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.entries, key)
	return nil
}

// List implements Store.
func (s *memoryStore) List(context.Context) ([]Listed, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Listed, 0, len(s.entries))
	for k, e := range s.entries {
		cp := *e
		out = append(out, Listed{Key: k, Entry: &cp})
	}
	return sortListed(out), nil
}

// NameKey implements Store.
func (s *memoryStore) NameKey() []byte { return s.names }

// Close implements Store.
func (s *memoryStore) Close() error { return nil }
