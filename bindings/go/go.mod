module github.com/libinception/go-inception

go 1.19
