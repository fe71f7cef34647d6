package tokenstore

import (
	"context"
	"sync"
)

// entryLocks queues this process's holders of one entry on a channel, so
// that they wait their turn without polling, and each can give up when its
// context ends. Locks of entries nobody holds or waits for are dropped.
type entryLocks struct {
	mu    sync.Mutex
	slots map[Key]*entrySlot
}

type entrySlot struct {
	ch   chan struct{}
	refs int
}

// lock takes key's slot, waiting at most until ctx ends; what names the
// entry in the error. The returned function releases it.
func (l *entryLocks) lock(ctx context.Context, key Key, what string) (func(), error) {
	l.mu.Lock()
	if l.slots == nil {
		l.slots = map[Key]*entrySlot{}
	}
	slot := l.slots[key]
	if slot == nil {
		slot = &entrySlot{ch: make(chan struct{}, 1)}
		l.slots[key] = slot
	}
	slot.refs++
	l.mu.Unlock()
	leave := func() {
		l.mu.Lock()
		if slot.refs--; slot.refs == 0 {
			delete(l.slots, key)
		}
		l.mu.Unlock()
	}
	select {
	case slot.ch <- struct{}{}:
		return func() { <-slot.ch; leave() }, nil
	case <-ctx.Done():
		leave()
		return nil, waitError(ctx, what)
	}
}
