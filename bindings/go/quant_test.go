package inception_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	inception "github.com/libinception/go-inception"
)

// quantFixtures: the shared float model (loaded from its file, as Quantize needs) and the
// test JPEGs.
func quantFixtures(t *testing.T) (*inception.Model, []string) {
	m := model(t)
	var jpgs []string
	for _, p := range photos() {
		if strings.HasSuffix(strings.ToLower(p), ".jpg") {
			jpgs = append(jpgs, p)
		}
	}
	if len(jpgs) == 0 {
		t.Skip("needs the test JPEGs (INCEPTION_TEST_IMAGES)")
	}
	return m, jpgs
}

func TestQuantize(t *testing.T) {
	m, imgs := quantFixtures(t)
	out := filepath.Join(t.TempDir(), "q.safetensors")
	if err := inception.Quantize(m, imgs[:1], out, "minmax"); err != nil {
		t.Fatal(err)
	}
	q, err := inception.LoadModel(out, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	if v, err := q.Quantized(); err != nil || !v {
		t.Fatalf("quantised file loads float (%v, %v)", v, err)
	}
	f, err := inception.LoadModel(out, &inception.ModelOptions{Precision: "float"})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if v, _ := f.Quantized(); v {
		t.Fatal("Precision float ignored")
	}
	if err := inception.Quantize(m, nil, out, ""); err == nil {
		t.Fatal("no images accepted")
	}
	if _, err := inception.LoadModel(modelPath(t), &inception.ModelOptions{Precision: "int8"}); err == nil {
		t.Fatal("int8 without a record accepted")
	}
}

// quantFile reads a quantised file's tensors and data section.
func quantFile(t *testing.T, path string) (map[string]stTensor, []byte) {
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	_, tensors, data := readSafetensors(t, raw)
	return tensors, data
}

// largestWeight is the largest |qweight| over a quantised file's int8 tensors.
func largestWeight(t *testing.T, path string) int {
	tensors, data := quantFile(t, path)
	amax := 0
	for _, v := range tensors {
		if v.DType != "I8" {
			continue
		}
		for _, b := range data[v.Offsets[0]:v.Offsets[1]] {
			if a := int(int8(b)); a > amax {
				amax = a
			} else if -a > amax {
				amax = -a
			}
		}
	}
	return amax
}

func libError(t *testing.T, err error, want string) {
	t.Helper()
	var e *inception.Error
	if !errors.As(err, &e) || e.Status != inception.ErrInvalidArgument || !strings.Contains(e.Message, want) {
		t.Fatalf("got %v, want ErrInvalidArgument with %q", err, want)
	}
}

// QuantizeOptions.WeightBits and .BiasCorrection, ModelOptions.WeightBits reach the library:
// valid values change the file, the record or the net, bad ones give the library's error.
func TestQuantizeOptions(t *testing.T) {
	m, imgs := quantFixtures(t)
	dir := t.TempDir()
	no := false
	files := map[string]*inception.QuantizeOptions{
		"q8":   nil,
		"q7":   {WeightBits: 7},
		"nobc": {BiasCorrection: &no},
	}
	for name, o := range files {
		if err := inception.QuantizeWith(m, imgs[:1], filepath.Join(dir, name), o); err != nil {
			t.Fatal(name, err)
		}
	}
	if a7, a8 := largestWeight(t, filepath.Join(dir, "q7")), largestWeight(t, filepath.Join(dir, "q8")); a7 != 64 || a8 != 127 {
		t.Fatalf("largest |weight| %d with WeightBits 7, %d with 8; want 64, 127", a7, a8)
	}
	bc, bcData := quantFile(t, filepath.Join(dir, "q8"))
	nobc, nobcData := quantFile(t, filepath.Join(dir, "nobc"))
	changed := 0
	for name, v := range bc {
		if strings.HasSuffix(name, ".conv.bias") && bc[strings.TrimSuffix(name, "bias")+"qweight"].DType == "I8" &&
			!bytes.Equal(bcData[v.Offsets[0]:v.Offsets[1]], nobcData[nobc[name].Offsets[0]:nobc[name].Offsets[1]]) {
			changed++
		}
	}
	if changed == 0 {
		t.Fatal("BiasCorrection false stored the same int8 biases as the default")
	}

	rec := filepath.Join(dir, "r.json")
	for _, c := range []struct {
		bc      *bool
		version int
	}{{nil, 2}, {&no, 1}} {
		if err := inception.CalibrateWith(m, imgs[:1], rec, &inception.QuantizeOptions{BiasCorrection: c.bc}); err != nil {
			t.Fatal(err)
		}
		raw, err := os.ReadFile(rec)
		if err != nil {
			t.Fatal(err)
		}
		var r struct {
			Version int                    `json:"version"`
			Means   map[string]interface{} `json:"means"`
		}
		if err := json.Unmarshal(raw, &r); err != nil {
			t.Fatal(err)
		}
		if r.Version != c.version || (len(r.Means) > 0) != (c.version == 2) {
			t.Fatalf("BiasCorrection %v: record version %d with %d means", c.bc, r.Version, len(r.Means))
		}
	}
	img, err := inception.DecodeImageFile(imgs[0], nil)
	if err != nil {
		t.Fatal(err)
	}
	defer img.Close()
	var feats [2][]float32
	for i, bits := range []int{0, 7} {
		q, err := inception.LoadModel(modelPath(t), &inception.ModelOptions{Calibration: rec, WeightBits: bits})
		if err != nil {
			t.Fatal(err)
		}
		s, err := q.NewSession(&inception.SessionOptions{Threads: 1})
		if err != nil {
			t.Fatal(err)
		}
		f, err := s.Embed(q, img)
		if err != nil {
			t.Fatal(err)
		}
		feats[i] = f.Data
		s.Close()
		q.Close()
	}
	if sameFloats(feats[0], feats[1]) {
		t.Fatal("ModelOptions.WeightBits 7 at load gives the 8-bit features")
	}

	bad := filepath.Join(dir, "bad.safetensors")
	libError(t, inception.QuantizeWith(m, imgs[:1], bad, &inception.QuantizeOptions{WeightBits: 9}),
		"QUANT_WEIGHT_BITS must be 7 or 8, got 9")
	if _, err := os.Stat(bad); err == nil {
		t.Fatal("a refused Quantize wrote its file")
	}
	_, err = inception.LoadModel(modelPath(t), &inception.ModelOptions{Calibration: rec, WeightBits: 9})
	libError(t, err, "QUANT_WEIGHT_BITS must be 7 or 8, got 9")
	libError(t, inception.CalibrateWith(m, imgs[:1], bad, &inception.QuantizeOptions{WeightBits: 7}),
		"ModelOptions.WeightBits")
}
