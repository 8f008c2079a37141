package inception_test

import (
	"sync"
	"testing"

	inception "github.com/libinception/go-inception"
)

// The rule: one Model shared by every goroutine, one Session per goroutine (or a pool).
// Run these under `go test -race`.

func expectedFeatures(t *testing.T) []float32 {
	s := session(t)
	f, err := s.Features(patternInput(1, inception.NCHW))
	if err != nil {
		t.Fatal(err)
	}
	return f.Data
}

func sameFloats(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestSessionPerGoroutine(t *testing.T) {
	m, want := model(t), expectedFeatures(t)
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := m.NewSession(&inception.SessionOptions{Threads: 1})
			if err != nil {
				errs <- err
				return
			}
			defer s.Close()
			for i := 0; i < 3; i++ {
				f, err := s.Features(patternInput(1, inception.NCHW))
				if err != nil {
					errs <- err
					return
				}
				if !sameFloats(f.Data, want) {
					t.Error("features differ from a single-goroutine run")
					return
				}
				if _, err := m.Label(i); err != nil { // the model is shared
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

func TestSessionPool(t *testing.T) {
	m, want := model(t), expectedFeatures(t)
	pool := inception.NewSessionPool(m, 2, &inception.SessionOptions{Threads: 1})
	defer pool.Close()
	var wg sync.WaitGroup
	var mu sync.Mutex
	inUse, maxInUse := 0, 0
	for g := 0; g < 6; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := pool.Do(func(s *inception.Session) error {
				mu.Lock()
				inUse++
				if inUse > maxInUse {
					maxInUse = inUse
				}
				mu.Unlock()
				defer func() { mu.Lock(); inUse--; mu.Unlock() }()
				f, err := s.Features(patternInput(1, inception.NCHW))
				if err == nil && !sameFloats(f.Data, want) {
					t.Error("pool features differ")
				}
				return err
			})
			if err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if maxInUse > 2 || maxInUse < 1 {
		t.Fatalf("%d sessions in use at once from a pool of 2", maxInUse)
	}
}

func TestSharedSessionIsSerialised(t *testing.T) {
	// Sharing one Session is not the way to scale, but it must not corrupt anything.
	s, want := session(t), expectedFeatures(t)
	var wg sync.WaitGroup
	for g := 0; g < 3; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f, err := s.Features(patternInput(1, inception.NCHW))
			if err != nil || !sameFloats(f.Data, want) {
				t.Error("shared session", err)
			}
		}()
	}
	wg.Wait()
}
