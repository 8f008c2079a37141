package inception

// #include "helpers.h"
import "C"

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"
)

// Status is a libinception status code. Every non-OK Status is also a sentinel error, so
// errors.Is(err, inception.ErrIO) tells what went wrong; errors.As(err, &e) with a *Error
// gives the library's detail message.
type Status int

// The status codes of include/inception/inception.h; their values never change.
const (
	OK                 Status = 0
	ErrInvalidArgument Status = 1  // NULL/nil, bad enum, k < 1
	ErrOutOfMemory     Status = 2  //
	ErrIO              Status = 3  // cannot open/read a file; a directory
	ErrFormat          Status = 4  // model file malformed: header, JSON, offsets
	ErrMissingTensor   Status = 5  // a required weight is absent
	ErrShape           Status = 6  // a weight or tensor has the wrong shape or rank
	ErrDType           Status = 7  // unsupported or wrong element type
	ErrChecksum        Status = 8  // inception.crc32 does not match the data
	ErrUnsupported     Status = 9  // valid request this build or model cannot serve
	ErrInputSize       Status = 10 // image or tensor smaller than 75x75, or too large
	ErrModelMismatch   Status = 11 // object made for one model used with another
	ErrBackend         Status = 12 // unknown backend, bad vtable, backend failure
	ErrImage           Status = 13 // corrupt or undecodable image bytes
	ErrImageTooLarge   Status = 14 // image above the pixel limit
	ErrNotFound        Status = 15 // no such label, output, option or backend name
	ErrBufferTooSmall  Status = 16 //
	ErrNotReady        Status = 17 // asked for an output before a run produced it
	ErrInternal        Status = 18 // a bug in libinception: please report it
)

// String is the library's English name of the status ("invalid argument").
func (s Status) String() string { return C.GoString(C.inception_status_string(C.inception_status(s))) }

// Error makes a Status usable as a sentinel error.
func (s Status) Error() string { return "inception: " + s.String() }

// Error is a failed libinception call: the operation, its status and the library's message.
type Error struct {
	Op      string // the Go method, e.g. "LoadModel"
	Status  Status
	Message string // inception_last_error() or the session's last error
	// Err is what the system says about the path of a failed ErrIO call (an *fs.PathError
	// from os.Stat), or nil; so errors.Is(err, fs.ErrNotExist) is true for a missing file.
	Err error
}

// Is reports whether the system error behind the failure matches target (fs.ErrNotExist,
// fs.ErrPermission, ...); errors.Is also matches the Status through Unwrap.
func (e *Error) Is(target error) bool { return e.Err != nil && errors.Is(e.Err, target) }

// As finds target in the system error behind the failure (errors.As(err, &pathErr)).
func (e *Error) As(target interface{}) bool { return e.Err != nil && errors.As(e.Err, target) }

func (e *Error) Error() string {
	if e.Message == "" {
		return fmt.Sprintf("inception: %s: %s", e.Op, e.Status.String())
	}
	return fmt.Sprintf("inception: %s: %s: %s", e.Op, e.Status.String(), e.Message)
}

// Unwrap returns the Status, so errors.Is(err, inception.ErrImage) works.
func (e *Error) Unwrap() error { return e.Status }

func newError(op string, st C.inception_status, msg string) error {
	if st == C.INCEPTION_OK {
		return nil
	}
	return &Error{Op: op, Status: Status(st), Message: msg}
}

// call runs a library call that reports through the thread-local last error. The goroutine
// stays on its OS thread between the call and reading the message.
func call(op string, f func() C.inception_status) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	st := f()
	if st == C.INCEPTION_OK {
		return nil
	}
	return newError(op, st, C.GoString(C.inception_last_error()))
}

// errBuf receives a message from a C helper within the same cgo call.
type errBuf [256]C.char

func (b *errBuf) ptr() (*C.char, C.size_t) { return &b[0], C.size_t(len(b)) }

func (b *errBuf) err(op string, st C.inception_status) error {
	return newError(op, st, C.GoString(&b[0]))
}

// withPaths gives an ErrIO failure on a call that named files the system's error for the
// first of them that cannot be stat'ed: the C status does not carry the errno.
func withPaths(err error, paths ...string) error {
	var e *Error
	if !errors.As(err, &e) || e.Status != ErrIO {
		return err
	}
	for _, p := range paths {
		if p == "" {
			continue
		}
		if _, serr := os.Stat(p); serr != nil {
			e.Err = serr
			break
		}
	}
	return err
}

// cString copies s for C. A C string ends at its first NUL, so a Go string with one inside
// would silently name something else (a shorter path): refuse it.
func cString(op, what, s string) (*C.char, error) {
	if strings.IndexByte(s, 0) >= 0 {
		return nil, goErr(op, ErrInvalidArgument, "%s %q contains a NUL byte", what, s)
	}
	return C.CString(s), nil
}

// goErr is an error raised by the binding itself, before any C call.
func goErr(op string, st Status, format string, args ...interface{}) error {
	return &Error{Op: op, Status: st, Message: fmt.Sprintf(format, args...)}
}
