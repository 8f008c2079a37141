// Package inception runs Inception-v3 (image classification and 2048-d embeddings) on the
// CPU through libinception's C API, found with pkg-config (`#cgo pkg-config: inception`).
//
// Threads: a *Model is immutable and may be shared by any number of goroutines. A *Session
// (activation memory, worker threads) runs one call at a time; its methods lock it, so
// sharing one serialises the calls. For parallelism give each goroutine its own Session, or
// use a SessionPool. Close everything when done; finalizers are only a backstop.
//
// Memory: input []float32 slices and image bytes are passed to C without copying, for the
// duration of one call (C never keeps them). Outputs are copied out of the session into Go
// slices (or into a slice you provide), since the session reuses its memory on the next run.
package inception

// #cgo pkg-config: inception
// #include "helpers.h"
import "C"

import (
	"fmt"
	"sync"
	"unsafe"
)

// Version is the library's version string, e.g. "1.0.0".
func Version() string { return C.GoString(C.inception_version_string()) }

// VersionNumber is the library's version as MAJOR*10000 + MINOR*100 + PATCH.
func VersionNumber() int { return int(C.inception_version_number()) }

// ModelFormatVersion is the highest model-file format revision the library reads.
func ModelFormatVersion() int { return int(C.inception_model_format_version()) }

// HeaderVersionMajor is the major version of the header this package was compiled with.
const HeaderVersionMajor = int(C.INCEPTION_VERSION_MAJOR)

var versionOnce sync.Once
var versionErr error

// CheckVersion reports an error if the library loaded at run time has a different major
// version from the header this package was built against. LoadModel calls it.
func CheckVersion() error {
	versionOnce.Do(func() {
		if got := VersionNumber() / 10000; got != HeaderVersionMajor {
			versionErr = &Error{Op: "CheckVersion", Status: ErrUnsupported, Message: fmt.Sprintf(
				"libinception %s has major version %d; this package needs %d",
				Version(), got, HeaderVersionMajor)}
		}
	})
	return versionErr
}

// Backend describes a registered backend.
type Backend struct {
	Name      string
	Available bool // can run on this machine
}

// Backends lists the registered backends.
func Backends() []Backend {
	n := int(C.inception_backend_count())
	out := make([]Backend, 0, n)
	for i := 0; i < n; i++ {
		name := C.inception_backend_name(C.int32_t(i))
		if name == nil {
			continue
		}
		out = append(out, Backend{C.GoString(name), C.inception_backend_available(name) != 0})
	}
	return out
}

// BackendAvailable reports whether the named backend can run on this machine.
// A name with a NUL byte is no backend's name: false.
func BackendAvailable(name string) bool {
	cs, err := cString("BackendAvailable", "backend name", name)
	if err != nil {
		return false
	}
	defer C.free(unsafe.Pointer(cs))
	return C.inception_backend_available(cs) != 0
}

// Layout of a 4-d input tensor (or NC for outputs).
type Layout int

const (
	NCHW Layout = 1 // [N, 3, H, W]
	NHWC Layout = 2 // [N, H, W, 3]
	NC   Layout = 3 // [N, C]: network outputs
)

// Tensor is plain Go data: float32 values in row-major order with their shape.
type Tensor struct {
	Shape  []int64
	Layout Layout
	Data   []float32
}

// NewTensor allocates a zeroed tensor. A shape with a negative dimension, or whose product
// overflows or is more values than a slice can hold, gets no Data (every call refuses it).
func NewTensor(layout Layout, shape ...int64) Tensor {
	t := Tensor{Shape: append([]int64(nil), shape...), Layout: layout}
	if n, ok := shapeProduct(shape); ok && n > 0 {
		t.Data = make([]float32, n)
	}
	return t
}

