package inception_test

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	inception "github.com/libinception/go-inception"
	"github.com/libinception/go-inception/internal/capi"
)

// Environment: INCEPTION_TEST_MODEL (a model made by inception-make-model; model tests skip
// without it), INCEPTION_TEST_BACKEND (default "simd" if available, else "auto"),
// INCEPTION_TEST_IMAGES (default: the repository's tests/image/data).

const side = 150 // small inputs keep the suite fast; any side >= 75 works

func backend() string {
	if b := os.Getenv("INCEPTION_TEST_BACKEND"); b != "" {
		return b
	}
	if inception.BackendAvailable("simd") {
		return "simd"
	}
	return "auto"
}

func modelPath(t testing.TB) string {
	p := os.Getenv("INCEPTION_TEST_MODEL")
	if p == "" {
		t.Skip("set INCEPTION_TEST_MODEL to a model made by inception-make-model")
	}
	return p
}

var (
	sharedOnce  sync.Once
	sharedModel *inception.Model
	sharedErr   error
)

func model(t testing.TB) *inception.Model {
	p := modelPath(t)
	sharedOnce.Do(func() {
		sharedModel, sharedErr = inception.LoadModel(p, &inception.ModelOptions{Backend: backend()})
	})
	if sharedErr != nil {
		t.Fatal(sharedErr)
	}
	return sharedModel
}

