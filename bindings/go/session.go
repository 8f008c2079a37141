package inception

// #include "helpers.h"
import "C"

import (
	"math"
	"runtime"
	"sort"
	"sync"
	"unsafe"
)

// Output selects what a session keeps from each run (a bitmask).
type Output int

const (
	OutputLogits        Output = 1 // [N, classes]
	OutputProbabilities Output = 2 // [N, classes], softmax of the logits
	OutputFeatures      Output = 4 // [N, 2048], pooled features before the classifier
	OutputAuxLogits     Output = 8 // [N, classes], needs a model with the aux head
	// DefaultOutputs is what a session keeps unless told otherwise.
	DefaultOutputs = OutputLogits | OutputProbabilities | OutputFeatures
)

// SessionOptions configure a session; the zero value (or nil) keeps every default.
type SessionOptions struct {
	Threads int    // worker threads; 0: online cores
	Outputs Output // 0: DefaultOutputs
	Profile bool   // time every layer; read with Profile()
}

// Prediction is one of the top-k classes.
type Prediction struct {
	Class       int
	Label       string
	Probability float32
}

// Result holds copies of the outputs of one run; outputs the session does not keep are
// zero Tensors.
type Result struct {
	Logits, Probabilities, Features, AuxLogits Tensor
}

// LayerProfile is one layer's figures from a profiling session.
type LayerProfile struct {
	Name         string // torchvision module name
	Kind         string // "conv3x3", "fc", "maxpool", ...
	MACs         int64  // multiply-adds for the whole batch
	Milliseconds float64
}

// Session runs a model. It owns activation memory and worker threads; its methods lock it,
// so concurrent calls on one Session are serialised. Use one Session per goroutine (or a
// SessionPool) to run in parallel.
type Session struct {
	mu       sync.Mutex
	ptr      *C.inception_session
	mptr     *C.inception_model // kept alive by the session's own reference
	outputs  Output
	classes  int64
	features int64
	inputH   int64 // input size of the model's preprocessing
	inputW   int64
}

// NewSession creates a session over the model. opts may be nil.
func (m *Model) NewSession(opts *SessionOptions) (*Session, error) {
	o := unset()
	outputs := DefaultOutputs
	if opts != nil {
		if opts.Threads < 0 {
			return nil, goErr("NewSession", ErrInvalidArgument, "Threads = %d is negative", opts.Threads)
		}
		o.threads = int64(opts.Threads)
		if opts.Outputs != 0 {
			outputs = opts.Outputs
			o.outputs = int64(opts.Outputs)
		}
		if opts.Profile {
			o.profile = 1
		}
	}
	info, err := m.Info()
	if err != nil {
		return nil, err
	}
	copts, free, err := o.build("NewSession")
	if err != nil {
		return nil, err
	}
	if free != nil {
		defer free()
	}
	s := &Session{outputs: outputs, classes: int64(info.Classes), features: int64(info.Features),
		inputH: int64(info.InputHeight), inputW: int64(info.InputWidth)}
	err = m.use("NewSession", func(p *C.inception_model) error {
		s.mptr = p
		return call("NewSession", func() C.inception_status {
			return C.inception_session_create(p, copts, &s.ptr)
		})
	})
	if err != nil {
		return nil, err
	}
	runtime.SetFinalizer(s, (*Session).Close)
	return s, nil
}

// Close frees the session. Safe to call more than once.
func (s *Session) Close() error {
	if s == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ptr != nil {
		C.inception_session_free(s.ptr)
		s.ptr = nil
		runtime.SetFinalizer(s, nil)
	}
	return nil
}

func (s *Session) lock(op string) error {
	if s == nil {
		return goErr(op, ErrInvalidArgument, "session is nil")
	}
	s.mu.Lock()
	if s.ptr == nil {
		s.mu.Unlock()
		return goErr(op, ErrInvalidArgument, "session is closed")
	}
	return nil
}

func (s *Session) unlock() {
	s.mu.Unlock()
	runtime.KeepAlive(s)
}

