package inception_test

import (
	"errors"
	"math"
	"testing"

	inception "github.com/libinception/go-inception"
)

// A crop session and an ensemble of one with the same crops reach the same numbers
// through two different C paths.
func TestCropSessionEqualsEnsembleOfOne(t *testing.T) {
	m := model(t)
	photo := photos()[0]
	crops := inception.CropOptions{Crops: 10, Average: "logits", Batch: 5}
	s, err := m.NewCropSession(&inception.SessionOptions{Threads: 2}, crops)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	a, err := s.ClassifyFile(photo, 5)
	if err != nil {
		t.Fatal(err)
	}
	e, err := inception.NewEnsemble([]*inception.Model{m}, &inception.EnsembleOptions{Threads: 2, Crops: crops})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	b, err := e.ClassifyFile(photo, 5)
	if err != nil {
		t.Fatal(err)
	}
	if len(a) != 5 || len(b) != 5 {
		t.Fatalf("got %d and %d predictions", len(a), len(b))
	}
	for i := range a {
		if a[i].Class != b[i].Class || math.Abs(float64(a[i].Probability-b[i].Probability)) > 1e-6 || a[i].Label != b[i].Label {
			t.Errorf("#%d: session %+v, ensemble %+v", i, a[i], b[i])
		}
	}
}

func TestPaperErrors(t *testing.T) {
	m := model(t)
	if _, err := m.NewCropSession(nil, inception.CropOptions{Crops: 7}); !errors.Is(err, inception.ErrInvalidArgument) {
		t.Errorf("Crops 7: %v", err)
	}
	if _, err := m.NewCropSession(nil, inception.CropOptions{Average: "median"}); !errors.Is(err, inception.ErrInvalidArgument) {
		t.Errorf("Average median: %v", err)
	}
	if _, err := inception.NewEnsemble(nil, nil); !errors.Is(err, inception.ErrInvalidArgument) {
		t.Errorf("no models: %v", err)
	}
	e, err := inception.NewEnsemble([]*inception.Model{m, m}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.ClassifyFile("/nonexistent.jpg", 3); !errors.Is(err, inception.ErrIO) {
		t.Errorf("missing file: %v", err)
	}
	e.Close()
	if _, err := e.ClassifyFile(photos()[0], 3); !errors.Is(err, inception.ErrInvalidArgument) {
		t.Errorf("closed: %v", err)
	}
	s := session(t) // no FEATURE_MAP output
	in, _ := m.NewInput(1, inception.NCHW)
	if _, err := s.Run(in); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CAM(0, 1); !errors.Is(err, inception.ErrNotFound) {
		t.Errorf("CAM without the feature map: %v", err)
	}
}

// logit - mean(CAM) is the fc bias, the same for every image.
func TestCAMMeanPlusBiasIsLogit(t *testing.T) {
	m := model(t)
	s, err := m.NewSession(&inception.SessionOptions{Threads: 2, Outputs: inception.OutputLogits | inception.OutputFeatureMap})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	classes := []int{0, 5, 999}
	var bias [][]float64
	for _, photo := range photos()[:2] {
		img, err := inception.DecodeImageFile(photo, nil)
		if err != nil {
			t.Fatal(err)
		}
		in, _ := m.NewInput(1, inception.NCHW)
		if err := m.PreprocessInto(img, in, 0); err != nil {
			t.Fatal(err)
		}
		img.Close()
		r, err := s.Run(in)
		if err != nil {
			t.Fatal(err)
		}
		var row []float64
		for _, k := range classes {
			cam, err := s.CAM(0, k)
			if err != nil {
				t.Fatal(err)
			}
			if cam.Shape[0] != 8 || cam.Shape[1] != 8 {
				t.Fatalf("CAM shape %v", cam.Shape)
			}
			mean := 0.0
			for _, v := range cam.Data {
				mean += float64(v) / float64(len(cam.Data))
			}
			row = append(row, float64(r.Logits.Data[k])-mean)
		}
		bias = append(bias, row)
	}
	for i := range classes {
		if d := math.Abs(bias[0][i] - bias[1][i]); d > 1e-4 {
			t.Errorf("class %d: bias %g vs %g", classes[i], bias[0][i], bias[1][i])
		}
	}
	if _, err := s.CAM(0, 1000000); !errors.Is(err, inception.ErrInvalidArgument) {
		t.Errorf("class out of range: %v", err)
	}
}
