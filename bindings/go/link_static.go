//go:build inception_static

package inception

// With -tags inception_static, pkg-config is asked for the static link line too (the .pc
// file's Libs.private and Requires.private: -lm, -lpthread, libjpeg, zlib, libspng), which
// libinception.a needs, e.g. for a fully static binary:
//
//	go build -tags inception_static -ldflags '-linkmode external -extldflags -static'

// #cgo pkg-config: --static inception
import "C"
