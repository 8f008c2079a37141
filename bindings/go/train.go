package inception

// #include <inception/inception.h>
// #include <stdlib.h>
// inception_status incgo_train_features(inception_trainer *tr, int64_t n, float *data,
//                                       const int32_t *labels, float *loss, int evaluate);
// inception_status incgo_train_logits(inception_trainer *tr, int64_t n, float *data, float *out,
//                                     size_t count);
import "C"

import (
	"runtime"
	"strings"
	"sync"
	"unsafe"
)

// TrainerOptions are the settings of a new head (docs/training.md). The zero value of a
// field keeps the library's default; the pointer fields distinguish "unset" from 0.
type TrainerOptions struct {
	Classes          int      // number of classes (or from Labels / Data)
	Labels           []string // class labels
	Data             string   // a folder per class, or a list file of "path label" lines
	ValData          string   // a list file of validation images
	ValFraction      *float64 // held out of Data by a hash of the file name (default 0.1)
	CacheDir         string   // on-disk feature cache
	Seed             int64
	Batch            int      // default 32
	Optimizer        string   // "rmsprop" (default) or "sgd"
	LR               float64  // default 0.045
	Schedule         string   // "exponential" (default) or "constant"
	EpochSize        int64    // examples per epoch for the schedule when you pass batches
	Momentum         *float64 // default 0.9 for sgd, 0 for rmsprop
	EpsilonPlacement string   // "tf" (default) or "pytorch"
	Epsilon          *float64 // RMSProp's epsilon; default 1.0 (the paper's)
	WeightDecay      *float64 // default 4e-5
	ClipNorm         *float64 // default 2.0; 0 = off
	EMADecay         *float64 // default 0.9999; 0 = off
	LabelSmoothing   *float64 // default 0.1
	Augment          string   // "none" or a comma list of crop, flip, color
	Views            int      // augmented views per image (default 4)
	InputSize        int      // default: the model's
	Threads          int
	BaseModel        string // the model's file, for a model loaded from memory
	// Below the head (issue 13): "fc" (default), "Mixed_5b" ... "Mixed_7c" (that block
	// onward), "all", or "last:N".
	Scope      string
	HeadInit   string   // the new fc's start: "torchvision" (default) or "linear"
	Dropout    *float64 // before the fc; default 0.5 below the head, 0 for fc
	FrozenBN   bool     // BatchNorm inside the scope on running statistics
	BNMomentum *float64 // default 0.1 (PyTorch's convention)
	// AuxWeight: weight of the aux classifier's loss when the scope holds Mixed_6e; nil =
	// 0.4 where the aux head can run (299x299 images), else off; 0 = off; a weight that
	// cannot take effect is an error.
	AuxWeight *float64
}

// EvalResult is what Evaluate and EvaluateValidation return.
type EvalResult struct {
	Count     int64
	Loss      float64
	Top1      float64
	Top5      float64
	Confusion [][]int64 // rows: true class, columns: predicted
}

// Trainer trains a new classifier head on a Model's frozen trunk. Use it from one goroutine
// at a time (calls are serialised by a mutex).
type Trainer struct {
	mu      sync.Mutex
	ptr     *C.inception_trainer
	classes int
	model   *Model
}

func (t *Trainer) err(op string, st C.inception_status) error {
	return newError(op, st, C.GoString(C.inception_trainer_last_error(t.ptr)))
}