// shapeProduct is the number of values of a shape; false if a dimension is negative or the
// product does not fit in an int (it would wrap, e.g. to 0, and match an empty Data).
func shapeProduct(shape []int64) (int64, bool) {
	const maxValues = int64(^uint(0)>>1) / 4 // bytes must fit in an int too
	n := int64(1)
	for _, d := range shape {
		if d < 0 {
			return 0, false
		}
		if d > 0 && n > maxValues/d {
			return 0, false
		}
		n *= d
	}
	return n, true
}

// Row returns the i-th slice along the first dimension (e.g. one image's features).
func (t Tensor) Row(i int) []float32 {
	if len(t.Shape) == 0 || t.Shape[0] == 0 {
		return nil
	}
	n := len(t.Data) / int(t.Shape[0])
	return t.Data[i*n : (i+1)*n]
}

// options carries every key; negative ints and empty strings mean "not set".
type options struct {
	backend, preset, labels                            string
	poolIncludePad, labelOffset, skipChecksum, threads int64
	outputs, profile, maxPixels, exif, minSide         int64
	precision, calibration, method                     string // int8 (docs/int8.md)
	ints                                               []intOption
}

// intOption is an int key set only when asked for, so every value (a bad one too) reaches
// the library, which checks it.
type intOption struct {
	key C.inception_option
	v   int64
}

func unset() options {
	return options{poolIncludePad: -1, labelOffset: -1, skipChecksum: -1, threads: -1,
		outputs: -1, profile: -1, maxPixels: -1, exif: -1, minSide: -1}
}

// build returns an options handle (nil when nothing is set) and a function freeing it.
func (o options) build(op string) (*C.inception_options, func(), error) {
	var strs [3]*C.char
	for i, v := range []struct{ what, s string }{{"Backend", o.backend}, {"Preset", o.preset},
		{"Labels", o.labels}} {
		if v.s == "" {
			continue
		}
		cs, err := cString(op, v.what, v.s)
		if err != nil {
			return nil, nil, err
		}
		strs[i] = cs
		defer C.free(unsafe.Pointer(cs))
	}
	var h *C.inception_options
	var msg [512]C.char
	st := C.incgo_options(&h, strs[0], strs[1], strs[2], C.int64_t(o.poolIncludePad), C.int64_t(o.labelOffset),
		C.int64_t(o.skipChecksum), C.int64_t(o.threads), C.int64_t(o.outputs),
		C.int64_t(o.profile), C.int64_t(o.maxPixels), C.int64_t(o.exif), C.int64_t(o.minSide),
		&msg[0], C.size_t(len(msg)))
	if st != C.INCEPTION_OK {
		return nil, nil, newError(op, st, C.GoString(&msg[0]))
	}
	ensure := func() error { // a handle for the keys incgo_options does not take
		if h != nil {
			return nil
		}
		return call(op, func() C.inception_status { return C.inception_options_create(&h) })
	}
	for _, v := range []struct {
		what string
		key  C.inception_option
		s    string
	}{{"Precision", 60, o.precision}, {"Calibration", 61, o.calibration}, {"Method", 62, o.method}} {
		if v.s == "" {
			continue
		}
		if err := ensure(); err != nil {
			return nil, nil, err
		}
		cs, err := cString(op, v.what, v.s)
		if err == nil {
			err = call(op, func() C.inception_status { return C.inception_options_set_string(h, v.key, cs) })
			C.free(unsafe.Pointer(cs))
		}
		if err != nil {
			C.inception_options_free(h)
			return nil, nil, err
		}
	}
	for _, v := range o.ints {
		if err := ensure(); err != nil {
			return nil, nil, err
		}
		if err := call(op, func() C.inception_status {
			return C.inception_options_set_int(h, v.key, C.int64_t(v.v))
		}); err != nil {
			C.inception_options_free(h)
			return nil, nil, err
		}
	}
	return h, func() { C.inception_options_free(h) }, nil
}

func boolInt(b *bool) int64 {
	if b == nil {
		return -1
	}
	if *b {
		return 1
	}
	return 0
}