// check turns a status from a call on this session into an error carrying its message.
func (s *Session) check(op string, st C.inception_status) error {
	if st == C.INCEPTION_OK {
		return nil
	}
	return newError(op, st, C.GoString(C.inception_session_last_error(s.ptr)))
}

func (s *Session) run(op string, in Tensor) error {
	if err := checkTensor(op, in); err != nil {
		return err
	}
	// in.Data is passed for the duration of this call only (wrap, run, free inside C).
	var eb errBuf
	ep, en := eb.ptr()
	return eb.err(op, C.incgo_run(s.ptr, C.int(in.Layout), C.int64_t(in.Shape[0]),
		C.int64_t(in.Shape[1]), C.int64_t(in.Shape[2]), C.int64_t(in.Shape[3]),
		(*C.float)(unsafe.Pointer(&in.Data[0])), C.size_t(4*len(in.Data)), ep, en))
}

func (s *Session) width(which Output) int64 {
	if which == OutputFeatures {
		return s.features
	}
	return s.classes
}

// output copies one output of the last run into dst (or a new slice if dst is nil).
func (s *Session) output(op string, which Output, batch int64, dst []float32) (Tensor, error) {
	n := batch * s.width(which)
	if dst == nil {
		dst = make([]float32, n)
	}
	var dims [2]C.int64_t
	var p *C.float
	if len(dst) > 0 {
		p = (*C.float)(unsafe.Pointer(&dst[0]))
	}
	var eb errBuf
	ep, en := eb.ptr()
	if st := C.incgo_output(s.ptr, C.int(which), p, C.size_t(len(dst)), &dims[0], ep, en); st != C.INCEPTION_OK {
		return Tensor{}, eb.err(op, st)
	}
	rows, cols := int64(dims[0]), int64(dims[1])
	return Tensor{Shape: []int64{rows, cols}, Layout: NC, Data: dst[:rows*cols]}, nil
}

// Run runs the network on in (float32 NCHW [N,3,H,W] or NHWC [N,H,W,3], H and W >= 75,
// normalised as the model expects; see Model.Preprocess) and returns copies of the outputs
// the session keeps. in.Data is read in place, not copied.
func (s *Session) Run(in Tensor) (*Result, error) {
	if err := s.lock("Run"); err != nil {
		return nil, err
	}
	defer s.unlock()
	if err := s.run("Run", in); err != nil {
		return nil, err
	}
	r := &Result{}
	for _, o := range []struct {
		which Output
		dst   *Tensor
	}{{OutputLogits, &r.Logits}, {OutputProbabilities, &r.Probabilities},
		{OutputFeatures, &r.Features}, {OutputAuxLogits, &r.AuxLogits}} {
		if s.outputs&o.which == 0 {
			continue
		}
		t, err := s.output("Run", o.which, in.Shape[0], nil)
		if err != nil {
			return nil, err
		}
		*o.dst = t
	}
	return r, nil
}

func (s *Session) runOne(op string, which Output, in Tensor, dst []float32) (Tensor, error) {
	if err := s.lock(op); err != nil {
		return Tensor{}, err
	}
	defer s.unlock()
	if err := s.run(op, in); err != nil {
		return Tensor{}, err
	}
	return s.output(op, which, in.Shape[0], dst)
}

// Logits runs and returns the logits [N, classes].
func (s *Session) Logits(in Tensor) (Tensor, error) { return s.runOne("Logits", OutputLogits, in, nil) }

// Probabilities runs and returns the softmax probabilities [N, classes].
func (s *Session) Probabilities(in Tensor) (Tensor, error) {
	return s.runOne("Probabilities", OutputProbabilities, in, nil)
}

// Features runs and returns the pooled features [N, 2048] (embeddings).
func (s *Session) Features(in Tensor) (Tensor, error) {
	return s.runOne("Features", OutputFeatures, in, nil)
}

// RunInto runs and copies one output straight into dst (no allocation); the returned
// Tensor's Data aliases dst.
func (s *Session) RunInto(in Tensor, which Output, dst []float32) (Tensor, error) {
	if dst == nil {
		return Tensor{}, goErr("RunInto", ErrInvalidArgument, "dst is nil")
	}
	return s.runOne("RunInto", which, in, dst)
}

