package inception_test

import (
	"errors"
	"math/rand"
	"path/filepath"
	"testing"

	inception "github.com/libinception/go-inception"
)

func randomFeatures(r *rand.Rand, n int) ([]float32, []int32) {
	f := make([]float32, n*2048)
	y := make([]int32, n)
	for i := range y {
		y[i] = int32(r.Intn(3))
		for j := 0; j < 2048; j++ {
			f[i*2048+j] = r.Float32() * 0.5
			if j%3 == int(y[i]) {
				f[i*2048+j] += 0.5 // separable: the class shows in every third feature
			}
		}
	}
	return f, y
}

func TestTrainer(t *testing.T) {
	m := model(t)
	zero := 0.0
	opts := &inception.TrainerOptions{Labels: []string{"a", "b", "c"}, InputSize: 75, Optimizer: "sgd",
		LR: 0.05, EMADecay: &zero}
	tr, err := inception.NewTrainer(m, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	r := rand.New(rand.NewSource(1))
	for s := 0; s < 20; s++ {
		f, y := randomFeatures(r, 16)
		if _, err := tr.TrainFeatures(f, y); err != nil {
			t.Fatal(err)
		}
	}
	f, y := randomFeatures(r, 60)
	res, err := tr.EvaluateFeatures(f, y)
	if err != nil {
		t.Fatal(err)
	}
	if res.Count != 60 || res.Top1 < 0.9 || len(res.Confusion) != 3 {
		t.Fatalf("evaluation %+v", res)
	}
	dir := t.TempDir()
	ck := filepath.Join(dir, "ck.safetensors")
	if err := tr.Checkpoint(ck); err != nil {
		t.Fatal(err)
	}
	tr2, err := inception.NewTrainer(m, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer tr2.Close()
	if err := tr2.Resume(ck); err != nil {
		t.Fatal(err)
	}
	a, _ := tr.Logits(f[:2048])
	b, _ := tr2.Logits(f[:2048])
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("resumed logits differ: %v vs %v", a, b)
		}
	}
	if _, err := tr.TrainFeatures(f[:2048], []int32{7}); !errors.Is(err, inception.ErrInvalidArgument) {
		t.Fatalf("label out of range: %v", err)
	}
	out := filepath.Join(dir, "head.safetensors")
	if err := tr.Save(out); err != nil {
		t.Fatal(err)
	}
	saved, err := inception.LoadModel(out, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer saved.Close()
	if l, err := saved.Label(2); err != nil || l != "c" {
		t.Fatalf("saved label 2 = %q, %v", l, err)
	}
}

// Epsilon reaches the trainer: checked by range, and recorded in a checkpoint that a
// trainer with another epsilon refuses.
func TestTrainerEpsilon(t *testing.T) {
	m := model(t)
	zero, small := 0.0, 1e-6
	if _, err := inception.NewTrainer(m, &inception.TrainerOptions{Classes: 3, Epsilon: &zero}); !errors.Is(err, inception.ErrInvalidArgument) {
		t.Fatalf("epsilon 0: %v", err)
	}
	opts := &inception.TrainerOptions{Classes: 3, InputSize: 75, EpsilonPlacement: "pytorch", Epsilon: &small}
	tr, err := inception.NewTrainer(m, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	ck := filepath.Join(t.TempDir(), "ck.safetensors")
	if err := tr.Checkpoint(ck); err != nil {
		t.Fatal(err)
	}
	other, err := inception.NewTrainer(m, &inception.TrainerOptions{Classes: 3, InputSize: 75, EpsilonPlacement: "pytorch"})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if err := other.Resume(ck); !errors.Is(err, inception.ErrInvalidArgument) {
		t.Fatalf("resume with another epsilon: %v", err)
	}
}

func TestTrainerScope(t *testing.T) {
	m := model(t)
	if _, err := inception.NewTrainer(m, &inception.TrainerOptions{Classes: 3, Scope: "Mixed_9"}); !errors.Is(err, inception.ErrNotFound) {
		t.Fatalf("unknown scope: %v", err)
	}
	tr, err := inception.NewTrainer(m, &inception.TrainerOptions{Classes: 3, Scope: "Mixed_7c", InputSize: 75})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	if n := tr.Trainable(); n < 6000000 {
		t.Fatalf("Mixed_7c and the head: %d trainable parameters", n)
	}
	if _, err := tr.TrainFeatures(make([]float32, 2048), []int32{0}); err == nil {
		t.Fatal("features accepted below the head")
	}
	if tr.AuxActive() || tr.AuxLoss() != 0 {
		t.Fatal("aux head active above Mixed_6e")
	}
	// an explicit aux weight the scope cannot use is an error
	w := 0.4
	if _, err := inception.NewTrainer(m, &inception.TrainerOptions{Classes: 3, Scope: "Mixed_7c", AuxWeight: &w}); !errors.Is(err, inception.ErrInvalidArgument) {
		t.Fatalf("aux weight above Mixed_6e: %v", err)
	}
	ta, err := inception.NewTrainer(m, &inception.TrainerOptions{Classes: 3, Scope: "Mixed_6e", AuxWeight: &w})
	if err != nil {
		t.Fatal(err)
	}
	defer ta.Close()
	if !ta.AuxActive() {
		t.Fatal("aux head not set up for scope Mixed_6e")
	}
}

// HeadInit reaches the library: "linear" builds a trainer, a bad name is the library's error.
func TestTrainerHeadInit(t *testing.T) {
	m := model(t)
	tr, err := inception.NewTrainer(m, &inception.TrainerOptions{Classes: 3, HeadInit: "linear"})
	if err != nil {
		t.Fatal(err)
	}
	tr.Close()
	_, err = inception.NewTrainer(m, &inception.TrainerOptions{Classes: 3, HeadInit: "bogus"})
	libError(t, err, "TRAIN_HEAD_INIT must be torchvision or linear, got 'bogus'")
}