// NewTrainer makes a trainer for model with the given settings.
func NewTrainer(m *Model, o *TrainerOptions) (*Trainer, error) {
	if o == nil {
		o = &TrainerOptions{}
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.ptr == nil {
		return nil, goErr("NewTrainer", ErrInvalidArgument, "model is closed")
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var opts *C.inception_options
	if st := C.inception_options_create(&opts); st != C.INCEPTION_OK {
		return nil, newError("NewTrainer", st, C.GoString(C.inception_last_error()))
	}
	defer C.inception_options_free(opts)
	fail := func(st C.inception_status) error {
		return newError("NewTrainer", st, C.GoString(C.inception_last_error()))
	}
	ints := []struct {
		key C.inception_option
		v   int64
	}{{C.INCEPTION_OPT_TRAIN_CLASSES, int64(o.Classes)}, {C.INCEPTION_OPT_TRAIN_SEED, o.Seed},
		{C.INCEPTION_OPT_TRAIN_BATCH, int64(o.Batch)}, {C.INCEPTION_OPT_TRAIN_EPOCH_SIZE, o.EpochSize},
		{C.INCEPTION_OPT_TRAIN_VIEWS, int64(o.Views)}, {C.INCEPTION_OPT_TRAIN_INPUT_SIZE, int64(o.InputSize)},
		{C.INCEPTION_OPT_THREADS, int64(o.Threads)}, {C.INCEPTION_OPT_TRAIN_FROZEN_BN, map[bool]int64{false: 0, true: 1}[o.FrozenBN]}}
	for _, kv := range ints {
		if kv.v == 0 && kv.key != C.INCEPTION_OPT_TRAIN_SEED {
			continue
		}
		if st := C.inception_options_set_int(opts, kv.key, C.int64_t(kv.v)); st != C.INCEPTION_OK {
			return nil, fail(st)
		}
	}
	lr := (*float64)(nil)
	if o.LR != 0 {
		lr = &o.LR
	}
	nums := []struct {
		key C.inception_option
		v   *float64
	}{{C.INCEPTION_OPT_TRAIN_LR, lr}, {C.INCEPTION_OPT_TRAIN_MOMENTUM, o.Momentum},
		{C.INCEPTION_OPT_TRAIN_EPSILON, o.Epsilon},
		{C.INCEPTION_OPT_TRAIN_WEIGHT_DECAY, o.WeightDecay}, {C.INCEPTION_OPT_TRAIN_CLIP_NORM, o.ClipNorm},
		{C.INCEPTION_OPT_TRAIN_EMA_DECAY, o.EMADecay}, {C.INCEPTION_OPT_TRAIN_LABEL_SMOOTHING, o.LabelSmoothing},
		{C.INCEPTION_OPT_TRAIN_VAL_FRACTION, o.ValFraction}, {C.INCEPTION_OPT_TRAIN_DROPOUT, o.Dropout},
		{C.INCEPTION_OPT_TRAIN_BN_MOMENTUM, o.BNMomentum}, {C.INCEPTION_OPT_TRAIN_AUX_WEIGHT, o.AuxWeight}}
	for _, kv := range nums {
		if kv.v == nil {
			continue
		}
		if st := C.inception_options_set_double(opts, kv.key, C.double(*kv.v)); st != C.INCEPTION_OK {
			return nil, fail(st)
		}
	}
	strs := []struct {
		key C.inception_option
		v   string
	}{{C.INCEPTION_OPT_TRAIN_LABELS, strings.Join(o.Labels, "\n")}, {C.INCEPTION_OPT_TRAIN_DATA, o.Data},
		{C.INCEPTION_OPT_TRAIN_VAL_DATA, o.ValData}, {C.INCEPTION_OPT_TRAIN_CACHE_DIR, o.CacheDir},
		{C.INCEPTION_OPT_TRAIN_OPTIMIZER, o.Optimizer}, {C.INCEPTION_OPT_TRAIN_LR_SCHEDULE, o.Schedule},
		{C.INCEPTION_OPT_TRAIN_EPSILON_PLACEMENT, o.EpsilonPlacement}, {C.INCEPTION_OPT_TRAIN_AUGMENT, o.Augment},
		{C.INCEPTION_OPT_TRAIN_BASE_MODEL, o.BaseModel}, {C.INCEPTION_OPT_TRAIN_SCOPE, o.Scope},
		{C.INCEPTION_OPT_TRAIN_HEAD_INIT, o.HeadInit}}
	for _, kv := range strs {
		if kv.v == "" {
			continue
		}
		cs, err := cString("NewTrainer", "option", kv.v)
		if err != nil {
			return nil, err
		}
		st := C.inception_options_set_string(opts, kv.key, cs)
		C.free(unsafe.Pointer(cs))
		if st != C.INCEPTION_OK {
			return nil, fail(st)
		}
	}
	var h *C.inception_trainer
	if st := C.inception_trainer_create(m.ptr, opts, &h); st != C.INCEPTION_OK {
		return nil, fail(st)
	}
	t := &Trainer{ptr: h, model: m}
	var k C.double
	C.inception_trainer_info_double(h, C.INCEPTION_TRAINER_CLASSES, &k)
	t.classes = int(k)
	runtime.SetFinalizer(t, (*Trainer).Close)
	return t, nil
}

// Close frees the trainer; safe to call twice.
func (t *Trainer) Close() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.ptr != nil {
		C.inception_trainer_free(t.ptr)
		t.ptr = nil
	}
	return nil
}

func (t *Trainer) enter(op string) error {
	t.mu.Lock()
	if t.ptr == nil {
		t.mu.Unlock()
		return goErr(op, ErrInvalidArgument, "trainer is closed")
	}
	return nil
}

func checkFeatures(op string, features []float32, labels []int32) (int, error) {
	if len(labels) == 0 || len(features) != len(labels)*2048 {
		return 0, goErr(op, ErrShape, "features must hold len(labels) x 2048 values (%d labels, %d values)",
			len(labels), len(features))
	}
	return len(labels), nil
}

// TrainFeatures runs one optimizer step on features [n x 2048] (row-major) and returns the
// batch's mean loss.
func (t *Trainer) TrainFeatures(features []float32, labels []int32) (float32, error) {
	n, err := checkFeatures("TrainFeatures", features, labels)
	if err != nil {
		return 0, err
	}
	if err := t.enter("TrainFeatures"); err != nil {
		return 0, err
	}
	defer t.mu.Unlock()
	var loss C.float
	st := C.incgo_train_features(t.ptr, C.int64_t(n), (*C.float)(unsafe.Pointer(&features[0])),
		(*C.int32_t)(unsafe.Pointer(&labels[0])), &loss, 0)
	if st != C.INCEPTION_OK {
		return 0, t.err("TrainFeatures", st)
	}
	return float32(loss), nil
}

func cPaths(paths []string) (**C.char, func()) {
	arr := C.malloc(C.size_t(len(paths)) * C.size_t(unsafe.Sizeof(uintptr(0))))
	view := unsafe.Slice((**C.char)(arr), len(paths))
	for i, p := range paths {
		view[i] = C.CString(p)
	}
	return (**C.char)(arr), func() {
		for i := range paths {
			C.free(unsafe.Pointer(view[i]))
		}
		C.free(arr)
	}
}

// TrainFiles runs one optimizer step on image files (unreadable ones are skipped and
// listed by Skipped).
func (t *Trainer) TrainFiles(paths []string, labels []int32) (float32, error) {
	if len(paths) == 0 || len(paths) != len(labels) {
		return 0, goErr("TrainFiles", ErrInvalidArgument, "need as many labels as paths (>= 1)")
	}
	for _, p := range paths {
		if strings.IndexByte(p, 0) >= 0 {
			return 0, goErr("TrainFiles", ErrInvalidArgument, "path %q contains a NUL byte", p)
		}
	}
	if err := t.enter("TrainFiles"); err != nil {
		return 0, err
	}
	defer t.mu.Unlock()
	arr, free := cPaths(paths)
	defer free()
	var loss C.float
	st := C.inception_trainer_train_files(t.ptr, arr, (*C.int32_t)(unsafe.Pointer(&labels[0])),
		C.int64_t(len(paths)), &loss)
	if st != C.INCEPTION_OK {
		return 0, t.err("TrainFiles", st)
	}
	return float32(loss), nil
}

// Step runs one optimizer step on the next batch of the Data setting's training split.
func (t *Trainer) Step() (float32, error) {
	if err := t.enter("Step"); err != nil {
		return 0, err
	}
	defer t.mu.Unlock()
	var loss C.float
	if st := C.inception_trainer_step(t.ptr, &loss); st != C.INCEPTION_OK {
		return 0, t.err("Step", st)
	}
	return float32(loss), nil
}

func (t *Trainer) info(key C.inception_trainer_info) float64 {
	var v C.double
	C.inception_trainer_info_double(t.ptr, key, &v)
	return float64(v)
}

func (t *Trainer) result(op string) (EvalResult, error) {
	k := t.classes
	conf := make([]int64, k*k)
	if st := C.inception_trainer_confusion(t.ptr, (*C.int64_t)(unsafe.Pointer(&conf[0])), C.size_t(k*k)); st != C.INCEPTION_OK {
		return EvalResult{}, t.err(op, st)
	}
	r := EvalResult{Count: int64(t.info(C.INCEPTION_TRAINER_EVAL_COUNT)), Loss: t.info(C.INCEPTION_TRAINER_EVAL_LOSS),
		Top1: t.info(C.INCEPTION_TRAINER_EVAL_TOP1), Top5: t.info(C.INCEPTION_TRAINER_EVAL_TOP5)}
	for i := 0; i < k; i++ {
		r.Confusion = append(r.Confusion, conf[i*k:(i+1)*k])
	}
	return r, nil
}

// EvaluateFeatures evaluates the averaged head on one batch of features.
func (t *Trainer) EvaluateFeatures(features []float32, labels []int32) (EvalResult, error) {
	n, err := checkFeatures("EvaluateFeatures", features, labels)
	if err != nil {
		return EvalResult{}, err
	}
	if err := t.enter("EvaluateFeatures"); err != nil {
		return EvalResult{}, err
	}
	defer t.mu.Unlock()
	C.inception_trainer_eval_reset(t.ptr)
	st := C.incgo_train_features(t.ptr, C.int64_t(n), (*C.float)(unsafe.Pointer(&features[0])),
		(*C.int32_t)(unsafe.Pointer(&labels[0])), nil, 1)
	if st != C.INCEPTION_OK {
		return EvalResult{}, t.err("EvaluateFeatures", st)
	}
	return t.result("EvaluateFeatures")
}

// EvaluateValidation evaluates the averaged head on the Data setting's validation split.
func (t *Trainer) EvaluateValidation() (EvalResult, error) {
	if err := t.enter("EvaluateValidation"); err != nil {
		return EvalResult{}, err
	}
	defer t.mu.Unlock()
	if st := C.inception_trainer_evaluate_validation(t.ptr); st != C.INCEPTION_OK {
		return EvalResult{}, t.err("EvaluateValidation", st)
	}
	return t.result("EvaluateValidation")
}

// Logits of the averaged head for features [n x 2048]: n x classes values.
func (t *Trainer) Logits(features []float32) ([]float32, error) {
	if len(features) == 0 || len(features)%2048 != 0 {
		return nil, goErr("Logits", ErrShape, "features must be n x 2048 values")
	}
	if err := t.enter("Logits"); err != nil {
		return nil, err
	}
	defer t.mu.Unlock()
	n := len(features) / 2048
	out := make([]float32, n*t.classes)
	st := C.incgo_train_logits(t.ptr, C.int64_t(n), (*C.float)(unsafe.Pointer(&features[0])),
		(*C.float)(unsafe.Pointer(&out[0])), C.size_t(len(out)))
	if st != C.INCEPTION_OK {
		return nil, t.err("Logits", st)
	}
	return out, nil
}

func (t *Trainer) pathCall(op, path string, f func(*C.inception_trainer, *C.char) C.inception_status) error {
	if err := t.enter(op); err != nil {
		return err
	}
	defer t.mu.Unlock()
	cs, err := cString(op, "path", path)
	if err != nil {
		return err
	}
	defer C.free(unsafe.Pointer(cs))
	if st := f(t.ptr, cs); st != C.INCEPTION_OK {
		return t.err(op, st)
	}
	return nil
}

// Save writes the model with the new head (loadable here and by torchvision's Inception3).
func (t *Trainer) Save(path string) error {
	return t.pathCall("Save", path, func(p *C.inception_trainer, s *C.char) C.inception_status {
		return C.inception_trainer_save(p, s)
	})
}

// Checkpoint writes everything needed to resume bit-identically.
func (t *Trainer) Checkpoint(path string) error {
	return t.pathCall("Checkpoint", path, func(p *C.inception_trainer, s *C.char) C.inception_status {
		return C.inception_trainer_checkpoint(p, s)
	})
}

// Resume restores a checkpoint made with the same model and settings.
func (t *Trainer) Resume(path string) error {
	return t.pathCall("Resume", path, func(p *C.inception_trainer, s *C.char) C.inception_status {
		return C.inception_trainer_resume(p, s)
	})
}

// Classes is the number of classes of the head.
func (t *Trainer) Classes() int { return t.classes }

// ScopeMemory is the bytes of the scope's activation and gradient buffers for the last batch
// shape (0 for scope fc); Trainable the trainable parameter count.
func (t *Trainer) ScopeMemory() int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.ptr == nil {
		return 0
	}
	return int64(t.info(C.INCEPTION_TRAINER_SCOPE_MEMORY))
}

