package inception

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestQuantize(t *testing.T) {
	path := os.Getenv("INCEPTION_TEST_MODEL")
	imgs, _ := filepath.Glob(filepath.Join(os.Getenv("INCEPTION_TEST_IMAGES"), "*.jpg"))
	if path == "" || len(imgs) == 0 {
		t.Skip("needs INCEPTION_TEST_MODEL and INCEPTION_TEST_IMAGES")
	}
	m, err := LoadModel(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	out := filepath.Join(t.TempDir(), "q.safetensors")
	if err := Quantize(m, imgs[:1], out, "minmax"); err != nil {
		t.Fatal(err)
	}
	q, err := LoadModel(out, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	if v, err := q.Quantized(); err != nil || !v {
		t.Fatalf("quantised file loads float (%v, %v)", v, err)
	}
	f, err := LoadModel(out, &ModelOptions{Precision: "float"})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if v, _ := f.Quantized(); v {
		t.Fatal("Precision float ignored")
	}
	if err := Quantize(m, nil, out, ""); err == nil {
		t.Fatal("no images accepted")
	}
	if _, err := LoadModel(path, &ModelOptions{Precision: "int8"}); err == nil {
		t.Fatal("int8 without a record accepted")
	}
}

// safetensorsTensors reads a safetensors file's tensor table and its data section.
func safetensorsTensors(t *testing.T, path string) (map[string]struct {
	DType   string  `json:"dtype"`
	Offsets []int64 `json:"data_offsets"`
}, []byte) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	n := binary.LittleEndian.Uint64(raw[:8])
	var header map[string]json.RawMessage
	if err := json.Unmarshal(raw[8:8+n], &header); err != nil {
		t.Fatal(err)
	}
	delete(header, "__metadata__")
	out := map[string]struct {
		DType   string  `json:"dtype"`
		Offsets []int64 `json:"data_offsets"`
	}{}
	for name, h := range header {
		v := out[name]
		if err := json.Unmarshal(h, &v); err != nil {
			t.Fatal(err)
		}
		out[name] = v
	}
	return out, raw[8+n:]
}

// largestWeight is the largest |qweight| over a quantised file's int8 tensors.
func largestWeight(t *testing.T, path string) int {
	tensors, data := safetensorsTensors(t, path)
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
	var e *Error
	if !errors.As(err, &e) || e.Status != ErrInvalidArgument || !strings.Contains(e.Message, want) {
		t.Fatalf("got %v, want ErrInvalidArgument with %q", err, want)
	}
}

// QuantizeOptions.WeightBits and .BiasCorrection, ModelOptions.WeightBits reach the library:
// valid values change the file or the record, bad ones give the library's error.
func TestQuantizeOptions(t *testing.T) {
	path := os.Getenv("INCEPTION_TEST_MODEL")
	imgs, _ := filepath.Glob(filepath.Join(os.Getenv("INCEPTION_TEST_IMAGES"), "*.jpg"))
	if path == "" || len(imgs) == 0 {
		t.Skip("needs INCEPTION_TEST_MODEL and INCEPTION_TEST_IMAGES")
	}
	m, err := LoadModel(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	dir := t.TempDir()
	no := false
	files := map[string]*QuantizeOptions{
		"q8":   nil,
		"q7":   {WeightBits: 7},
		"nobc": {BiasCorrection: &no},
	}
	for name, o := range files {
		if err := QuantizeWith(m, imgs[:1], filepath.Join(dir, name), o); err != nil {
			t.Fatal(name, err)
		}
	}
	if a7, a8 := largestWeight(t, filepath.Join(dir, "q7")), largestWeight(t, filepath.Join(dir, "q8")); a7 != 64 || a8 != 127 {
		t.Fatalf("largest |weight| %d with WeightBits 7, %d with 8; want 64, 127", a7, a8)
	}
	bc, bcData := safetensorsTensors(t, filepath.Join(dir, "q8"))
	nobc, nobcData := safetensorsTensors(t, filepath.Join(dir, "nobc"))
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

	for _, c := range []struct {
		bc      *bool
		version int
	}{{nil, 2}, {&no, 1}} {
		rec := filepath.Join(dir, "r.json")
		if err := CalibrateWith(m, imgs[:1], rec, &QuantizeOptions{BiasCorrection: c.bc}); err != nil {
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
	img, err := DecodeImageFile(imgs[0], nil)
	if err != nil {
		t.Fatal(err)
	}
	defer img.Close()
	var feats [2][]float32
	for i, bits := range []int{0, 7} {
		q, err := LoadModel(path, &ModelOptions{Calibration: filepath.Join(dir, "r.json"), WeightBits: bits})
		if err != nil {
			t.Fatal(err)
		}
		s, err := q.NewSession(&SessionOptions{Threads: 1})
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
	same := true
	for i := range feats[0] {
		same = same && feats[0][i] == feats[1][i]
	}
	if same {
		t.Fatal("ModelOptions.WeightBits 7 at load gives the 8-bit features")
	}

	bad := filepath.Join(dir, "bad.safetensors")
	libError(t, QuantizeWith(m, imgs[:1], bad, &QuantizeOptions{WeightBits: 9}),
		"QUANT_WEIGHT_BITS must be 7 or 8, got 9")
	if _, err := os.Stat(bad); err == nil {
		t.Fatal("a refused Quantize wrote its file")
	}
	_, err = LoadModel(path, &ModelOptions{Calibration: filepath.Join(dir, "r.json"), WeightBits: 9})
	libError(t, err, "QUANT_WEIGHT_BITS must be 7 or 8, got 9")
	libError(t, CalibrateWith(m, imgs[:1], bad, &QuantizeOptions{WeightBits: 7}), "ModelOptions.WeightBits")
}
