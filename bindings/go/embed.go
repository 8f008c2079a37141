package inception

// #include "helpers.h"
import "C"

import (
	"math"
	"unsafe"
)

// DefaultEmbedBatch is how many images EmbedFiles and EmbedEach run at once unless told
// otherwise: about 16 x 8 MB of activations at 299x299 (a session's memory grows with the
// batch), with most of a large batch's speed.
const DefaultEmbedBatch = 16

// EmbedOptions configure EmbedFiles and EmbedEach; the zero value (or nil) keeps the
// defaults.
type EmbedOptions struct {
	BatchSize  int  // images decoded and run at once (0: DefaultEmbedBatch); bounds memory
	SkipErrors bool // a file that cannot be read or decoded is reported and skipped, not fatal
	// Progress, if set, is called after each batch with the images done so far and the
	// total (-1 when it is not known, as for EmbedEach).
	Progress func(done, total int)
	Decode   *DecodeOptions // how files are decoded (nil: defaults)
}

// Embedding is the result for one file of EmbedEach.
type Embedding struct {
	Index    int       // position among the paths
	Path     string    //
	Features []float32 // the 2048-d features; nil when Err is set
	Err      error     // why the file could not be embedded (only with SkipErrors)
}

func (o *EmbedOptions) batch() (int, error) {
	if o == nil || o.BatchSize == 0 {
		return DefaultEmbedBatch, nil
	}
	if o.BatchSize < 0 {
		return 0, goErr("Embed", ErrInvalidArgument, "BatchSize = %d is negative", o.BatchSize)
	}
	return o.BatchSize, nil
}

// EmbedFiles returns the features [len(paths), 2048] of image files, run BatchSize at a
// time so memory stays bounded however many there are. Without SkipErrors the first bad
// file stops it with its error. With SkipErrors the row of a bad file is NaN and errs[i]
// says why (errs has one entry per path, nil for those that worked).
func (s *Session) EmbedFiles(paths []string, opts *EmbedOptions) (out Tensor, errs []error, err error) {
	if err := s.lock("EmbedFiles"); err != nil {
		return Tensor{}, nil, err
	}
	width := s.features
	s.unlock()
	out = Tensor{Shape: []int64{int64(len(paths)), width}, Layout: NC,
		Data: make([]float32, int64(len(paths))*width)}
	skip := opts != nil && opts.SkipErrors
	if skip {
		errs = make([]error, len(paths))
	}
	i := 0
	next := func() (string, bool) {
		if i == len(paths) {
			return "", false
		}
		i++
		return paths[i-1], true
	}
	err = s.embedStream("EmbedFiles", next, len(paths), opts, func(e Embedding) error {
		row := out.Data[int64(e.Index)*width : int64(e.Index+1)*width]
		if e.Err != nil {
			errs[e.Index] = e.Err
			for j := range row {
				row[j] = float32(math.NaN())
			}
			return nil
		}
		copy(row, e.Features)
		return nil
	})
	if err != nil {
		return Tensor{}, nil, err
	}
	return out, errs, nil
}

// EmbedEach reads paths from the channel until it is closed, runs them BatchSize at a time
// and calls fn with each file's Embedding, in order, as soon as its batch has run, so a
// folder walk can feed it while results come out. An error from fn stops it (and is
// returned); the rest of the channel is not read. Without SkipErrors a bad file stops it
// with its error; with SkipErrors fn gets an Embedding with Err set instead.
func (s *Session) EmbedEach(paths <-chan string, opts *EmbedOptions, fn func(Embedding) error) error {
	if fn == nil {
		return goErr("EmbedEach", ErrInvalidArgument, "fn is nil")
	}
	next := func() (string, bool) {
		p, ok := <-paths
		return p, ok
	}
	return s.embedStream("EmbedEach", next, -1, opts, fn)
}

func (s *Session) embedStream(op string, next func() (string, bool), total int, opts *EmbedOptions,
	fn func(Embedding) error) error {
	size, err := opts.batch()
	if err != nil {
		return err
	}
	var decode *DecodeOptions
	skip := false
	var progress func(int, int)
	if opts != nil {
		decode, skip, progress = opts.Decode, opts.SkipErrors, opts.Progress
	}
	if err := s.lock(op); err != nil {
		return err
	}
	h, w := s.inputH, s.inputW
	s.unlock()
	per := 3 * h * w
	buf := make([]float32, int64(size)*per)
	done := 0
	for {
		var paths []string
		for len(paths) < size {
			p, ok := next()
			if !ok {
				break
			}
			paths = append(paths, p)
		}
		if len(paths) == 0 {
			return nil
		}
		results, err := s.embedBatch(op, paths, done, buf, h, w, decode, skip)
		if err != nil {
			return err
		}
		for _, e := range results {
			if err := fn(e); err != nil {
				return err
			}
		}
		done += len(paths)
		if progress != nil {
			progress(done, total)
		}
		if len(paths) < size {
			return nil
		}
	}
}

// embedBatch decodes each file and preprocesses it into the next slot of buf (freeing the
// image at once, so one decoded image is alive at a time), then runs the filled slots.
func (s *Session) embedBatch(op string, paths []string, first int, buf []float32, h, w int64,
	decode *DecodeOptions, skip bool) ([]Embedding, error) {
	out := make([]Embedding, len(paths))
	slots := make([]int, len(paths))
	used := int64(0)
	per := 3 * h * w
	for i, p := range paths {
		out[i] = Embedding{Index: first + i, Path: p}
		err := s.preprocessFile(op, p, decode, buf, int64(len(buf))/per, h, w, used)
		if err != nil {
			if !skip {
				return nil, err
			}
			out[i].Err = err
			slots[i] = -1
			continue
		}
		slots[i] = int(used)
		used++
	}
	if used == 0 {
		return out, nil
	}
	in := Tensor{Shape: []int64{used, 3, h, w}, Layout: NCHW, Data: buf[:used*per]}
	feats, err := s.Features(in)
	if err != nil {
		return nil, err
	}
	for i := range out {
		if slots[i] >= 0 {
			out[i].Features = feats.Row(slots[i])
		}
	}
	return out, nil
}

func (s *Session) preprocessFile(op, path string, decode *DecodeOptions, buf []float32, n, h, w, index int64) error {
	img, err := DecodeImageFile(path, decode)
	if err != nil {
		return err
	}
	defer img.Close()
	if err := s.lock(op); err != nil {
		return err
	}
	defer s.unlock()
	return img.use(op, func(ip *C.inception_image) error {
		var eb errBuf
		ep, en := eb.ptr()
		// The session's own reference keeps its model alive, even if the Model was closed.
		return eb.err(op, C.incgo_preprocess(s.mptr, ip, C.int(NCHW), C.int64_t(n), 3,
			C.int64_t(h), C.int64_t(w), (*C.float)(unsafe.Pointer(&buf[0])),
			C.size_t(4*int64(len(buf))), C.int64_t(index), ep, en))
	})
}