// Output returns a copy of an output of the last run. ErrNotReady before a run,
// ErrNotFound if the session does not keep it.
func (s *Session) Output(which Output) (Tensor, error) {
	if err := s.lock("Output"); err != nil {
		return Tensor{}, err
	}
	defer s.unlock()
	var dims [2]C.int64_t
	var eb errBuf
	ep, en := eb.ptr()
	// A first call with no room learns the shape.
	if st := C.incgo_output(s.ptr, C.int(which), nil, 0, &dims[0], ep, en); st != C.INCEPTION_ERR_BUFFER_TOO_SMALL {
		return Tensor{}, eb.err("Output", st)
	}
	return s.output("Output", which, int64(dims[0]), nil)
}

// predictions attaches labels ("" for a model without labels) to top-k results.
func (s *Session) predictions(classes []int32, probs []float32) ([]Prediction, error) {
	out := make([]Prediction, len(classes))
	for i, c := range classes {
		label, err := labelOf(s.mptr, int64(c), s.classes)
		if err != nil {
			return nil, err
		}
		out[i] = Prediction{Class: int(c), Label: label, Probability: probs[i]}
	}
	return out, nil
}

// clampK: a k above the classes is the classes, before anything is allocated from it (and
// before it is narrowed to C's int32_t, which would wrap a k of 1<<32 + 3 to 3).
func (s *Session) clampK(op string, k int) (int, error) {
	if k < 1 {
		return 0, goErr(op, ErrInvalidArgument, "k = %d is below 1", k)
	}
	limit := s.classes
	if limit < 1 {
		limit = 1 // no fc (0 classes): k = 1, and C answers ErrUnsupported
	}
	if int64(k) > limit {
		k = int(limit)
	}
	return k, nil
}

func (s *Session) classify(op string, k int, f func(k C.int32_t, c *C.int32_t, p *C.float, n *C.int32_t) C.inception_status) ([]Prediction, error) {
	if err := s.lock(op); err != nil {
		return nil, err
	}
	defer s.unlock()
	k, err := s.clampK(op, k)
	if err != nil {
		return nil, err
	}
	classes := make([]int32, k)
	probs := make([]float32, k)
	var n C.int32_t
	if err := s.check(op, f(C.int32_t(k), (*C.int32_t)(unsafe.Pointer(&classes[0])), (*C.float)(unsafe.Pointer(&probs[0])), &n)); err != nil {
		return nil, err
	}
	return s.predictions(classes[:n], probs[:n])
}

// Classify returns the k most probable classes of an encoded JPEG or PNG (read in place),
// best first. A k above the model's classes gives all classes.
func (s *Session) Classify(data []byte, k int) ([]Prediction, error) {
	if len(data) == 0 {
		return nil, goErr("Classify", ErrImage, "no data")
	}
	return s.classify("Classify", k, func(k C.int32_t, c *C.int32_t, p *C.float, n *C.int32_t) C.inception_status {
		return C.inception_session_classify(s.ptr, unsafe.Pointer(&data[0]), C.size_t(len(data)), k, c, p, n)
	})
}

// ClassifyFile returns the k most probable classes of a JPEG or PNG file, best first. A k
// above the model's classes gives all classes. For a missing file errors.Is(err,
// fs.ErrNotExist) is true, as is errors.Is(err, ErrIO).
func (s *Session) ClassifyFile(path string, k int) ([]Prediction, error) {
	cpath, err := cString("ClassifyFile", "path", path)
	if err != nil {
		return nil, err
	}
	defer C.free(unsafe.Pointer(cpath))
	p, err := s.classify("ClassifyFile", k, func(k C.int32_t, c *C.int32_t, p *C.float, n *C.int32_t) C.inception_status {
		return C.inception_session_classify_file(s.ptr, cpath, k, c, p, n)
	})
	return p, withPaths(err, path)
}

