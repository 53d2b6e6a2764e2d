package filelock

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// waits reports whether take blocks while the lock held by hold is held,
// and that it goes through once hold is released.
func waits(t *testing.T, hold, take func(string) (func(), error)) bool {
	t.Helper()
	p := filepath.Join(t.TempDir(), "x.lock")
	unlock, err := hold(p)
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan func(), 1)
	go func() {
		u, err := take(p)
		if err != nil {
			t.Error(err)
			u = func() {}
		}
		got <- u
	}()
	select {
	case u := <-got:
		unlock()
		u()
		return false
	case <-time.After(200 * time.Millisecond):
	}
	unlock()
	select {
	case u := <-got:
		u()
	case <-time.After(10 * time.Second):
		t.Fatal("lock was never granted after release")
	}
	return true
}

func TestExclusiveExcludesEveryone(t *testing.T) {
	if !waits(t, Lock, Lock) {
		t.Error("a second exclusive lock was granted while the first was held")
	}
	if !waits(t, Lock, RLock) {
		t.Error("a shared lock was granted while an exclusive one was held")
	}
	if !waits(t, RLock, Lock) {
		t.Error("an exclusive lock was granted while a shared one was held")
	}
}

func TestReadersShare(t *testing.T) {
	if waits(t, RLock, RLock) {
		t.Error("a second shared lock waited for the first")
	}
}

func TestBadPathNamesIt(t *testing.T) {
	p := filepath.Join(t.TempDir(), "missing", "x.lock")
	if _, err := Lock(p); err == nil || !strings.Contains(err.Error(), p) {
		t.Fatalf("error %v does not name %s", err, p)
	}
}
