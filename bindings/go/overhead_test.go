package inception_test

import (
	"os"
	"sort"
	"strconv"
	"testing"
	"time"

	inception "github.com/libinception/go-inception"
	"github.com/libinception/go-inception/internal/capi"
)

func median(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	return s[len(s)/2]
}

// TestOverhead prints the median time of a run through the Go binding next to the same run
// called from C, for 1-thread sessions on the same backend. Not a pass/fail test: it runs
// only with INCEPTION_BENCH=N (runs per size) and prints with -v.
//
//	INCEPTION_BENCH=50 go test -run Overhead -v .
func TestOverhead(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("INCEPTION_BENCH"))
	if n < 1 {
		t.Skip("set INCEPTION_BENCH=runs to measure the binding's overhead")
	}
	ref, err := capi.Open(modelPath(t), backend())
	if err != nil {
		t.Fatal(err)
	}
	defer ref.Close()
	s := session(t)
	for _, side := range []int{75, 299} {
		in := inception.Tensor{Shape: []int64{1, 3, int64(side), int64(side)}, Layout: inception.NCHW,
			Data: capi.Pattern(3 * side * side)}
		dst := make([]float32, 2048)
		cms := make([]float64, n)
		gms := make([]float64, n)
		ims := make([]float64, n)
		s.Features(in)
		// Interleaved, so that the three see the same machine load.
		for i := 0; i < n; i++ {
			c, err := ref.TimeRuns(side, 1)
			if err != nil {
				t.Fatal(err)
			}
			cms[i] = c[0]
			t0 := time.Now()
			if _, err := s.Features(in); err != nil { // new output slice each call
				t.Fatal(err)
			}
			gms[i] = float64(time.Since(t0).Nanoseconds()) / 1e6
			t0 = time.Now()
			if _, err := s.RunInto(in, inception.OutputFeatures, dst); err != nil { // no allocation
				t.Fatal(err)
			}
			ims[i] = float64(time.Since(t0).Nanoseconds()) / 1e6
		}
		t.Logf("%dx%d backend %s, 1 thread, %d runs: C %.3f ms, Go Features %.3f ms (%+.3f), Go RunInto %.3f ms (%+.3f)",
			side, side, backend(), n, median(cms), median(gms), median(gms)-median(cms), median(ims), median(ims)-median(cms))
	}
	// The binding's own work without the network: one output copied out of the session.
	const k = 20000
	t0 := time.Now()
	for i := 0; i < k; i++ {
		if _, err := s.Output(inception.OutputFeatures); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("binding work per call: Output(OutputFeatures) copy %.1f us", float64(time.Since(t0).Nanoseconds())/1e3/k)
}
