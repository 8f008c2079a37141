module github.com/libinception/go-inception/examples

go 1.19

require github.com/libinception/go-inception v0.0.0

// The binding lives in this repository; once published, drop this line.
replace github.com/libinception/go-inception => ../../bindings/go
