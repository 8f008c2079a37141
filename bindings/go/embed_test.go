package inception_test

import (
	"errors"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	inception "github.com/libinception/go-inception"
)

func embedFixtures(t *testing.T) (paths []string, bad string, single [][]float32) {
	s := session(t)
	for i := 0; i < 3; i++ {
		paths = append(paths, pngFile(t, 60+7*i, 50, i))
	}
	for _, p := range paths {
		img, err := inception.DecodeImageFile(p, nil)
		if err != nil {
			t.Fatal(err)
		}
		f, err := s.Embed(model(t), img)
		img.Close()
		if err != nil {
			t.Fatal(err)
		}
		single = append(single, f.Data)
	}
	bad = filepath.Join(t.TempDir(), "bad.png")
	data, _ := os.ReadFile(paths[0])
	os.WriteFile(bad, data[:40], 0o644)
	return
}

func TestEmbedFilesBatches(t *testing.T) {
	paths, bad, single := embedFixtures(t)
	s := session(t)
	var calls [][2]int
	out, errs, err := s.EmbedFiles(paths, &inception.EmbedOptions{BatchSize: 2,
		Progress: func(done, total int) { calls = append(calls, [2]int{done, total}) }})
	if err != nil || errs != nil || len(out.Data) != 3*2048 || out.Shape[0] != 3 {
		t.Fatal(err, errs, out.Shape)
	}
	for i := range paths {
		closeTo(t, "row", out.Row(i), single[i], 1e-4)
	}
	if len(calls) != 2 || calls[0] != [2]int{2, 3} || calls[1] != [2]int{3, 3} {
		t.Fatalf("progress %v", calls)
	}
	sources := []string{paths[0], bad, paths[1], "/nonexistent/x.png"}
	if _, _, err := s.EmbedFiles(sources, &inception.EmbedOptions{BatchSize: 2}); !errors.Is(err, inception.ErrImage) {
		t.Fatalf("want ErrImage, got %v", err)
	}
	out, errs, err = s.EmbedFiles(sources, &inception.EmbedOptions{BatchSize: 3, SkipErrors: true})
	if err != nil || len(errs) != 4 {
		t.Fatal(err, errs)
	}
	if errs[0] != nil || !errors.Is(errs[1], inception.ErrImage) || errs[2] != nil || !errors.Is(errs[3], fs.ErrNotExist) {
		t.Fatalf("errs %v", errs)
	}
	if !math.IsNaN(float64(out.Row(1)[0])) || !math.IsNaN(float64(out.Row(3)[2047])) {
		t.Fatal("failed rows are not NaN")
	}
	closeTo(t, "row 0", out.Row(0), single[0], 1e-4)
	closeTo(t, "row 2", out.Row(2), single[1], 1e-4)
	if _, _, err := s.EmbedFiles(paths, &inception.EmbedOptions{BatchSize: -1}); !errors.Is(err, inception.ErrInvalidArgument) {
		t.Fatalf("negative batch: %v", err)
	}
	if out, _, err := s.EmbedFiles(nil, nil); err != nil || len(out.Data) != 0 {
		t.Fatal(err)
	}
}

func TestEmbedEachStreams(t *testing.T) {
	paths, bad, single := embedFixtures(t)
	s := session(t)
	ch := make(chan string) // unbuffered: each send waits for the reader
	var sent int32
	go func() {
		for _, p := range append([]string{bad}, paths...) {
			ch <- p
			atomic.AddInt32(&sent, 1)
		}
		close(ch)
	}()
	var got []inception.Embedding
	err := s.EmbedEach(ch, &inception.EmbedOptions{BatchSize: 2, SkipErrors: true}, func(e inception.Embedding) error {
		if n := atomic.LoadInt32(&sent); len(got) == 0 && n > 2 {
			t.Errorf("%d paths read before the first result; batch is 2", n)
		}
		got = append(got, e)
		return nil
	})
	if err != nil || len(got) != 4 {
		t.Fatal(err, len(got))
	}
	if got[0].Err == nil || got[0].Features != nil || got[0].Path != bad {
		t.Fatalf("bad file: %+v", got[0])
	}
	for i, e := range got[1:] {
		if e.Index != i+1 || e.Err != nil {
			t.Fatalf("%+v", e)
		}
		closeTo(t, "stream", e.Features, single[i], 1e-4)
	}
	// fn's error stops it.
	ch2 := make(chan string, 3)
	for _, p := range paths {
		ch2 <- p
	}
	close(ch2)
	stop := errors.New("stop")
	n := 0
	if err := s.EmbedEach(ch2, &inception.EmbedOptions{BatchSize: 1}, func(inception.Embedding) error { n++; return stop }); err != stop || n != 1 {
		t.Fatalf("stop: %v after %d", err, n)
	}
	if err := s.EmbedEach(ch2, nil, nil); !errors.Is(err, inception.ErrInvalidArgument) {
		t.Fatalf("nil fn: %v", err)
	}
	var nilSession *inception.Session
	if _, _, err := nilSession.EmbedFiles(paths, nil); !errors.Is(err, inception.ErrInvalidArgument) {
		t.Fatalf("nil session: %v", err)
	}
}
