// Command embed computes the 2048-d features of every image in a folder, in parallel with a
// SessionPool over one shared Model, and prints each image's nearest neighbour.
//
//	go run ./embed -model inception_v3.safetensors photos/
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
	// One model for everyone; each worker runs a 1-thread session from the pool.
	pool := inception.NewSessionPool(model, *workers, &inception.SessionOptions{Threads: 1})
	defer pool.Close()

	features := make([][]float32, len(paths))
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
