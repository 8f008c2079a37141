package inception

// #include "helpers.h"
import "C"

import (
	"runtime"
	"sync"
	"unsafe"
)

// DecodeOptions control image decoding; the zero value (or nil) keeps the defaults.
type DecodeOptions struct {
	MaxPixels       int64 // refuse larger images before allocating (0: library default 1<<28)
	ExifOrientation *bool // nil: apply JPEG EXIF orientation (default true)
	MinSide         int   // let the JPEG decoder downscale in the DCT domain to >= this side
}

func (o *DecodeOptions) options() options {
	op := unset()
	if o == nil {
		return op
	}
	if o.MaxPixels > 0 {
		op.maxPixels = o.MaxPixels
	}
	op.exif = boolInt(o.ExifOrientation)
	if o.MinSide > 0 {
		op.minSide = int64(o.MinSide)
	}
	return op
}

// PixelFormat of caller pixels given to ImageFromPixels.
type PixelFormat int

const (
	RGB  PixelFormat = 1
	RGBA PixelFormat = 2
	BGR  PixelFormat = 3
	BGRA PixelFormat = 4
	Gray PixelFormat = 5
)

var bytesPerPixel = map[PixelFormat]int{RGB: 3, RGBA: 4, BGR: 3, BGRA: 4, Gray: 1}

// Image holds decoded 8-bit RGB pixels.
type Image struct {
	mu  sync.RWMutex
	ptr *C.inception_image
}

func newImage(op string, o options, f func(opts *C.inception_options, out **C.inception_image) C.inception_status) (*Image, error) {
	opts, free, err := o.build(op)
	if err != nil {
		return nil, err
	}
	if free != nil {
		defer free()
	}
	var h *C.inception_image
	if err := call(op, func() C.inception_status { return f(opts, &h) }); err != nil {
		return nil, err
	}
	img := &Image{ptr: h}
	runtime.SetFinalizer(img, (*Image).Close)
	return img, nil
}

// DecodeImageFile decodes a JPEG or PNG file. opts may be nil.
// For a missing file errors.Is(err, fs.ErrNotExist) is true, as is errors.Is(err, ErrIO).
func DecodeImageFile(path string, opts *DecodeOptions) (*Image, error) {
	cpath, err := cString("DecodeImageFile", "path", path)
	if err != nil {
		return nil, err
	}
	defer C.free(unsafe.Pointer(cpath))
	img, err := newImage("DecodeImageFile", opts.options(), func(o *C.inception_options, out **C.inception_image) C.inception_status {
		return C.inception_image_decode_file(cpath, o, out)
	})
	return img, withPaths(err, path)
}

// DecodeImage decodes JPEG or PNG bytes (read in place, not kept). opts may be nil.
func DecodeImage(data []byte, opts *DecodeOptions) (*Image, error) {
	if len(data) == 0 {
		return nil, goErr("DecodeImage", ErrImage, "no data")
	}
	return newImage("DecodeImage", opts.options(), func(o *C.inception_options, out **C.inception_image) C.inception_status {
		return C.inception_image_decode_memory(unsafe.Pointer(&data[0]), C.size_t(len(data)), o, out)
	})
}

// ImageFromPixels copies caller pixels into an image: rows stride bytes apart (0: packed).
// Alpha is dropped.
func ImageFromPixels(pixels []byte, width, height, stride int, format PixelFormat) (*Image, error) {
	bpp, ok := bytesPerPixel[format]
	if !ok {
		return nil, goErr("ImageFromPixels", ErrInvalidArgument, "unknown pixel format %d", format)
	}
	if stride == 0 {
		stride = width * bpp
	}
	if width < 1 || height < 1 || stride < width*bpp {
		return nil, goErr("ImageFromPixels", ErrInvalidArgument, "bad geometry %dx%d stride %d", width, height, stride)
	}
	if need := (height-1)*stride + width*bpp; len(pixels) < need {
		return nil, goErr("ImageFromPixels", ErrBufferTooSmall, "%d bytes of pixels; %dx%d needs %d", len(pixels), width, height, need)
	}
	return newImage("ImageFromPixels", unset(), func(o *C.inception_options, out **C.inception_image) C.inception_status {
		return C.inception_image_from_pixels(unsafe.Pointer(&pixels[0]), C.int32_t(width), C.int32_t(height),
			C.size_t(stride), C.inception_pixel_format(format), o, out)
	})
}

// Close frees the image. Safe to call more than once.
func (img *Image) Close() error {
	if img == nil {
		return nil
	}
	img.mu.Lock()
	defer img.mu.Unlock()
	if img.ptr != nil {
		C.inception_image_free(img.ptr)
		img.ptr = nil
		runtime.SetFinalizer(img, nil)
	}
	return nil
}

func (img *Image) use(op string, f func(p *C.inception_image) error) error {
	if img == nil {
		return goErr(op, ErrInvalidArgument, "image is nil")
	}
	img.mu.RLock()
	defer img.mu.RUnlock()
	if img.ptr == nil {
		return goErr(op, ErrInvalidArgument, "image is closed")
	}
	err := f(img.ptr)
	runtime.KeepAlive(img)
	return err
}

// Size returns the width and height (0, 0 once closed).
func (img *Image) Size() (width, height int) {
	_ = img.use("Size", func(p *C.inception_image) error {
		width, height = int(C.inception_image_width(p)), int(C.inception_image_height(p))
		return nil
	})
	return
}

// Pixels returns a copy of the packed RGB rows (width*3 bytes each).
func (img *Image) Pixels() []byte {
	var out []byte
	_ = img.use("Pixels", func(p *C.inception_image) error {
		w, h := int(C.inception_image_width(p)), int(C.inception_image_height(p))
		out = C.GoBytes(unsafe.Pointer(C.inception_image_pixels(p)), C.int(w*h*3))
		return nil
	})
	return out
}
