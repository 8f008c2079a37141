package inception_test

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"io/fs"
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

// stTensor is a tensor's entry in a safetensors header.
type stTensor struct {
	DType   string  `json:"dtype"`
	Shape   []int64 `json:"shape"`
	Offsets []int64 `json:"data_offsets"`
}

// readSafetensors splits a safetensors file into its metadata, its tensors and its data
// section (offsets are relative to it).
func readSafetensors(t testing.TB, raw []byte) (map[string]string, map[string]stTensor, []byte) {
	t.Helper()
	n := binary.LittleEndian.Uint64(raw[:8])
	var header map[string]json.RawMessage
	if err := json.Unmarshal(raw[8:8+n], &header); err != nil {
		t.Fatal(err)
	}
	meta := map[string]string{}
	tensors := map[string]stTensor{}
	for name, v := range header {
		var err error
		if name == "__metadata__" {
			err = json.Unmarshal(v, &meta)
		} else {
			var ts stTensor
			err = json.Unmarshal(v, &ts)
			tensors[name] = ts
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	return meta, tensors, raw[8+n:]
}

// fewClassModel is the test model cut down to a classes-way head without labels (the first
// rows of fc, no aux head, no checksum; classes 0: no fc): only the header changes, the data
// is reused.
func fewClassModel(t testing.TB, classes int, meta map[string]string) []byte {
	raw, err := os.ReadFile(modelPath(t))
	if err != nil {
		t.Fatal(err)
	}
	m, tensors, data := readSafetensors(t, raw)
	out := map[string]interface{}{}
	delete(m, "inception.crc32")
	delete(m, "inception.labels")
	for k, v := range meta {
		m[k] = v
	}
	out["__metadata__"] = m
	for name, ts := range tensors {
		if strings.HasPrefix(name, "AuxLogits.") {
			continue
		}
		if name == "fc.weight" || name == "fc.bias" {
			if classes == 0 {
				continue // a trunk without fc: a feature extractor
			}
			row := int64(4)
			if len(ts.Shape) == 2 {
				row *= ts.Shape[1]
			}
			ts.Shape[0] = int64(classes)
			ts.Offsets[1] = ts.Offsets[0] + int64(classes)*row
		}
		out[name] = ts
	}
	text, err := json.Marshal(out)
	if err != nil {
		t.Fatal(err)
	}
	for len(text)%8 != 0 {
		text = append(text, ' ')
	}
	blob := make([]byte, 8, 8+len(text)+len(data))
	binary.LittleEndian.PutUint64(blob, uint64(len(text)))
	blob = append(append(blob, text...), data...)
	return blob
}

var (
	threeOnce  sync.Once
	threeModel *inception.Model
	threeErr   error
)

func threeClassModel(t testing.TB) *inception.Model {
	blob := fewClassModel(t, 3, nil)
	threeOnce.Do(func() {
		threeModel, threeErr = inception.LoadModelBytes(blob, &inception.ModelOptions{Backend: backend()})
	})
	if threeErr != nil {
		t.Fatal(threeErr)
	}
	return threeModel
}

func TestNulInStrings(t *testing.T) {
	p := pngFile(t, 40, 30, 0)
	if _, err := inception.DecodeImageFile(p, nil); err != nil {
		t.Fatal(err)
	}
	// C would stop at the NUL and open p itself.
	if _, err := inception.DecodeImageFile(p+"\x00.jpg", nil); !errors.Is(err, inception.ErrInvalidArgument) {
		t.Fatalf("DecodeImageFile: want ErrInvalidArgument, got %v", err)
	}
	if _, err := inception.LoadModel(modelPath(t)+"\x00junk", nil); !errors.Is(err, inception.ErrInvalidArgument) {
		t.Fatalf("LoadModel: want ErrInvalidArgument, got %v", err)
	}
	for _, o := range []inception.ModelOptions{{Backend: "ref\x00junk"}, {Preset: "tf\x00x"}, {Labels: "/tmp/l\x00x"}} {
		o := o
		if _, err := inception.LoadModel(modelPath(t), &o); !errors.Is(err, inception.ErrInvalidArgument) {
			t.Fatalf("LoadModel %+v: want ErrInvalidArgument, got %v", o, err)
		}
	}
	s := session(t)
	if _, err := s.ClassifyFile(p+"\x00.jpg", 1); !errors.Is(err, inception.ErrInvalidArgument) {
		t.Fatalf("ClassifyFile: want ErrInvalidArgument, got %v", err)
	}
	if inception.BackendAvailable("ref\x00junk") {
		t.Fatal("BackendAvailable with a NUL")
	}
}

func TestHugeKClamped(t *testing.T) {
	s := session(t)
	p := pngFile(t, 90, 80, 2)
	all, err := s.ClassifyFile(p, 1000)
	if err != nil || len(all) != 1000 {
		t.Fatal(len(all), err)
	}
	data, _ := os.ReadFile(p)
	img, err := inception.DecodeImageFile(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer img.Close()
	for _, k := range []int{1001, math.MaxInt32, 1<<32 + 3, math.MaxInt} {
		got, err := s.ClassifyFile(p, k)
		if err != nil || len(got) != 1000 || got[0] != all[0] || got[999] != all[999] {
			t.Fatalf("ClassifyFile k=%d: %d results, %v", k, len(got), err)
		}
	}
	k := 1<<32 + 3 // would wrap to 3 as an int32_t
	if got, err := s.Classify(data, k); err != nil || len(got) != 1000 {
		t.Fatalf("Classify k=%d: %d results, %v", k, len(got), err)
	}
	if got, err := s.ClassifyImages(model(t), k, img); err != nil || len(got[0]) != 1000 {
		t.Fatalf("ClassifyImages k=%d: %v", k, err)
	}
	if _, err := s.ClassifyFile(p, math.MinInt); !errors.Is(err, inception.ErrInvalidArgument) {
		t.Fatalf("negative k: %v", err)
	}
}

func TestNilReceivers(t *testing.T) {
	var s *inception.Session
	var m *inception.Model
	var pool *inception.SessionPool
	in := patternInput(1, inception.NCHW)
	checks := map[string]error{}
	_, checks["Session.Run"] = s.Run(in)
	_, checks["Session.Features"] = s.Features(in)
	_, checks["Session.ClassifyFile"] = s.ClassifyFile("x.png", 1)
	_, checks["Session.Classify"] = s.Classify([]byte{1}, 1)
	_, checks["Session.ClassifyTensor"] = s.ClassifyTensor(in, 1)
	_, checks["Session.Output"] = s.Output(inception.OutputFeatures)
	_, checks["Session.Memory"] = s.Memory()
	_, checks["Session.Profile"] = s.Profile()
	_, checks["Model.NewSession"] = m.NewSession(nil)
	_, checks["Model.Info"] = m.Info()
	_, checks["Model.Label"] = m.Label(0)
	_, checks["Model.Labels"] = m.Labels()
	_, checks["Model.NewInput"] = m.NewInput(1, inception.NCHW)
	_, checks["Model.Preprocess"] = m.Preprocess(nil)
	_, checks["SessionPool.Get"] = pool.Get()
	checks["SessionPool.Do"] = pool.Do(func(*inception.Session) error { return nil })
	_, checks["NewSessionPool(nil).Get"] = inception.NewSessionPool(nil, 1, nil).Get()
	for name, err := range checks {
		if !errors.Is(err, inception.ErrInvalidArgument) {
			t.Errorf("%s: want ErrInvalidArgument, got %v", name, err)
		}
	}
	if s.LastError() != "" || s.Close() != nil || m.Close() != nil || pool.Close() != nil {
		t.Fatal("nil LastError/Close")
	}
	pool.Put(nil)
}

func TestShapeOverflow(t *testing.T) {
	s := session(t)
	for _, shape := range [][]int64{
		{1 << 32, 1 << 32, 1, 1},             // wraps to 0: matched an empty Data
		{1 << 62, 3, 4, 4},                   // wraps
		{math.MaxInt64, 3, 75, 75},           //
		{1, 3, 1 << 31, 1 << 31},             // fits int64 but not as bytes
		{1 << 16, 1 << 16, 1 << 16, 1 << 16}, // 2^64 wraps to 0
	} {
		in := inception.Tensor{Shape: shape, Layout: inception.NCHW}
		if _, err := s.Run(in); !errors.Is(err, inception.ErrInvalidArgument) {
			t.Fatalf("Run %v: want ErrInvalidArgument, got %v", shape, err)
		}
		if _, err := s.ClassifyTensor(in, 1); !errors.Is(err, inception.ErrInvalidArgument) {
			t.Fatalf("ClassifyTensor %v: %v", shape, err)
		}
		if err := model(t).PreprocessInto(nil, in, 0); !errors.Is(err, inception.ErrInvalidArgument) {
			t.Fatalf("PreprocessInto %v: %v", shape, err)
		}
		if nt := inception.NewTensor(inception.NCHW, shape...); nt.Data != nil {
			t.Fatalf("NewTensor %v allocated %d values", shape, len(nt.Data))
		}
	}
	if _, err := s.Run(inception.NewTensor(inception.NCHW, 1, -3, 75, 75)); err == nil {
		t.Fatal("negative dimension accepted")
	}
}

func TestClassifyWithoutLabels(t *testing.T) {
	m := threeClassModel(t)
	info, err := m.Info()
	if err != nil || info.Classes != 3 || info.HasLabels {
		t.Fatalf("info %+v %v", info, err)
	}
	if l, err := m.Label(2); l != "" || err != nil {
		t.Fatalf("Label(2) = %q, %v", l, err)
	}
	if _, err := m.Label(3); !errors.Is(err, inception.ErrNotFound) {
		t.Fatalf("Label(3): %v", err)
	}
	if labels, err := m.Labels(); err != nil || len(labels) != 3 || labels[0] != "" {
		t.Fatalf("Labels %q %v", labels, err)
	}
	s, err := m.NewSession(&inception.SessionOptions{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, err := s.ClassifyFile(pngFile(t, 100, 90, 4), 5)
	if err != nil || len(got) != 3 {
		t.Fatalf("ClassifyFile: %v %v", got, err)
	}
	classes := []int{}
	sum := float32(0)
	for _, p := range got {
		if p.Label != "" {
			t.Fatalf("label %q", p.Label)
		}
		classes = append(classes, p.Class)
		sum += p.Probability
	}
	sort.Ints(classes)
	if classes[0] != 0 || classes[2] != 2 || math.Abs(float64(sum)-1) > 1e-5 {
		t.Fatalf("classes %v sum %v", classes, sum)
	}
	if rows, err := s.ClassifyTensor(inception.Tensor{Shape: []int64{1, 3, side, side}, Layout: inception.NCHW,
		Data: capi.Pattern(3 * side * side)}, 2); err != nil || len(rows[0]) != 2 {
		t.Fatal(err)
	}
}

func TestFeatureExtractorK(t *testing.T) {
	// No fc: 0 classes. Clamping k must not turn into "k = 0 is below 1".
	m, err := inception.LoadModelBytes(fewClassModel(t, 0, nil), &inception.ModelOptions{Backend: backend()})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	s, err := m.NewSession(&inception.SessionOptions{Threads: 1, Outputs: inception.OutputFeatures})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, k := range []int{1, math.MaxInt} {
		if _, err := s.ClassifyFile(pngFile(t, 80, 80, 1), k); !errors.Is(err, inception.ErrUnsupported) {
			t.Fatalf("k=%d: want ErrUnsupported, got %v", k, err)
		}
	}
}

func TestLabelsFile(t *testing.T) {
	if !capi.StringOptionKnown(20) {
		t.Skip("this libinception refuses INCEPTION_OPT_LABELS_FILE (20) with NOT_FOUND: " +
			"the C labels-file option has not landed yet")
	}
	dir := t.TempDir()
	lines := filepath.Join(dir, "labels.txt")
	js := filepath.Join(dir, "labels.json")
	os.WriteFile(lines, []byte("red\ngreen\nblue\n"), 0o644)
	os.WriteFile(js, []byte(`["one", "two", "three"]`), 0o644)
	blob := fewClassModel(t, 3, nil)
	for path, want := range map[string][]string{lines: {"red", "green", "blue"}, js: {"one", "two", "three"}} {
		m, err := inception.LoadModelBytes(blob, &inception.ModelOptions{Backend: backend(), Labels: path})
		if err != nil {
			t.Fatal(err)
		}
		labels, err := m.Labels()
		if err != nil || strings.Join(labels, ",") != strings.Join(want, ",") {
			t.Fatalf("%s: labels %q %v", path, labels, err)
		}
		m.Close()
	}
	missing := filepath.Join(dir, "nope.txt")
	_, err := inception.LoadModelBytes(blob, &inception.ModelOptions{Labels: missing})
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("missing labels file: %v", err)
	}
}

func TestMissingFileIsNotExist(t *testing.T) {
	_, err := inception.LoadModel("/nonexistent/model.safetensors", nil)
	if !errors.Is(err, fs.ErrNotExist) || !errors.Is(err, inception.ErrIO) {
		t.Fatalf("LoadModel: %v", err)
	}
	var pe *fs.PathError
	if !errors.As(err, &pe) || pe.Path != "/nonexistent/model.safetensors" {
		t.Fatalf("no *fs.PathError in %v", err)
	}
	if _, err := inception.DecodeImageFile("/nonexistent/cat.png", nil); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("DecodeImageFile: %v", err)
	}
	// A directory exists: an i/o error, not ErrNotExist.
	if _, err := inception.DecodeImageFile(t.TempDir(), nil); !errors.Is(err, inception.ErrIO) || errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("directory: %v", err)
	}
	if os.Getenv("INCEPTION_TEST_MODEL") == "" {
		return
	}
	if _, err := session(t).ClassifyFile("/nonexistent/cat.jpg", 1); !errors.Is(err, fs.ErrNotExist) || !errors.Is(err, inception.ErrIO) {
		t.Fatalf("ClassifyFile: %v", err)
	}
}
