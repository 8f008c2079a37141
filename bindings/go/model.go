package inception

// #include "helpers.h"
import "C"

import (
	"errors"
	"runtime"
	"sync"
	"unsafe"
)

// ModelOptions override how a model loads; the zero value (or nil) keeps every default.
type ModelOptions struct {
	Backend        string // "" or "auto": best for this CPU; "ref", "simd", or a registered name
	Preset         string // "": the file's; or "torchvision", "timm", "tf"
	PoolIncludePad *bool  // nil: the file's rule for average-pool borders
	LabelOffset    *int   // nil: the file's (1 for 1001-class weights with a background class)
	SkipChecksum   bool   // skip the inception.crc32 check
	// Labels is the path of a labels file (one label per line, or a JSON list of strings)
	// used instead of the file's labels; needs libinception 1.1. A model without labels
	// still classifies: its Predictions have Label "".
	Labels string
	// Precision: "" or "auto" (int8 iff the file is quantised), "float" or "int8";
	// Calibration: a calibration record (Calibrate) quantising a float file at load.
	Precision, Calibration string
	// WeightBits: the weight range when Calibration quantises at load: 0 or 8 (default,
	// [-127, 127]) or 7 ([-64, 64]: faster on AVX2, less accurate; docs/int8.md).
	WeightBits int
}

func (o *ModelOptions) options() options {
	op := unset()
	if o == nil {
		return op
	}
	op.backend, op.preset, op.labels = o.Backend, o.Preset, o.Labels
	op.precision, op.calibration = o.Precision, o.Calibration
	if o.WeightBits != 0 {
		op.ints = append(op.ints, intOption{optWeightBits, int64(o.WeightBits)})
	}
	op.poolIncludePad = boolInt(o.PoolIncludePad)
	if o.LabelOffset != nil {
		op.labelOffset = int64(*o.LabelOffset)
	}
	if o.SkipChecksum {
		op.skipChecksum = 1
	}
	return op
}

// Model is a loaded Inception-v3 network: immutable, safe for concurrent use by any number
// of goroutines. Sessions keep their own reference, so closing the Model while sessions
// exist is fine.
type Model struct {
	mu       sync.RWMutex // Close waits for calls in flight
	ptr      *C.inception_model
	labelsMu sync.Mutex
	labels   []string
}

func newModel(op string, load func(opts *C.inception_options, out **C.inception_model) C.inception_status,
	o *ModelOptions) (*Model, error) {
	if err := CheckVersion(); err != nil {
		return nil, err
	}
	opts, free, err := o.options().build(op)
	if err != nil {
		return nil, err
	}
	if free != nil {
		defer free()
	}
	var h *C.inception_model
	if err := call(op, func() C.inception_status { return load(opts, &h) }); err != nil {
		return nil, err
	}
	m := &Model{ptr: h}
	runtime.SetFinalizer(m, (*Model).Close)
	return m, nil
}

// LoadModel loads a safetensors model file. opts may be nil. For a missing file (the model
// or the labels file), errors.Is(err, fs.ErrNotExist) is true, as is errors.Is(err, ErrIO).
func LoadModel(path string, opts *ModelOptions) (*Model, error) {
	cpath, err := cString("LoadModel", "path", path)
	if err != nil {
		return nil, err
	}
	defer C.free(unsafe.Pointer(cpath))
	m, err := newModel("LoadModel", func(o *C.inception_options, out **C.inception_model) C.inception_status {
		return C.inception_model_load_file(cpath, o, out)
	}, opts)
	return m, withPaths(err, path, opts.labelsPath())
}

func (o *ModelOptions) labelsPath() string {
	if o == nil {
		return ""
	}
	return o.Labels
}

// LoadModelBytes loads a model from memory. data is read in place during the call and not
// kept afterwards.
func LoadModelBytes(data []byte, opts *ModelOptions) (*Model, error) {
	if len(data) == 0 {
		return nil, goErr("LoadModelBytes", ErrFormat, "no data")
	}
	m, err := newModel("LoadModelBytes", func(o *C.inception_options, out **C.inception_model) C.inception_status {
		return C.inception_model_load_memory(unsafe.Pointer(&data[0]), C.size_t(len(data)), o, out)
	}, opts)
	return m, withPaths(err, opts.labelsPath())
}

