// A Go user's program against an installed libinception: prints "top1 CLASS PROBABILITY"
// for one image, like tests/install/c/consumer.c.
package main

import (
	"fmt"
	"os"

	inception "github.com/libinception/go-inception"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: consumer MODEL IMAGE")
		os.Exit(2)
	}
	model, err := inception.LoadModel(os.Args[1], nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer model.Close()
	session, err := model.NewSession(nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer session.Close()
	preds, err := session.ClassifyFile(os.Args[2], 1)
	if err != nil || len(preds) != 1 {
		fmt.Fprintln(os.Stderr, "classify:", err)
		os.Exit(1)
	}
	fmt.Printf("top1 %d %.4f\n", preds[0].Class, preds[0].Probability)
}
