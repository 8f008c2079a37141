package inception

// The paper's evaluation protocols (docs/paper.md): multi-crop sessions (Table 4),
// ensembles (Table 5) and class activation maps.

/*
#include <stdio.h>
#include <string.h>

#include "helpers.h"

// Session-create options for the paper calls; a negative value is left unset. The message
// of a failure is copied to err in the same cgo call.
static inception_status incgo_paper_options(inception_options **out, int64_t threads,
                                            int64_t outputs, int64_t crops, int64_t average,
                                            int64_t batch, char *err, size_t errsize) {
    inception_options *o = NULL;
    inception_status st = inception_options_create(&o);
    const struct { inception_option key; int64_t v; } kv[] = {
        {INCEPTION_OPT_THREADS, threads}, {INCEPTION_OPT_OUTPUTS, outputs},
        {INCEPTION_OPT_CROPS, crops}, {INCEPTION_OPT_CROP_AVERAGE, average},
        {INCEPTION_OPT_CROP_BATCH, batch}};
    for (size_t i = 0; st == INCEPTION_OK && i < sizeof kv / sizeof kv[0]; i++)
        if (kv[i].v >= 0) st = inception_options_set_int(o, kv[i].key, kv[i].v);
    if (st != INCEPTION_OK) {
        snprintf(err, errsize, "%s", inception_last_error());
        inception_options_free(o);
        return st;
    }
    *out = o;
    return st;
}

// Create an ensemble; the message of a failure is copied to err in the same call.
static inception_status incgo_ensemble_create(inception_model **models, int32_t n,
                                              const inception_options *o,
                                              inception_ensemble **out, char *err,
                                              size_t errsize) {
    inception_status st = inception_ensemble_create((const inception_model *const *)models, n,
                                                    o, out);
    if (st != INCEPTION_OK) snprintf(err, errsize, "%s", inception_last_error());
    return st;
}
*/
import "C"

import (
	"runtime"
	"sync"
	"unsafe"
)

// OutputFeatureMap keeps Mixed_7c's output before global pooling, NHWC [N, H', W', 2048]
// (8x8 at 299): what Session.CAM reads.
const OutputFeatureMap Output = 16

// CropOptions select multi-crop evaluation (docs/paper.md describes every crop).
type CropOptions struct {
	Crops   int    // 1 (the default), 10, 12 or 144
	Average string // "" or "probabilities" (default), "logits"
	Batch   int    // crops per network run; 0: the library's default (8)
}

func (c CropOptions) ints(op string) (crops, average, batch int64, err error) {
	crops, average, batch = -1, -1, -1
	if c.Crops != 0 {
		crops = int64(c.Crops)
	}
	switch c.Average {
	case "":
	case "probabilities":
		average = 0
	case "logits":
		average = 1
	default:
		return 0, 0, 0, goErr(op, ErrInvalidArgument, "Average must be \"probabilities\" or \"logits\", got %q", c.Average)
	}
	if c.Batch != 0 {
		batch = int64(c.Batch)
	}
	return crops, average, batch, nil
}

func paperOptions(op string, threads int, outputs Output, c CropOptions) (*C.inception_options, error) {
	crops, average, batch, err := c.ints(op)
	if err != nil {
		return nil, err
	}
	if threads < 0 {
		return nil, goErr(op, ErrInvalidArgument, "Threads = %d is negative", threads)
	}
	out := int64(-1)
	if outputs != 0 {
		out = int64(outputs)
	}
	var h *C.inception_options
	var eb errBuf
	ep, en := eb.ptr()
	if st := C.incgo_paper_options(&h, C.int64_t(threads), C.int64_t(out), C.int64_t(crops),
		C.int64_t(average), C.int64_t(batch), ep, en); st != C.INCEPTION_OK {
		return nil, eb.err(op, st)
	}
	return h, nil
}

// NewCropSession is NewSession whose Classify and ClassifyFile average crops.Crops crops
// of each image (paper Table 4). opts may be nil.
func (m *Model) NewCropSession(opts *SessionOptions, crops CropOptions) (*Session, error) {
	var so SessionOptions
	if opts != nil {
		so = *opts
	}
	if so.Profile {
		return nil, goErr("NewCropSession", ErrInvalidArgument, "Profile is not offered with crops")
	}
	outputs := so.Outputs
	if outputs == 0 {
		outputs = DefaultOutputs
	}
	copts, err := paperOptions("NewCropSession", so.Threads, outputs, crops)
	if err != nil {
		return nil, err
	}
	defer C.inception_options_free(copts)
	info, err := m.Info()
	if err != nil {
		return nil, err
	}
	s := &Session{outputs: outputs, classes: int64(info.Classes), features: int64(info.Features)}
	err = m.use("NewCropSession", func(p *C.inception_model) error {
		s.mptr = p
		return call("NewCropSession", func() C.inception_status {
			return C.inception_session_create(p, copts, &s.ptr)
		})
	})
	if err != nil {
		return nil, err
	}
	runtime.SetFinalizer(s, (*Session).Close)
	return s, nil
}

// CAM is the class activation map of class for image `image` of the last run, [H', W']
// row-major: sum over c of w[class][c] * F[y][x][c]; its mean plus the fc bias is the
// class's logit. The session needs OutputFeatureMap among its outputs.
func (s *Session) CAM(image, class int) (Tensor, error) {
	if err := s.lock("CAM"); err != nil {
		return Tensor{}, err
	}
	defer s.unlock()
	var t *C.inception_tensor
	if err := s.check("CAM", C.inception_session_cam(s.ptr, C.int64_t(image), C.int64_t(class), &t)); err != nil {
		return Tensor{}, err
	}
	defer C.inception_tensor_free(t)
	h, w := int64(C.inception_tensor_dim(t, 1)), int64(C.inception_tensor_dim(t, 2))
	data := make([]float32, h*w)
	if h*w > 0 {
		C.memcpy(unsafe.Pointer(&data[0]), C.inception_tensor_data(t), C.size_t(4*h*w))
	}
	return Tensor{Shape: []int64{h, w}, Layout: NC, Data: data}, nil
}