func (t *Trainer) Trainable() int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.ptr == nil {
		return 0
	}
	return int64(t.info(C.INCEPTION_TRAINER_TRAINABLE))
}

// AuxActive reports whether the aux classifier's loss is part of training (before the
// first step: whether it is set up; after: whether the last step included it); AuxLoss
// is the last step's aux loss before weighting (0 when it was off).
func (t *Trainer) AuxActive() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.ptr == nil {
		return false
	}
	return t.info(C.INCEPTION_TRAINER_AUX_ACTIVE) != 0
}

func (t *Trainer) AuxLoss() float64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.ptr == nil {
		return 0
	}
	return t.info(C.INCEPTION_TRAINER_AUX_LOSS)
}

// StepsDone, StepsPerEpoch and LR report the trainer's counters.
func (t *Trainer) StepsDone() int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.ptr == nil {
		return 0
	}
	return int64(t.info(C.INCEPTION_TRAINER_STEP))
}

func (t *Trainer) StepsPerEpoch() int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.ptr == nil {
		return 0
	}
	return int64(t.info(C.INCEPTION_TRAINER_STEPS_PER_EPOCH))
}

func (t *Trainer) LR() float64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.ptr == nil {
		return 0
	}
	return t.info(C.INCEPTION_TRAINER_LR)
}

// Skipped lists the images skipped as unreadable, with the reason.
func (t *Trainer) Skipped() [][2]string {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out [][2]string
	if t.ptr == nil {
		return out
	}
	n := int(t.info(C.INCEPTION_TRAINER_SKIPPED))
	for i := 0; i < n; i++ {
		var p, r *C.char
		if C.inception_trainer_skipped(t.ptr, C.int64_t(i), &p, &r) == C.INCEPTION_OK {
			out = append(out, [2]string{C.GoString(p), C.GoString(r)})
		}
	}
	return out
}
