package inception

// #include "helpers.h"
import "C"

import "unsafe"

// int8 post-training quantisation (docs/int8.md).

// Option keys of libinception 1.1 (include/inception/inception.h).
const (
	optWeightBits     C.inception_option = 63 // INCEPTION_OPT_QUANT_WEIGHT_BITS
	optBiasCorrection C.inception_option = 65 // INCEPTION_OPT_QUANT_BIAS_CORRECTION
)

// QuantizeOptions choose how QuantizeWith and CalibrateWith quantise; the zero value (or
// nil) keeps every default.
type QuantizeOptions struct {
	// Method: "" (mse, the default), "minmax", "percentile" (99.99th) or "percentile=P".
	Method string
	// WeightBits (QuantizeWith only): 0 or 8 (default, weights in [-127, 127]) or 7
	// ([-64, 64]: faster on AVX2, less accurate). For a calibration record the weights are
	// quantised at load: set ModelOptions.WeightBits there.
	WeightBits int
	// BiasCorrection: nil or true (default) corrects each int8 convolution's bias for the
	// mean shift its weight rounding causes; false does not (CalibrateWith then writes a
	// version 1 record, without the per-channel means the correction at load needs).
	BiasCorrection *bool
}

func (o *QuantizeOptions) options() options {
	op := unset()
	if o == nil {
		return op
	}
	op.method = o.Method
	if o.WeightBits != 0 {
		op.ints = append(op.ints, intOption{optWeightBits, int64(o.WeightBits)})
	}
	if o.BiasCorrection != nil {
		op.ints = append(op.ints, intOption{optBiasCorrection, boolInt(o.BiasCorrection)})
	}
	return op
}

func quantCall(op string, m *Model, images []string, out string, o *QuantizeOptions,
	f func(*C.inception_model, **C.char, C.size_t, *C.inception_options, *C.char) C.inception_status) error {
	if len(images) == 0 {
		return goErr(op, ErrInvalidArgument, "calibration needs at least one image")
	}
	cout, err := cString(op, "out", out)
	if err != nil {
		return err
	}
	defer C.free(unsafe.Pointer(cout))
	arr := (*[1 << 20]*C.char)(C.malloc(C.size_t(len(images)) * C.size_t(unsafe.Sizeof((*C.char)(nil)))))[:len(images):len(images)]
	defer C.free(unsafe.Pointer(&arr[0]))
	for i, p := range images {
		cs, err := cString(op, "image", p)
		if err != nil {
			for _, c := range arr[:i] {
				C.free(unsafe.Pointer(c))
			}
			return err
		}
		arr[i] = cs
	}
	defer func() {
		for _, c := range arr {
			C.free(unsafe.Pointer(c))
		}
	}()
	opts, free, err := o.options().build(op)
	if err != nil {
		return err
	}
	if free != nil {
		defer free()
	}
	return m.use(op, func(p *C.inception_model) error {
		return withPaths(call(op, func() C.inception_status {
			return f(p, &arr[0], C.size_t(len(images)), opts, cout)
		}), out)
	})
}

// Quantize calibrates the float model m on the image files and writes a quantised model
// (int8 weights, safetensors) to out. method: "" (mse, the default), "minmax",
// "percentile" (99.99th) or "percentile=P". m must have been loaded with LoadModel (its weights are read again).
func Quantize(m *Model, images []string, out, method string) error {
	return QuantizeWith(m, images, out, &QuantizeOptions{Method: method})
}

// QuantizeWith is Quantize with every quantisation option (nil: the defaults).
func QuantizeWith(m *Model, images []string, out string, o *QuantizeOptions) error {
	return quantCall("Quantize", m, images, out, o,
		func(p *C.inception_model, a **C.char, n C.size_t, o *C.inception_options, c *C.char) C.inception_status {
			return C.inception_quantize(p, a, n, o, c)
		})
}

// Calibrate writes only the calibration record; LoadModel(path, &ModelOptions{Calibration:
// out}) then runs the float file int8.
func Calibrate(m *Model, images []string, out, method string) error {
	return CalibrateWith(m, images, out, &QuantizeOptions{Method: method})
}

// CalibrateWith is Calibrate with the options (nil: the defaults); WeightBits is refused
// here, as the record holds no weights (ModelOptions.WeightBits applies it at load).
func CalibrateWith(m *Model, images []string, out string, o *QuantizeOptions) error {
	if o != nil && o.WeightBits != 0 {
		return goErr("Calibrate", ErrInvalidArgument,
			"WeightBits applies when the record is used: set ModelOptions.WeightBits at load")
	}
	return quantCall("Calibrate", m, images, out, o,
		func(p *C.inception_model, a **C.char, n C.size_t, o *C.inception_options, c *C.char) C.inception_status {
			return C.inception_calibrate(p, a, n, o, c)
		})
}

// Quantized reports whether the model's convolutions run int8.
func (m *Model) Quantized() (bool, error) {
	var q bool
	err := m.use("Quantized", func(p *C.inception_model) error {
		var v C.int64_t
		err := call("Quantized", func() C.inception_status {
			return C.inception_model_info_int(p, C.inception_model_info(40), &v)
		})
		q = v != 0
		return err
	})
	return q, err
}
