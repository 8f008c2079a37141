// Command embed computes the 2048-d features of every image in a folder, in parallel with a
// SessionPool over one shared Model, and prints each image's nearest neighbour. With -batch N
// it uses one session instead and streams the folder through Session.EmbedEach, N images a
// run, skipping files that cannot be decoded.
//
//	go run ./embed -model inception_v3.safetensors photos/
//	go run ./embed -model inception_v3.safetensors -batch 16 photos/
package main

import (
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	inception "github.com/libinception/go-inception"
)

func main() {
	modelPath := flag.String("model", os.Getenv("INCEPTION_MODEL"), "safetensors model file")
	workers := flag.Int("workers", runtime.NumCPU(), "goroutines (one session each)")
	batch := flag.Int("batch", 0, "if > 0: one session, this many images a run (EmbedEach)")
	flag.Parse()
	if *modelPath == "" || flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: embed -model MODEL FOLDER")
		os.Exit(2)
	}
	var paths []string
	entries, err := os.ReadDir(flag.Arg(0))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	for _, e := range entries {
		switch strings.ToLower(filepath.Ext(e.Name())) {
		case ".jpg", ".jpeg", ".png":
			paths = append(paths, filepath.Join(flag.Arg(0), e.Name()))
		}
	}
	model, err := inception.LoadModel(*modelPath, nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer model.Close()
	features := make([][]float32, len(paths))
	if *batch > 0 {
		if err := embedStream(model, paths, *batch, features); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		report(paths, features)
		return
	}
	// One model for everyone; each worker runs a 1-thread session from the pool.
	pool := inception.NewSessionPool(model, *workers, &inception.SessionOptions{Threads: 1})
	defer pool.Close()

	var wg sync.WaitGroup
	for i, path := range paths {
		wg.Add(1)
		go func(i int, path string) {
			defer wg.Done()
			img, err := inception.DecodeImageFile(path, nil)
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				return
			}
			defer img.Close()
			err = pool.Do(func(s *inception.Session) error {
				f, err := s.Embed(model, img)
				features[i] = f.Data
				return err
			})
			if err != nil {
				fmt.Fprintln(os.Stderr, path, err)
			}
		}(i, path)
	}
	wg.Wait()
	report(paths, features)
}

// embedStream feeds the paths through a channel (as a folder walk would) into one session
// that runs them batch images at a time; results come back in order as batches finish.
func embedStream(model *inception.Model, paths []string, batch int, features [][]float32) error {
	s, err := model.NewSession(nil)
	if err != nil {
		return err
	}
	defer s.Close()
	ch := make(chan string)
	go func() {
		for _, p := range paths {
			ch <- p
		}
		close(ch)
	}()
	opts := &inception.EmbedOptions{BatchSize: batch, SkipErrors: true,
		Progress: func(done, _ int) { fmt.Fprintf(os.Stderr, "\r%d/%d", done, len(paths)) }}
	err = s.EmbedEach(ch, opts, func(e inception.Embedding) error {
		if e.Err != nil {
			fmt.Fprintf(os.Stderr, "\n%s: %v\n", e.Path, e.Err)
			return nil
		}
		features[e.Index] = e.Features
		return nil
	})
	fmt.Fprintln(os.Stderr)
	return err
}

func report(paths []string, features [][]float32) {
	for i, a := range features {
		if a == nil {
			continue
		}
		best, bestSim := -1, -2.0
		for j, b := range features {
			if j != i && b != nil {
				if s := cosine(a, b); s > bestSim {
					best, bestSim = j, s
				}
			}
		}
		if best >= 0 {
			fmt.Printf("%s  nearest %s  (cosine %.3f)\n", filepath.Base(paths[i]), filepath.Base(paths[best]), bestSim)
		} else {
			fmt.Printf("%s  %d features\n", filepath.Base(paths[i]), len(a))
		}
	}
}

func cosine(a, b []float32) float64 {
	var ab, aa, bb float64
	for i := range a {
		ab += float64(a[i]) * float64(b[i])
		aa += float64(a[i]) * float64(a[i])
		bb += float64(b[i]) * float64(b[i])
	}
	return ab / math.Sqrt(aa*bb+1e-30)
}
