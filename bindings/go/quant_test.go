package inception

import (
	"os"
	"path/filepath"
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