// Ensemble classifies with several models (paper Table 5): each model's probabilities,
// averaged over its crops first, are averaged with equal weight. Each model keeps its own
// preset and normalisation; all must share the class space (else ErrModelMismatch). It
// holds one session per model; its methods lock it, so use one Ensemble per goroutine to
// run in parallel (the Models can be shared).
type Ensemble struct {
	mu    sync.Mutex
	ptr   *C.inception_ensemble
	first *C.inception_model // kept alive by the ensemble's own reference
}

// EnsembleOptions configure an ensemble; nil keeps every default.
type EnsembleOptions struct {
	Threads int // worker threads per member session; 0: online cores
	Crops   CropOptions
}

// NewEnsemble makes an ensemble of models (1 to 64).
func NewEnsemble(models []*Model, opts *EnsembleOptions) (*Ensemble, error) {
	var eo EnsembleOptions
	if opts != nil {
		eo = *opts
	}
	if len(models) == 0 {
		return nil, goErr("NewEnsemble", ErrInvalidArgument, "no models")
	}
	copts, err := paperOptions("NewEnsemble", eo.Threads, 0, eo.Crops)
	if err != nil {
		return nil, err
	}
	defer C.inception_options_free(copts)
	ptrs := (*[64]*C.inception_model)(C.malloc(C.size_t(64 * unsafe.Sizeof((*C.inception_model)(nil)))))
	defer C.free(unsafe.Pointer(ptrs))
	if len(models) > 64 {
		return nil, goErr("NewEnsemble", ErrInvalidArgument, "%d models; at most 64", len(models))
	}
	locked := map[*Model]bool{} // read-lock each model once, even if listed twice
	for i, m := range models {
		if m == nil {
			return nil, goErr("NewEnsemble", ErrInvalidArgument, "model %d is nil", i)
		}
		if !locked[m] {
			locked[m] = true
			m.mu.RLock()
			defer m.mu.RUnlock()
		}
		if m.ptr == nil {
			return nil, goErr("NewEnsemble", ErrInvalidArgument, "model %d is closed", i)
		}
		ptrs[i] = m.ptr
	}
	e := &Ensemble{first: ptrs[0]}
	var eb errBuf
	ep, en := eb.ptr()
	if st := C.incgo_ensemble_create(&ptrs[0], C.int32_t(len(models)), copts, &e.ptr, ep, en); st != C.INCEPTION_OK {
		return nil, eb.err("NewEnsemble", st)
	}
	runtime.SetFinalizer(e, (*Ensemble).Close)
	return e, nil
}

// Close frees the ensemble. Safe to call more than once.
func (e *Ensemble) Close() error {
	if e == nil {
		return nil
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.ptr != nil {
		C.inception_ensemble_free(e.ptr)
		e.ptr = nil
		runtime.SetFinalizer(e, nil)
	}
	return nil
}

func (e *Ensemble) classify(op string, k int, f func(c *C.int32_t, p *C.float, n *C.int32_t) C.inception_status) ([]Prediction, error) {
	if k < 1 {
		return nil, goErr(op, ErrInvalidArgument, "k = %d is below 1", k)
	}
	e.mu.Lock()
	defer func() { e.mu.Unlock(); runtime.KeepAlive(e) }()
	if e.ptr == nil {
		return nil, goErr(op, ErrInvalidArgument, "ensemble is closed")
	}
	classes := make([]int32, k)
	probs := make([]float32, k)
	var n C.int32_t
	if st := f((*C.int32_t)(unsafe.Pointer(&classes[0])), (*C.float)(unsafe.Pointer(&probs[0])), &n); st != C.INCEPTION_OK {
		return nil, newError(op, st, C.GoString(C.inception_ensemble_last_error(e.ptr)))
	}
	out := make([]Prediction, int(n))
	for i := range out {
		var label *C.char
		l := ""
		if C.inception_model_label(e.first, C.int64_t(classes[i]), &label) == C.INCEPTION_OK {
			l = C.GoString(label)
		}
		out[i] = Prediction{Class: int(classes[i]), Label: l, Probability: probs[i]}
	}
	return out, nil
}

// ClassifyFile returns the k most probable classes of a JPEG or PNG file, best first.
func (e *Ensemble) ClassifyFile(path string, k int) ([]Prediction, error) {
	cpath, err := cString("Ensemble.ClassifyFile", "path", path)
	if err != nil {
		return nil, err
	}
	defer C.free(unsafe.Pointer(cpath))
	return e.classify("Ensemble.ClassifyFile", k, func(c *C.int32_t, p *C.float, n *C.int32_t) C.inception_status {
		return C.inception_ensemble_classify_file(e.ptr, cpath, C.int32_t(k), c, p, n)
	})
}

// Classify returns the k most probable classes of an encoded JPEG or PNG (read in place).
func (e *Ensemble) Classify(data []byte, k int) ([]Prediction, error) {
	if len(data) == 0 {
		return nil, goErr("Ensemble.Classify", ErrImage, "no data")
	}
	return e.classify("Ensemble.Classify", k, func(c *C.int32_t, p *C.float, n *C.int32_t) C.inception_status {
		return C.inception_ensemble_classify(e.ptr, unsafe.Pointer(&data[0]), C.size_t(len(data)), C.int32_t(k), c, p, n)
	})
}
