/* C helpers for the Go binding: calls that take Go memory wrap it, use it and drop the wrap
 * within one cgo call, so C never keeps a Go pointer after the call returns (cgo's rule).
 * On failure each copies the error message into err (errsize bytes) in the same call, since
 * the library's last error is per OS thread and a goroutine may move between threads. */
#ifndef INCEPTION_GO_HELPERS_H
#define INCEPTION_GO_HELPERS_H

#include <inception/inception.h>
#include <stdint.h>
#include <stdlib.h>

/* Run on a float32 Go slice of shape [n, d1, d2, d3] without copying it. */
inception_status incgo_run(inception_session *s, int layout, int64_t n, int64_t d1, int64_t d2,
                           int64_t d3, float *data, size_t bytes, char *err, size_t errsize);

/* Copy an output of the last run into dst (cap floats). dims receives [N, C]. NOT_FOUND /
 * NOT_READY as inception_session_output; BUFFER_TOO_SMALL if dst is too short. */
inception_status incgo_output(const inception_session *s, int which, float *dst, size_t cap,
                              int64_t *dims, char *err, size_t errsize);

/* Preprocess an image into slot `index` of a Go slice [n, d1, d2, d3], without copying it. */
inception_status incgo_preprocess(const inception_model *m, const inception_image *img,
                                  int layout, int64_t n, int64_t d1, int64_t d2, int64_t d3,
                                  float *data, size_t bytes, int64_t index, char *err,
                                  size_t errsize);

/* INCEPTION_OPT_LABELS_FILE (libinception 1.1), by value so this builds against 1.0 headers;
 * a 1.0 library refuses it with NOT_FOUND. */
#define INCGO_OPT_LABELS_FILE 20

/* An options handle with the given settings (a negative int or NULL string = not set);
 * *out stays NULL when nothing is set. On failure the message is copied to err. */
inception_status incgo_options(inception_options **out, const char *backend,
                               const char *preset, const char *labels, int64_t pool_include_pad,
                               int64_t label_offset, int64_t skip_checksum, int64_t threads,
                               int64_t outputs, int64_t profile, int64_t max_pixels,
                               int64_t exif, int64_t min_side, char *err, size_t errsize);

/* Copy the calling thread's last error message into buf (NUL-terminated). */
void incgo_last_error(char *buf, size_t size);

#endif
