// Package capi calls libinception's C API directly, with no binding code in between, so the
// tests can compare the binding's results with the C library's own.
package capi

/*
#cgo pkg-config: inception
#include <inception/inception.h>
#include <stdlib.h>
#include <time.h>

typedef struct { inception_model *m; inception_session *s; } capi_ref;

static inception_status capi_open(const char *path, const char *backend, capi_ref *r) {
    inception_options *o = NULL;
    inception_status st = inception_options_create(&o);
    if (!st) st = inception_options_set_string(o, INCEPTION_OPT_BACKEND, backend);
    if (!st) st = inception_options_set_int(o, INCEPTION_OPT_THREADS, 1);
    if (!st) st = inception_model_load_file(path, o, &r->m);
    if (!st) st = inception_session_create(r->m, o, &r->s);
    inception_options_free(o);
    return st;
}

// 1 if the library accepts string option `key` (older ones say NOT_FOUND for a new key).
static int capi_option_known(int key) {
    inception_options *o = NULL;
    if (inception_options_create(&o)) return 0;
    inception_status st = inception_options_set_string(o, (inception_option)key, "labels.txt");
    inception_options_free(o);
    return st != INCEPTION_ERR_NOT_FOUND;
}

static void capi_close(capi_ref *r) {
    inception_session_free(r->s);
    inception_model_free(r->m);
}

// The test pattern: ((i*7919) % 1000) / 500 - 1, rounded to float (same in Python and Go).
static inception_status capi_run_pattern(capi_ref *r, int64_t n, int64_t h, int64_t w,
                                         float *logits, float *probs, float *features) {
    int64_t dims[4] = {n, 3, h, w};
    inception_tensor *t = NULL;
    inception_status st = inception_tensor_create(INCEPTION_DTYPE_F32, INCEPTION_LAYOUT_NCHW,
                                                  dims, 4, &t);
    if (st) return st;
    float *p = inception_tensor_data(t);
    for (int64_t i = 0; i < n * 3 * h * w; i++)
        p[i] = (float)((double)((i * 7919) % 1000) / 500.0 - 1.0);
    st = inception_session_run(r->s, t);
    inception_tensor_free(t);
    float *dst[3] = {logits, probs, features};
    inception_output which[3] = {INCEPTION_OUTPUT_LOGITS, INCEPTION_OUTPUT_PROBABILITIES,
                                 INCEPTION_OUTPUT_FEATURES};
    for (int i = 0; i < 3 && !st; i++) {
        const inception_tensor *o = NULL;
        st = inception_session_output(r->s, which[i], &o);
        if (!st) {
            const float *v = inception_tensor_data(o);
            size_t k = inception_tensor_byte_size(o) / sizeof(float);
            for (size_t j = 0; j < k; j++) dst[i][j] = v[j];
        }
    }
    return st;
}

// Time `count` runs of a prepared [1,3,side,side] input plus the borrow of the features
// output, each with CLOCK_MONOTONIC, into ms[].
static inception_status capi_time_runs(capi_ref *r, int64_t side, int count, double *ms) {
    int64_t dims[4] = {1, 3, side, side};
    inception_tensor *t = NULL;
    inception_status st = inception_tensor_create(INCEPTION_DTYPE_F32, INCEPTION_LAYOUT_NCHW,
                                                  dims, 4, &t);
    if (st) return st;
    float *p = inception_tensor_data(t);
    for (int64_t i = 0; i < 3 * side * side; i++)
        p[i] = (float)((double)((i * 7919) % 1000) / 500.0 - 1.0);
    st = inception_session_run(r->s, t); // plan memory (and warm up) before timing
    for (int i = 0; i < count && !st; i++) {
        struct timespec a, b;
        clock_gettime(CLOCK_MONOTONIC, &a);
        st = inception_session_run(r->s, t);
        const inception_tensor *o = NULL;
        if (!st) st = inception_session_output(r->s, INCEPTION_OUTPUT_FEATURES, &o);
        clock_gettime(CLOCK_MONOTONIC, &b);
        ms[i] = (b.tv_sec - a.tv_sec) * 1e3 + (b.tv_nsec - a.tv_nsec) / 1e6;
    }
    inception_tensor_free(t);
    return st;
}
*/
import "C"

import (
	"fmt"
	"unsafe"
)

// Ref is a model and a 1-thread session opened through the C API alone.
type Ref struct{ r C.capi_ref }

// Open loads the model with the given backend.
func Open(path, backend string) (*Ref, error) {
	cp, cb := C.CString(path), C.CString(backend)
	defer C.free(unsafe.Pointer(cp))
	defer C.free(unsafe.Pointer(cb))
	ref := &Ref{}
	if st := C.capi_open(cp, cb, &ref.r); st != 0 {
		return nil, fmt.Errorf("capi: open %s: status %d", path, int(st))
	}
	return ref, nil
}

// StringOptionKnown reports whether the library knows the string option key (it answers
// NOT_FOUND for one it does not).
func StringOptionKnown(key int) bool { return C.capi_option_known(C.int(key)) != 0 }

// Close frees the session and the model.
func (r *Ref) Close() { C.capi_close(&r.r) }

// ClassifyFile is inception_session_classify_file.
func (r *Ref) ClassifyFile(path string, k int) ([]int32, []float32, error) {
	cp := C.CString(path)
	defer C.free(unsafe.Pointer(cp))
	classes := make([]int32, k)
	probs := make([]float32, k)
	var n C.int32_t
	st := C.inception_session_classify_file(r.r.s, cp, C.int32_t(k),
		(*C.int32_t)(unsafe.Pointer(&classes[0])), (*C.float)(unsafe.Pointer(&probs[0])), &n)
	if st != 0 {
		return nil, nil, fmt.Errorf("capi: classify %s: status %d", path, int(st))
	}
	return classes[:n], probs[:n], nil
}

// RunPattern runs the test pattern [n, 3, h, w] and returns logits, probabilities and
// features, flat.
func (r *Ref) RunPattern(n, h, w, classes int) (logits, probs, features []float32, err error) {
	logits = make([]float32, n*classes)
	probs = make([]float32, n*classes)
	features = make([]float32, n*2048)
	st := C.capi_run_pattern(&r.r, C.int64_t(n), C.int64_t(h), C.int64_t(w),
		(*C.float)(unsafe.Pointer(&logits[0])), (*C.float)(unsafe.Pointer(&probs[0])),
		(*C.float)(unsafe.Pointer(&features[0])))
	if st != 0 {
		err = fmt.Errorf("capi: run: status %d", int(st))
	}
	return
}

// TimeRuns times count runs of a prepared [1, 3, side, side] input in C; milliseconds each.
func (r *Ref) TimeRuns(side, count int) ([]float64, error) {
	ms := make([]float64, count)
	if st := C.capi_time_runs(&r.r, C.int64_t(side), C.int(count), (*C.double)(unsafe.Pointer(&ms[0]))); st != 0 {
		return nil, fmt.Errorf("capi: time runs: status %d", int(st))
	}
	return ms, nil
}

// Pattern is the same test input in Go: ((i*7919) % 1000) / 500 - 1.
func Pattern(count int) []float32 {
	v := make([]float32, count)
	for i := range v {
		v[i] = float32(float64((int64(i)*7919)%1000)/500.0 - 1.0)
	}
	return v
}