// Close releases the model. Safe to call more than once.
func (m *Model) Close() error {
	if m == nil {
		return nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.ptr != nil {
		C.inception_model_free(m.ptr)
		m.ptr = nil
		runtime.SetFinalizer(m, nil)
	}
	return nil
}

// use runs f with the model pointer, holding off Close meanwhile.
func (m *Model) use(op string, f func(p *C.inception_model) error) error {
	if m == nil {
		return goErr(op, ErrInvalidArgument, "model is nil")
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.ptr == nil {
		return goErr(op, ErrInvalidArgument, "model is closed")
	}
	err := f(m.ptr)
	runtime.KeepAlive(m)
	return err
}

// ModelInfo is everything a model reports about itself.
type ModelInfo struct {
	Classes        int    // classifier width (1000 or 1001)
	LabelOffset    int    // 1 when class 0 is a background class
	InputHeight    int    // input size the preprocessing produces
	InputWidth     int    //
	Parameters     int64  // parameters used for inference
	HasAux         bool   // the file carries the aux head
	Features       int    // 2048
	PoolIncludePad bool   //
	BNHasGamma     bool   //
	CRC32          uint32 // of the data section
	HasLabels      bool   // labels came from the file's metadata
	MinInputSize   int    // 75 (39 for stem 151, 21 for stem 79)
	Synthetic      bool   // generated weights: labels mean nothing
	Stem           int    // receptive-field stem: 299, 151 or 79 (paper Table 2)
	StemConv       int    // 3: three 3x3 first convolutions (v3); 7: one 7x7 (v2)
	AuxBN          bool   // the aux head's fc output is batch-normalised
	Architecture   string // e.g. "stem=299 stem_conv=3x3 aux=plain"
	Backend        string // backend the weights were packed for
	Preset         string // "torchvision", "timm" or "tf"
	Normalization  string // e.g. "mean=0.5,0.5,0.5 std=0.5,0.5,0.5"
	Name           string // inception.name from the metadata, or ""
}

// Info returns the model's configuration.
func (m *Model) Info() (ModelInfo, error) {
	var mi ModelInfo
	err := m.use("Info", func(p *C.inception_model) error {
		ints := make([]int64, 33)
		for _, key := range []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 30, 31, 32} {
			var v C.int64_t
			if err := call("Info", func() C.inception_status {
				return C.inception_model_info_int(p, C.inception_model_info(key), &v)
			}); err != nil {
				return err
			}
			ints[key] = int64(v)
		}
		strs := make([]string, 11)
		for _, key := range []int{1, 2, 3, 4, 10} {
			var s *C.char
			if err := call("Info", func() C.inception_status {
				return C.inception_model_info_string(p, C.inception_model_info_str(key), &s)
			}); err != nil {
				return err
			}
			strs[key] = C.GoString(s)
		}
		mi = ModelInfo{Classes: int(ints[1]), LabelOffset: int(ints[2]), InputHeight: int(ints[3]),
			InputWidth: int(ints[4]), Parameters: ints[5], HasAux: ints[6] != 0,
			Features: int(ints[7]), PoolIncludePad: ints[8] != 0, BNHasGamma: ints[9] != 0,
			CRC32: uint32(ints[10]), HasLabels: ints[11] != 0, MinInputSize: int(ints[12]),
			Synthetic: ints[13] != 0, Backend: strs[1], Preset: strs[2],
			Normalization: strs[3], Name: strs[4], Stem: int(ints[30]), StemConv: int(ints[31]),
			AuxBN: ints[32] != 0, Architecture: strs[10]}
		return nil
	})
	return mi, err
}

// Label returns the human-readable label of a class index in [0, Classes), or "" if the
// model has no labels (none in its metadata, no Labels file, not an ImageNet-1k head).
// ErrNotFound for an index outside [0, Classes).
func (m *Model) Label(class int) (string, error) {
	var label string
	err := m.use("Label", func(p *C.inception_model) error {
		var classes C.int64_t
		if err := call("Label", func() C.inception_status {
			return C.inception_model_info_int(p, C.INCEPTION_INFO_CLASSES, &classes)
		}); err != nil {
			return err
		}
		var e error
		label, e = labelOf(p, int64(class), int64(classes))
		return e
	})
	return label, err
}

// labelOf is a class's label, or "" for a class of a model without labels: the C call says
// NOT_FOUND for those as for an index out of range, so the range tells them apart.
func labelOf(p *C.inception_model, class, classes int64) (string, error) {
	var s *C.char
	err := call("Label", func() C.inception_status {
		return C.inception_model_label(p, C.int64_t(class), &s)
	})
	if errors.Is(err, ErrNotFound) && class >= 0 && class < classes {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return C.GoString(s), nil
}

// Labels returns every label, indexed by class (computed once, shared: do not modify);
// entries are "" for a model without labels.
func (m *Model) Labels() ([]string, error) {
	if m == nil {
		return nil, goErr("Labels", ErrInvalidArgument, "model is nil")
	}
	m.labelsMu.Lock()
	defer m.labelsMu.Unlock()
	if m.labels != nil {
		return m.labels, nil
	}
	info, err := m.Info()
	if err != nil {
		return nil, err
	}
	labels := make([]string, info.Classes)
	for i := range labels {
		if labels[i], err = m.Label(i); err != nil {
			return nil, err
		}
	}
	m.labels = labels
	return labels, nil
}

// NewInput returns a zeroed input tensor of the model's input size for batch images.
func (m *Model) NewInput(batch int, layout Layout) (Tensor, error) {
	info, err := m.Info()
	if err != nil {
		return Tensor{}, err
	}
	h, w := int64(info.InputHeight), int64(info.InputWidth)
	switch layout {
	case NCHW:
		return NewTensor(NCHW, int64(batch), 3, h, w), nil
	case NHWC:
		return NewTensor(NHWC, int64(batch), h, w, 3), nil
	}
	return Tensor{}, goErr("NewInput", ErrInvalidArgument, "layout %d is not NCHW or NHWC", layout)
}

// PreprocessInto resizes, crops and normalises img with the model's preset into slot index
// of dst (a 4-d NCHW or NHWC tensor whose H and W set the output size), in place.
func (m *Model) PreprocessInto(img *Image, dst Tensor, index int) error {
	if err := checkTensor("PreprocessInto", dst); err != nil {
		return err
	}
	return m.use("PreprocessInto", func(p *C.inception_model) error {
		return img.use("PreprocessInto", func(ip *C.inception_image) error {
			var eb errBuf
			ep, en := eb.ptr()
			return eb.err("PreprocessInto", C.incgo_preprocess(p, ip, C.int(dst.Layout),
				C.int64_t(dst.Shape[0]), C.int64_t(dst.Shape[1]), C.int64_t(dst.Shape[2]),
				C.int64_t(dst.Shape[3]), (*C.float)(unsafe.Pointer(&dst.Data[0])),
				C.size_t(4*len(dst.Data)), C.int64_t(index), ep, en))
		})
	})
}

// Preprocess turns images into one NCHW input batch of the model's input size.
func (m *Model) Preprocess(images ...*Image) (Tensor, error) {
	if len(images) == 0 {
		return Tensor{}, goErr("Preprocess", ErrInvalidArgument, "no images")
	}
	t, err := m.NewInput(len(images), NCHW)
	if err != nil {
		return Tensor{}, err
	}
	for i, img := range images {
		if err := m.PreprocessInto(img, t, i); err != nil {
			return Tensor{}, err
		}
	}
	return t, nil
}

// checkTensor validates a Go input tensor before its memory goes to C.
func checkTensor(op string, t Tensor) error {
	if len(t.Shape) != 4 {
		return goErr(op, ErrShape, "input must have 4 dimensions, has %d", len(t.Shape))
	}
	if t.Layout != NCHW && t.Layout != NHWC {
		return goErr(op, ErrInvalidArgument, "input layout must be NCHW or NHWC")
	}
	for _, d := range t.Shape {
		if d < 1 {
			return goErr(op, ErrShape, "dimension %d is below 1", d)
		}
	}
	n, ok := shapeProduct(t.Shape)
	if !ok {
		return goErr(op, ErrInvalidArgument, "shape %v: the product of the dimensions overflows", t.Shape)
	}
	if n != int64(len(t.Data)) {
		return goErr(op, ErrShape, "shape %v needs %d values, Data has %d", t.Shape, n, len(t.Data))
	}
	return nil
}
