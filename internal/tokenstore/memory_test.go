package tokenstore

import "testing"

// memoryLocation is one in-memory store, which every opening shares as the
// goroutines of one process do; it has no key.
func memoryLocation(*testing.T) keyedOpener {
	s := NewMemory()
	return func(string) (Store, error) { return s, nil }
}

func TestMemory(t *testing.T) {
	runListTests(t, memoryLocation, false)
}