func session(t testing.TB) *inception.Session {
	s, err := model(t).NewSession(&inception.SessionOptions{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// pngFile writes a deterministic PNG into the test's temp dir.
func pngFile(t testing.TB, w, h, seed int) string {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, color.RGBA{uint8(x*7 + y*3 + seed*11), uint8(x*y + seed), uint8(255 - x*5 + y), 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "pattern.png")
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func photos() []string {
	dir := os.Getenv("INCEPTION_TEST_IMAGES")
	if dir == "" {
		dir = filepath.Join("..", "..", "tests", "image", "data")
	}
	entries, _ := os.ReadDir(dir)
	var out []string
	for _, e := range entries {
		n := strings.ToLower(e.Name())
		if strings.HasSuffix(n, ".jpg") || strings.HasSuffix(n, ".jpeg") || strings.HasSuffix(n, ".png") {
			out = append(out, filepath.Join(dir, e.Name()))
		}
	}
	sort.Strings(out)
	return out
}

func closeTo(t *testing.T, what string, got, want []float32, rel float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	scale, worst := 1e-6, 0.0
	for i := range want {
		scale = math.Max(scale, math.Abs(float64(want[i])))
		worst = math.Max(worst, math.Abs(float64(got[i]-want[i])))
	}
	if worst > rel*scale {
		t.Fatalf("%s: max difference %g (scale %g)", what, worst, scale)
	}
}

func patternInput(n int, layout inception.Layout) inception.Tensor {
	v := capi.Pattern(n * 3 * side * side)
	if layout == inception.NCHW {
		return inception.Tensor{Shape: []int64{int64(n), 3, side, side}, Layout: inception.NCHW, Data: v}
	}
	out := make([]float32, len(v))
	for b := 0; b < n; b++ {
		for c := 0; c < 3; c++ {
			for y := 0; y < side; y++ {
				for x := 0; x < side; x++ {
					out[((b*side+y)*side+x)*3+c] = v[((b*3+c)*side+y)*side+x]
				}
			}
		}
	}
	return inception.Tensor{Shape: []int64{int64(n), side, side, 3}, Layout: inception.NHWC, Data: out}
}

func TestVersion(t *testing.T) {
	if err := inception.CheckVersion(); err != nil {
		t.Fatal(err)
	}
	n := inception.VersionNumber()
	if n/10000 != inception.HeaderVersionMajor || !strings.HasPrefix(inception.Version(), "1.") {
		t.Fatalf("version %d %q", n, inception.Version())
	}
	if inception.ModelFormatVersion() < 1 {
		t.Fatal("model format version")
	}
	found := false
	for _, b := range inception.Backends() {
		if b.Name == "ref" && b.Available {
			found = true
		}
	}
	if !found || inception.BackendAvailable("no-such-backend") {
		t.Fatalf("backends: %v", inception.Backends())
	}
}

func TestErrors(t *testing.T) {
	_, err := inception.LoadModel("/nonexistent/model.safetensors", nil)
	if !errors.Is(err, inception.ErrIO) || errors.Is(err, inception.ErrFormat) {
		t.Fatalf("want ErrIO, got %v", err)
	}
	var e *inception.Error
	if !errors.As(err, &e) || e.Status != inception.ErrIO || !strings.Contains(e.Message, "/nonexistent/model.safetensors") {
		t.Fatalf("error detail: %#v", e)
	}
	_, err = inception.LoadModelBytes([]byte("\x10\x00\x00\x00\x00\x00\x00\x00{not json at all}"), nil)
	if !errors.Is(err, inception.ErrFormat) {
		t.Fatalf("want ErrFormat, got %v", err)
	}
	_, err = inception.LoadModelBytes(nil, nil)
	if !errors.Is(err, inception.ErrFormat) {
		t.Fatalf("want ErrFormat for no bytes, got %v", err)
	}
	_, err = inception.LoadModel("/nonexistent/m", &inception.ModelOptions{Preset: "no-such-preset"})
	if err == nil {
		t.Fatal("bad preset accepted")
	}
	if inception.ErrImage.String() == "" || inception.Status(99).Error() == "" {
		t.Fatal("status names")
	}
	_, err = inception.DecodeImage([]byte("definitely not an image"), nil)
	if !errors.Is(err, inception.ErrImage) {
		t.Fatalf("want ErrImage, got %v", err)
	}
	_, err = inception.DecodeImageFile("/nonexistent.png", nil)
	if !errors.Is(err, inception.ErrIO) {
		t.Fatalf("want ErrIO, got %v", err)
	}
}

func TestImages(t *testing.T) {
	p := pngFile(t, 40, 30, 0)
	img, err := inception.DecodeImageFile(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer img.Close()
	if w, h := img.Size(); w != 40 || h != 30 {
		t.Fatalf("size %dx%d", w, h)
	}
	px := img.Pixels()
	if len(px) != 40*30*3 || !bytes.Equal(px[:6], []byte{0, 0, 255, 7, 0, 250}) {
		t.Fatalf("pixels %v", px[:6])
	}
	_, err = inception.DecodeImageFile(p, &inception.DecodeOptions{MaxPixels: 100})
	if !errors.Is(err, inception.ErrImageTooLarge) {
		t.Fatalf("want ErrImageTooLarge, got %v", err)
	}
	// a crop through the stride, then BGR
	crop, err := inception.ImageFromPixels(px[3*(40*2+5):], 20, 10, 40*3, inception.RGB)
	if err != nil {
		t.Fatal(err)
	}
	if got := crop.Pixels(); !bytes.Equal(got[:3], px[3*(40*2+5):3*(40*2+5)+3]) {
		t.Fatal("crop")
	}
	crop.Close()
	bgr, err := inception.ImageFromPixels(px, 40, 30, 0, inception.BGR)
	if err != nil {
		t.Fatal(err)
	}
	if got := bgr.Pixels(); got[0] != px[2] || got[2] != px[0] {
		t.Fatal("bgr")
	}
	bgr.Close()
	bgr.Close() // twice is fine
	if _, err := inception.ImageFromPixels(px, 41, 30, 0, inception.RGB); !errors.Is(err, inception.ErrBufferTooSmall) {
		t.Fatalf("short pixels: %v", err)
	}
}

func TestInfo(t *testing.T) {
	m := model(t)
	info, err := m.Info()
	if err != nil {
		t.Fatal(err)
	}
	if info.Classes != 1000 || info.Features != 2048 || info.InputHeight != 299 || !info.Synthetic ||
		info.MinInputSize != 75 || info.Parameters < 20000000 || info.Stem != 299 ||
		info.StemConv != 3 || info.AuxBN || info.Architecture != "stem=299 stem_conv=3x3 aux=plain" {
		t.Fatalf("info %+v", info)
	}
	if b := backend(); b != "auto" && info.Backend != b {
		t.Fatalf("backend %q, want %q", info.Backend, b)
	}
	labels, err := m.Labels()
	if err != nil || len(labels) != 1000 {
		t.Fatal(err, len(labels))
	}
	if l, _ := m.Label(207); l != labels[207] {
		t.Fatal("label")
	}
	if _, err := m.Label(1000); err == nil {
		t.Fatal("label 1000 accepted")
	}
}

func TestClassifyMatchesC(t *testing.T) {
	ref, err := capi.Open(modelPath(t), backend())
	if err != nil {
		t.Fatal(err)
	}
	defer ref.Close()
	s := session(t)
	paths := append(photos(), pngFile(t, 120, 90, 3))
	for i, p := range paths {
		classes, probs, err := ref.ClassifyFile(p, 5)
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.ClassifyFile(p, 5)
		if err != nil {
			t.Fatal(err)
		}
		for j := range got {
			if got[j].Class != int(classes[j]) || got[j].Probability != probs[j] {
				t.Fatalf("%s: %+v, C says %v %v", p, got, classes, probs)
			}
			if l, _ := model(t).Label(got[j].Class); l != got[j].Label {
				t.Fatal("label")
			}
		}
		if i == 0 {
			data, _ := os.ReadFile(p)
			again, err := s.Classify(data, 5)
			if err != nil || len(again) != len(got) || again[0] != got[0] || again[4] != got[4] {
				t.Fatalf("bytes: %v %v", again, err)
			}
		}
	}
}

func TestRunMatchesC(t *testing.T) {
	ref, err := capi.Open(modelPath(t), backend())
	if err != nil {
		t.Fatal(err)
	}
	defer ref.Close()
	logits, probs, features, err := ref.RunPattern(1, side, side, 1000)
	if err != nil {
		t.Fatal(err)
	}
	s := session(t)
	r, err := s.Run(patternInput(1, inception.NCHW))
	if err != nil {
		t.Fatal(err)
	}
	closeTo(t, "logits", r.Logits.Data, logits, 1e-6)
	closeTo(t, "probabilities", r.Probabilities.Data, probs, 1e-6)
	closeTo(t, "features", r.Features.Data, features, 1e-6)
	if r.AuxLogits.Data != nil || len(r.Features.Shape) != 2 || r.Features.Shape[1] != 2048 {
		t.Fatalf("result shapes %v %v", r.Features.Shape, r.AuxLogits.Shape)
	}
	f, err := s.Features(patternInput(1, inception.NHWC))
	if err != nil {
		t.Fatal(err)
	}
	closeTo(t, "nhwc features", f.Data, features, 1e-4)
	dst := make([]float32, 2048)
	out, err := s.RunInto(patternInput(1, inception.NCHW), inception.OutputFeatures, dst)
	if err != nil || &out.Data[0] != &dst[0] {
		t.Fatal("RunInto", err)
	}
	closeTo(t, "RunInto", dst, features, 1e-6)
	if _, err := s.RunInto(patternInput(1, inception.NCHW), inception.OutputLogits, dst[:999]); !errors.Is(err, inception.ErrBufferTooSmall) {
		t.Fatalf("short dst: %v", err)
	}
	if mem, err := s.Memory(); err != nil || mem <= 0 {
		t.Fatal("memory", mem, err)
	}
	// batch of two = two singles
	both, err := s.Logits(patternInput(2, inception.NCHW))
	if err != nil {
		t.Fatal(err)
	}
	in := patternInput(2, inception.NCHW)
	half := len(in.Data) / 2
	second, err := s.Logits(inception.Tensor{Shape: []int64{1, 3, side, side}, Layout: inception.NCHW, Data: in.Data[half:]})
	if err != nil {
		t.Fatal(err)
	}
	closeTo(t, "batch row 0", both.Row(0), logits, 1e-4)
	closeTo(t, "batch row 1", both.Row(1), second.Data, 1e-4)
}

func TestImagePaths(t *testing.T) {
	m, s := model(t), session(t)
	p := pngFile(t, 120, 90, 5)
	want, err := s.ClassifyFile(p, 3)
	if err != nil {
		t.Fatal(err)
	}
	img, err := inception.DecodeImageFile(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer img.Close()
	got, err := s.ClassifyImages(m, 3, img, img)
	if err != nil {
		t.Fatal(err)
	}
	for _, row := range got {
		for j := range row {
			if row[j].Class != want[j].Class || math.Abs(float64(row[j].Probability-want[j].Probability)) > 1e-5 {
				t.Fatalf("ClassifyImages %v, ClassifyFile %v", row, want)
			}
		}
	}
	emb, err := s.Embed(m, img, img)
	if err != nil || len(emb.Data) != 2*2048 {
		t.Fatal(err)
	}
	closeTo(t, "embed rows", emb.Row(1), emb.Row(0), 1e-6)
	in, _ := m.NewInput(2, inception.NHWC)
	if err := m.PreprocessInto(img, in, 1); err != nil {
		t.Fatal(err)
	}
	if in.Data[0] != 0 || in.Row(1)[0] == 0 {
		t.Fatal("PreprocessInto wrote the wrong slot")
	}
	if err := m.PreprocessInto(img, in, 2); err == nil {
		t.Fatal("slot 2 of 2 accepted")
	}
}

func TestSessionErrors(t *testing.T) {
	m := model(t)
	s, err := m.NewSession(&inception.SessionOptions{Threads: 1, Outputs: inception.OutputFeatures})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Output(inception.OutputFeatures); !errors.Is(err, inception.ErrNotReady) {
		t.Fatalf("want ErrNotReady, got %v", err)
	}
	if _, err := s.Features(patternInput(1, inception.NCHW)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Output(inception.OutputLogits); !errors.Is(err, inception.ErrNotFound) {
		t.Fatalf("want ErrNotFound, got %v", err)
	}
	if _, err := s.ClassifyTensor(patternInput(1, inception.NCHW), 3); !errors.Is(err, inception.ErrUnsupported) {
		t.Fatalf("want ErrUnsupported, got %v", err)
	}
	s.Close()
	if _, err := s.Features(patternInput(1, inception.NCHW)); !errors.Is(err, inception.ErrInvalidArgument) {
		t.Fatalf("closed session: %v", err)
	}
	s = session(t)
	small := inception.NewTensor(inception.NCHW, 1, 3, 10, 10)
	_, err = s.Run(small)
	var e *inception.Error
	if !errors.As(err, &e) || e.Status != inception.ErrInputSize || e.Message == "" || s.LastError() != e.Message {
		t.Fatalf("want ErrInputSize with a message, got %v (last %q)", err, s.LastError())
	}
	bad := inception.Tensor{Shape: []int64{1, 3, side, side}, Layout: inception.NCHW, Data: make([]float32, 10)}
	if _, err := s.Run(bad); !errors.Is(err, inception.ErrShape) {
		t.Fatalf("want ErrShape, got %v", err)
	}
	if _, err := s.Classify([]byte("not an image"), 5); !errors.Is(err, inception.ErrImage) {
		t.Fatalf("want ErrImage, got %v", err)
	}
	if _, err := s.ClassifyFile("/nonexistent.jpg", 5); !errors.Is(err, inception.ErrIO) {
		t.Fatalf("want ErrIO, got %v", err)
	}
	if _, err := s.ClassifyFile("/nonexistent.jpg", 0); !errors.Is(err, inception.ErrInvalidArgument) {
		t.Fatalf("want ErrInvalidArgument, got %v", err)
	}
	if _, err := m.NewSession(&inception.SessionOptions{Threads: -1}); !errors.Is(err, inception.ErrInvalidArgument) {
		t.Fatalf("negative threads: %v", err)
	}
}

func TestModelClosedBeforeSession(t *testing.T) {
	m, err := inception.LoadModel(modelPath(t), &inception.ModelOptions{Backend: backend(), SkipChecksum: true})
	if err != nil {
		t.Fatal(err)
	}
	s, err := m.NewSession(&inception.SessionOptions{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	m.Close()
	if _, err := m.Info(); !errors.Is(err, inception.ErrInvalidArgument) {
		t.Fatalf("closed model: %v", err)
	}
	p, err := s.ClassifyFile(pngFile(t, 100, 100, 1), 2)
	if err != nil || len(p) != 2 || p[0].Label == "" {
		t.Fatal(p, err)
	}
	s.Close()
	m.Close()
}

func TestProfile(t *testing.T) {
	s, err := model(t).NewSession(&inception.SessionOptions{Threads: 1, Profile: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Features(patternInput(1, inception.NCHW)); err != nil {
		t.Fatal(err)
	}
	rows, err := s.Profile()
	if err != nil || len(rows) < 50 || rows[0].Name != "Conv2d_1a_3x3" {
		t.Fatal(len(rows), err)
	}
}
