// Command classify prints the top-k labels of each image.
//
//	go run ./classify -model inception_v3.safetensors cat.jpg dog.png
package main

import (
	"flag"
	"fmt"
	"os"

	inception "github.com/libinception/go-inception"
)

func main() {
	modelPath := flag.String("model", os.Getenv("INCEPTION_MODEL"), "safetensors model file")
	k := flag.Int("k", 5, "how many classes to print")
	backend := flag.String("backend", "", "backend: auto, ref, simd")
	threads := flag.Int("threads", 0, "worker threads (0: all cores)")
	flag.Parse()
	if *modelPath == "" || flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: classify -model MODEL [-k 5] IMAGE...")
		os.Exit(2)
	}
	model, err := inception.LoadModel(*modelPath, &inception.ModelOptions{Backend: *backend})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer model.Close()
	if info, _ := model.Info(); info.Synthetic {
		fmt.Fprintln(os.Stderr, "note: generated weights, the labels are meaningless")
	}
	session, err := model.NewSession(&inception.SessionOptions{Threads: *threads})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer session.Close()
	status := 0
	for _, path := range flag.Args() {
		preds, err := session.ClassifyFile(path, *k)
		if err != nil { // e.g. errors.Is(err, inception.ErrImage) for a corrupt file
			fmt.Fprintln(os.Stderr, err)
			status = 1
			continue
		}
		fmt.Println(path)
		for _, p := range preds {
			fmt.Printf("  %5.3f  %4d  %s\n", p.Probability, p.Class, p.Label)
		}
	}
	os.Exit(status)
}
