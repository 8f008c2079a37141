/* Shared harness for the fuzz targets (tests/fuzz/fuzz_*.c).
 *
 * Each target defines LLVMFuzzerTestOneInput (and optionally LLVMFuzzerInitialize). It is
 * linked either with libFuzzer (clang, -fsanitize=fuzzer: tools/fuzz.sh) or with
 * regression_driver.c, whose main() replays files and directories named on the command
 * line so `meson test` runs the committed corpora in an ordinary build.
 *
 * A target reports a bug by calling fuzz_fail(), which prints and aborts: the library
 * itself must never abort, but a harness that finds a broken contract must stop loudly. */
#ifndef INC_FUZZ_H
#define INC_FUZZ_H

#include <stddef.h>
#include <stdint.h>

#include <inception/inception.h>

#ifdef __cplusplus
extern "C" {
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* Print `what` with the last error and abort. */
void fuzz_fail(const char *what, inception_status status);

/* The contract every public call keeps: a status the header defines, never INTERNAL
 * (a library bug by definition), a non-empty message on failure, and the out-parameter
 * left untouched on failure (`out_sentinel_kept` is 1 when it still holds what the
 * caller put there). Returns status so calls can be wrapped. */
inception_status fuzz_check(const char *what, inception_status status, int out_sentinel_kept);

/* 1 if `status` is one of the `n` values in `allowed`. */
int fuzz_status_in(inception_status status, const inception_status *allowed, size_t n);

/* Value put in out-parameters before a call, to check failures leave them alone. */
#define FUZZ_SENTINEL ((void *)(uintptr_t)0x5e5e5e5e5e5e5e5eull)

#ifdef __cplusplus
}
#endif

#endif