// ClassifyTensor runs an input batch and returns the top-k classes of each image. Ties keep
// the lower class index, as the C library does.
func (s *Session) ClassifyTensor(in Tensor, k int) ([][]Prediction, error) {
	if err := s.lock("ClassifyTensor"); err != nil {
		return nil, err
	}
	defer s.unlock()
	k, err := s.clampK("ClassifyTensor", k)
	if err != nil {
		return nil, err
	}
	if err := s.run("ClassifyTensor", in); err != nil {
		return nil, err
	}
	var probs Tensor
	switch {
	case s.outputs&OutputProbabilities != 0:
		probs, err = s.output("ClassifyTensor", OutputProbabilities, in.Shape[0], nil)
	case s.outputs&OutputLogits != 0:
		probs, err = s.output("ClassifyTensor", OutputLogits, in.Shape[0], nil)
		for i := int64(0); err == nil && i < probs.Shape[0]; i++ {
			softmax(probs.Row(int(i)))
		}
	default:
		err = goErr("ClassifyTensor", ErrUnsupported, "the session keeps neither logits nor probabilities")
	}
	if err != nil {
		return nil, err
	}
	out := make([][]Prediction, probs.Shape[0])
	for i := range out {
		row := probs.Row(i)
		idx := topK(row, k)
		p := make([]float32, len(idx))
		c := make([]int32, len(idx))
		for j, x := range idx {
			c[j], p[j] = int32(x), row[x]
		}
		if out[i], err = s.predictions(c, p); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// ClassifyImages preprocesses decoded images into one batch, runs it and returns the top-k
// classes of each. Images are used at the size they were decoded, so for JPEGs the figures
// may differ in the last digits from Classify, which lets the decoder downscale.
func (s *Session) ClassifyImages(m *Model, k int, images ...*Image) ([][]Prediction, error) {
	in, err := m.Preprocess(images...)
	if err != nil {
		return nil, err
	}
	return s.ClassifyTensor(in, k)
}

// Embed preprocesses decoded images into one batch and returns their features [N, 2048].
// For many images use EmbedFiles or EmbedEach, which run them in bounded batches.
func (s *Session) Embed(m *Model, images ...*Image) (Tensor, error) {
	in, err := m.Preprocess(images...)
	if err != nil {
		return Tensor{}, err
	}
	return s.Features(in)
}

// Memory returns the bytes of activation and scratch memory held for the last input shape.
func (s *Session) Memory() (int64, error) {
	if err := s.lock("Memory"); err != nil {
		return 0, err
	}
	defer s.unlock()
	var v C.int64_t
	err := s.check("Memory", C.inception_session_memory(s.ptr, &v))
	return int64(v), err
}

// LastError returns the message of the session's last failure ("" if none).
func (s *Session) LastError() string {
	if err := s.lock("LastError"); err != nil {
		return ""
	}
	defer s.unlock()
	return C.GoString(C.inception_session_last_error(s.ptr))
}

// Profile returns per-layer figures of the last run of a session made with Profile: true.
func (s *Session) Profile() ([]LayerProfile, error) {
	if err := s.lock("Profile"); err != nil {
		return nil, err
	}
	defer s.unlock()
	var out []LayerProfile
	for i := 0; ; i++ {
		var name, kind *C.char
		var macs C.int64_t
		var ms C.double
		st := C.inception_session_profile(s.ptr, C.int32_t(i), &name, &kind, &macs, &ms)
		if st == C.INCEPTION_ERR_NOT_FOUND {
			return out, nil
		}
		if err := s.check("Profile", st); err != nil {
			return nil, err
		}
		out = append(out, LayerProfile{C.GoString(name), C.GoString(kind), int64(macs), float64(ms)})
	}
}

func topK(p []float32, k int) []int {
	idx := make([]int, len(p))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return p[idx[a]] > p[idx[b]] })
	if k < len(idx) {
		idx = idx[:k]
	}
	return idx
}

func softmax(v []float32) {
	mx := v[0]
	for _, x := range v {
		if x > mx {
			mx = x
		}
	}
	sum := 0.0
	for i, x := range v {
		e := math.Exp(float64(x - mx))
		v[i] = float32(e)
		sum += e
	}
	for i := range v {
		v[i] = float32(float64(v[i]) / sum)
	}
}
