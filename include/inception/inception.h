/*
 * libinception — Inception-v3 inference on the CPU behind a stable C ABI.
 *
 * Conventions (they hold for every function below unless its comment says otherwise):
 *  - Every fallible call returns an inception_status; INCEPTION_OK is 0. On failure the
 *    out-parameters are left untouched and nothing leaks. A detail message for the last
 *    failure on the calling thread is available from inception_last_error(); calls that
 *    take a session also keep it in the session (inception_session_last_error()).
 *  - The library never prints, never aborts and never calls exit().
 *  - Ownership: "*_create", "*_load*" and "*_decode*" give the caller a handle that the
 *    caller frees with the matching "*_free". Every "*_free" accepts NULL. "Borrowed"
 *    results stay owned by the object they came from and live as long as it says.
 *  - Strings are UTF-8 and NUL-terminated. Sizes are size_t, dimensions int64_t.
 *  - No pointer the caller passes in is kept after the call returns, except the data of
 *    a tensor made with inception_tensor_wrap(), which the caller keeps alive.
 *  - Threads: an inception_model is immutable once loaded and may be shared by any
 *    number of threads. An inception_session (activation memory and worker threads) is
 *    used by one thread at a time; create one per thread. Options, tensors and images
 *    are plain objects: not for concurrent mutation.
 *
 * A complete program (error checks shortened to keep it readable):
 *
 *     #include <inception/inception.h>
 *     #include <stdio.h>
 *
 *     int main(int argc, char **argv) {
 *         inception_model *model = NULL;
 *         inception_session *session = NULL;
 *         if (inception_model_load_file(argv[1], NULL, &model) != INCEPTION_OK) {
 *             fprintf(stderr, "load: %s\n", inception_last_error());
 *             return 1;
 *         }
 *         inception_session_create(model, NULL, &session);
 *
 *         // Photo to top-5 labels in one call.
 *         int32_t classes[5], n = 0;
 *         float probs[5];
 *         if (inception_session_classify_file(session, argv[2], 5, classes, probs, &n)
 *                 != INCEPTION_OK) {
 *             fprintf(stderr, "classify: %s\n", inception_session_last_error(session));
 *             return 1;
 *         }
 *         for (int32_t i = 0; i < n; i++) {
 *             const char *label = NULL; // NOT_FOUND: the model has no labels
 *             if (inception_model_label(model, classes[i], &label) == INCEPTION_OK)
 *                 printf("%5.3f %s\n", probs[i], label);
 *             else
 *                 printf("%5.3f class %d\n", probs[i], (int)classes[i]);
 *         }
 *
 *         // Or run a tensor you filled yourself: [N, 3, H, W] float32, already normalised.
 *         int64_t dims[4] = {1, 3, 299, 299};
 *         inception_tensor *input = NULL;
 *         inception_tensor_create(INCEPTION_DTYPE_F32, INCEPTION_LAYOUT_NCHW, dims, 4, &input);
 *         float *pixels = (float *)inception_tensor_data(input);   // fill it
 *         (void)pixels;
 *         inception_session_run(session, input);
 *         const inception_tensor *features = NULL;
 *         inception_session_output(session, INCEPTION_OUTPUT_FEATURES, &features);
 *         // features: [1, 2048], borrowed until the next run or session free
 *
 *         inception_tensor_free(input);
 *         inception_session_free(session);
 *         inception_model_free(model);
 *         return 0;
 *     }
 */
#ifndef INCEPTION_INCEPTION_H
#define INCEPTION_INCEPTION_H

#include <stddef.h>
#include <stdint.h>

#include "inception/version.h"

#if defined(INCEPTION_STATIC)
#  define INCEPTION_API
#elif defined(_WIN32)
#  if defined(INCEPTION_BUILDING)
#    define INCEPTION_API __declspec(dllexport)
#  else
#    define INCEPTION_API __declspec(dllimport)
#  endif
#elif defined(__GNUC__) && __GNUC__ >= 4
#  define INCEPTION_API __attribute__((visibility("default")))
#else
#  define INCEPTION_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------------------ */
/* Versions                                                                             */

/* The library's version as MAJOR*10000 + MINOR*100 + PATCH, and as a string. Compare
 * with INCEPTION_VERSION_NUMBER to detect a header/library mismatch. */
INCEPTION_API uint32_t inception_version_number(void);
INCEPTION_API const char *inception_version_string(void);
/* Highest model-file format revision this library reads (INCEPTION_MODEL_FORMAT_VERSION). */
INCEPTION_API uint32_t inception_model_format_version(void);

/* ------------------------------------------------------------------------------------ */
/* Status codes. Values are pinned forever; new codes are only appended.                */

typedef enum inception_status {
    INCEPTION_OK = 0,
    INCEPTION_ERR_INVALID_ARGUMENT = 1, /* NULL where a value is needed, bad enum, k < 1 */
    INCEPTION_ERR_OUT_OF_MEMORY = 2,
    INCEPTION_ERR_IO = 3,               /* cannot open/read a file; a directory */
    INCEPTION_ERR_FORMAT = 4,           /* model file malformed: header, JSON, offsets */
    INCEPTION_ERR_MISSING_TENSOR = 5,   /* a required weight is absent */
    INCEPTION_ERR_SHAPE = 6,            /* a weight or tensor has the wrong shape or rank */
    INCEPTION_ERR_DTYPE = 7,            /* unsupported or wrong element type */
    INCEPTION_ERR_CHECKSUM = 8,         /* inception.crc32 does not match the data */
    INCEPTION_ERR_UNSUPPORTED = 9,      /* valid request this build or model cannot serve */
    INCEPTION_ERR_INPUT_SIZE = 10,      /* image or tensor smaller than 75x75, or too large */
    INCEPTION_ERR_MODEL_MISMATCH = 11,  /* object made for one model used with another */
    INCEPTION_ERR_BACKEND = 12,         /* unknown backend, bad vtable, backend failure */
    INCEPTION_ERR_IMAGE = 13,           /* corrupt or undecodable image bytes */
    INCEPTION_ERR_IMAGE_TOO_LARGE = 14, /* image above the pixel limit (decompression bomb) */
    INCEPTION_ERR_NOT_FOUND = 15,       /* no such label, output, option or backend name */
    INCEPTION_ERR_BUFFER_TOO_SMALL = 16,
    INCEPTION_ERR_NOT_READY = 17,       /* asked for an output before a run produced it */
    INCEPTION_ERR_INTERNAL = 18         /* a bug: please report it with the message */
} inception_status;

/* A static English name for a status ("invalid argument"); never NULL. */
INCEPTION_API const char *inception_status_string(inception_status status);
/* Detail message of the last failed call on this thread ("" if none). Valid until the
 * next library call on this thread. */
INCEPTION_API const char *inception_last_error(void);

/* ------------------------------------------------------------------------------------ */
/* Options: a bag of settings read by model load, session create and image calls.       */
/* Each call reads the keys it knows and ignores the rest, so one bag can serve all.    */

typedef struct inception_options inception_options;

typedef enum inception_option {
    /* Model load. String: "auto" (default: best backend for this CPU, or the
     * INCEPTION_BACKEND environment variable), "ref", "simd", or a registered name. */
    INCEPTION_OPT_BACKEND = 1,
    /* Session. Int: worker threads, 0 (default) = online cores. */
    INCEPTION_OPT_THREADS = 2,
    /* Session. Int: bitmask of inception_output (default LOGITS|PROBABILITIES|FEATURES).*/
    INCEPTION_OPT_OUTPUTS = 3,
    /* Model load: override the file's configuration. Int. */
    INCEPTION_OPT_POOL_INCLUDE_PAD = 4, /* 1: average pools count padded zeros, 0: not */
    INCEPTION_OPT_LABEL_OFFSET = 5,     /* 1 for 1001-class weights with a background */
    /* Model load. String: preprocessing preset, overriding the file's:
     * "torchvision", "timm", "tf", "resize" (the whole image to the input size, no crop:
     * Keras' and most apps' way) or "unit" ("resize" with inputs in [0,1]: mean 0, std 1,
     * TF Hub's convention). See docs/preprocessing.md. */
    INCEPTION_OPT_PRESET = 6,
    /* Model load. Int 0/1: skip the inception.crc32 check (default 0: verify). */
    INCEPTION_OPT_SKIP_CHECKSUM = 7,
    /* Session. Int 0/1: time every layer of each run (default 0); read the figures with
     * inception_session_profile(). */
    INCEPTION_OPT_PROFILE = 8,

    /* Model load. String: path of a labels file, one label per line or a JSON list of
     * strings, UTF-8. It must hold CLASSES labels, or CLASSES - 1 for a 1001-class model
     * with label offset 1 (class 0 is then "background"). Replaces the file's labels. */
    INCEPTION_OPT_LABELS_FILE = 20,
    /* Model load. String "r,g,b": normalisation (network input = (pixel/255 - mean) / std)
     * overriding the file's and the preset's. Values must be finite, std non-zero, and
     * the normalised range of [0,255] pixels finite in float32. */
    INCEPTION_OPT_MEAN = 21,
    INCEPTION_OPT_STD = 22,
    /* Session. String: comma-separated names of blocks whose outputs each run keeps, read
     * with inception_session_output_named(): "Conv2d_1a_3x3", "Conv2d_2a_3x3",
     * "Conv2d_2b_3x3", "maxpool1", "Conv2d_3b_1x1", "Conv2d_4a_3x3", "maxpool2",
     * "Mixed_5b" ... "Mixed_5d", "Mixed_6a" ... "Mixed_6e", "Mixed_7a" ... "Mixed_7c".
     * An unknown name fails inception_session_create (INVALID_ARGUMENT, listing the valid
     * names). Kept tensors add to the session's activation memory. */
    INCEPTION_OPT_EXTRA_OUTPUTS = 23,

    /* Model architecture (40-49). */
    /* Model load. Int: the receptive-field stem (paper section 9, Table 2) for a file that
     * does not say it in inception.stem: 299 (first conv stride 2, torchvision), 151
     * (stride 1), 79 (stride 1, no max pool after the third conv); 0 (default) = the file's.
     * The three stems have identical tensors, so only this or the metadata tells them apart. */
    INCEPTION_OPT_STEM = 40,

    /* Image decoding (100-199). */
    /* Int: refuse images with more pixels than this before allocating (default 1<<28). */
    INCEPTION_OPT_MAX_IMAGE_PIXELS = 100,
    /* Int 0/1: apply EXIF orientation to JPEGs (default 1). */
    INCEPTION_OPT_EXIF_ORIENTATION = 101,
    /* Int: shortest side the consumer needs; lets the JPEG decoder scale in the DCT
     * domain to no less than this (default 0 = full decode). classify sets it itself. */
    INCEPTION_OPT_DECODE_MIN_SIDE = 102
} inception_option;

INCEPTION_API inception_status inception_options_create(inception_options **out);
INCEPTION_API void inception_options_free(inception_options *options);
/* INCEPTION_ERR_NOT_FOUND for an unknown key, INVALID_ARGUMENT for a value out of range
 * or a key of the other type. The string is copied. */
INCEPTION_API inception_status inception_options_set_int(inception_options *options,
                                                         inception_option key, int64_t value);
INCEPTION_API inception_status inception_options_set_string(inception_options *options,
                                                            inception_option key,
                                                            const char *value);

/* ------------------------------------------------------------------------------------ */
/* Tensors                                                                              */

typedef struct inception_tensor inception_tensor;

typedef enum inception_dtype {
    INCEPTION_DTYPE_F32 = 1
} inception_dtype;

typedef enum inception_layout {
    INCEPTION_LAYOUT_NCHW = 1, /* rank 4: [N, C, H, W] */
    INCEPTION_LAYOUT_NHWC = 2, /* rank 4: [N, H, W, C] */
    INCEPTION_LAYOUT_NC = 3    /* rank 2: [N, C] (network outputs) */
} inception_layout;

/* A tensor owning zeroed, 64-byte aligned memory. dims: rank values, each >= 1. */
INCEPTION_API inception_status inception_tensor_create(inception_dtype dtype,
                                                       inception_layout layout,
                                                       const int64_t *dims, int32_t rank,
                                                       inception_tensor **out);
/* A tensor over caller memory, not copied: the caller keeps `data` alive and unchanged
 * while the tensor is in use. `bytes` must equal the product of dims times the element
 * size. `data` must be aligned to the element size. */
INCEPTION_API inception_status inception_tensor_wrap(inception_dtype dtype,
                                                     inception_layout layout,
                                                     const int64_t *dims, int32_t rank,
                                                     void *data, size_t bytes,
                                                     inception_tensor **out);
/* Frees the tensor (and its memory if it owns it). Tensors borrowed from a session are
 * not freed by this call: it does nothing for them. */
INCEPTION_API void inception_tensor_free(inception_tensor *tensor);
/* Accessors; each returns 0 / NULL for a NULL tensor or an index out of range. */
INCEPTION_API inception_dtype inception_tensor_dtype(const inception_tensor *tensor);
INCEPTION_API inception_layout inception_tensor_layout(const inception_tensor *tensor);
INCEPTION_API int32_t inception_tensor_rank(const inception_tensor *tensor);
INCEPTION_API int64_t inception_tensor_dim(const inception_tensor *tensor, int32_t index);
INCEPTION_API void *inception_tensor_data(const inception_tensor *tensor);
INCEPTION_API size_t inception_tensor_byte_size(const inception_tensor *tensor);

/* ------------------------------------------------------------------------------------ */
/* Models                                                                               */

typedef struct inception_model inception_model;

/* Load a safetensors file with torchvision/timm tensor names. Options read: BACKEND,
 * POOL_INCLUDE_PAD, LABEL_OFFSET, PRESET, SKIP_CHECKSUM, LABELS_FILE, MEAN, STD;
 * `options` may be NULL. Errors name the offending tensor or header field in
 * inception_last_error(); a file that is not safetensors at all is named by its first
 * bytes ("not a safetensors file (starts with FF D8 FF, a JPEG?)").
 * A file without fc.* loads as a feature extractor (INFO_HAS_FC 0, CLASSES 0): FEATURES
 * and named blocks work, logits, probabilities and classify give UNSUPPORTED. A file
 * without AuxLogits.* loads with INFO_HAS_AUX 0.
 * With the simd backends (and "auto"), an INCEPTION_SIMD_LEVEL environment value other
 * than "avx2" or "avx512" fails the load with INCEPTION_ERR_BACKEND. */
INCEPTION_API inception_status inception_model_load_file(const char *path,
                                                         const inception_options *options,
                                                         inception_model **out);
/* The same from memory; the bytes are not kept after the call returns. */
INCEPTION_API inception_status inception_model_load_memory(const void *data, size_t size,
                                                           const inception_options *options,
                                                           inception_model **out);
/* Releases the caller's reference. Sessions hold their own reference, so a model freed
 * while sessions exist stays alive until the last of them is freed. */
INCEPTION_API void inception_model_free(inception_model *model);

typedef enum inception_model_info {
    INCEPTION_INFO_CLASSES = 1,          /* width of the classifier (e.g. 1000 or 1001);
                                          * 0 for a feature extractor (no fc) */
    INCEPTION_INFO_LABEL_OFFSET = 2,     /* 1 when class 0 is a background class */
    INCEPTION_INFO_INPUT_HEIGHT = 3,     /* input size the preprocessing preset produces */
    INCEPTION_INFO_INPUT_WIDTH = 4,
    INCEPTION_INFO_PARAMETERS = 5,       /* parameters used for inference (BN counted),
                                          * without the aux head */
    INCEPTION_INFO_HAS_AUX = 6,          /* 1 if the file carries the aux head */
    INCEPTION_INFO_FEATURES = 7,         /* 2048 */
    INCEPTION_INFO_POOL_INCLUDE_PAD = 8,
    INCEPTION_INFO_BN_HAS_GAMMA = 9,
    INCEPTION_INFO_CRC32 = 10,           /* CRC-32 of the data section (computed) */
    INCEPTION_INFO_HAS_LABELS = 11,      /* 1 if the model has its own labels (metadata
                                          * or INCEPTION_OPT_LABELS_FILE) */
    INCEPTION_INFO_MIN_INPUT_SIZE = 12,  /* smallest square input the network runs on:
                                          * 75 (stem 299), 39 (stem 151), 21 (stem 79) */
    INCEPTION_INFO_SYNTHETIC = 13,       /* 1: generated weights (inception.synthetic), so
                                          * labels are meaningless */
    INCEPTION_INFO_HAS_FC = 14,          /* 1 if the file has the fc classifier, 0 for a
                                          * feature extractor */
    INCEPTION_INFO_PARAMETERS_WITH_AUX = 15, /* PARAMETERS plus the aux head's (equal when
                                          * the file has none) */
    INCEPTION_INFO_STEM = 30,            /* 299, 151 or 79 (see INCEPTION_OPT_STEM) */
    INCEPTION_INFO_STEM_CONV = 31,       /* 3: three 3x3 convs (v3), 7: one 7x7 (v2) */
    INCEPTION_INFO_AUX_BN = 32           /* 1: the aux head's fc output is batch-normalised */
} inception_model_info;

INCEPTION_API inception_status inception_model_info_int(const inception_model *model,
                                                        inception_model_info key,
                                                        int64_t *out);

typedef enum inception_model_info_str {
    INCEPTION_INFO_BACKEND = 1,       /* backend the weights were packed for */
    INCEPTION_INFO_PRESET = 2,        /* "torchvision", "timm", "tf", "resize" or "unit" */
    INCEPTION_INFO_NORMALIZATION = 3, /* e.g. "mean=0.5,0.5,0.5 std=0.5,0.5,0.5" */
    INCEPTION_INFO_NAME = 4,          /* inception.name from the metadata, or "" */
    INCEPTION_INFO_ISA = 5,           /* instruction set the backend runs: "avx512", "avx2"
                                       * (simd), "c" (ref), "unknown" (plug-ins) */
    INCEPTION_INFO_ARCHITECTURE = 10  /* e.g. "stem=299 stem_conv=3x3 aux=plain" */
} inception_model_info_str;

/* Borrowed string, valid while the model lives. */
INCEPTION_API inception_status inception_model_info_string(const inception_model *model,
                                                           inception_model_info_str key,
                                                           const char **out);
/* Human-readable label of a class index in [0, CLASSES). The model's own labels (its
 * metadata or INCEPTION_OPT_LABELS_FILE) if it has them; else, for a 1000-class model or a
 * 1001-class model with label offset 1 only, the built-in ImageNet-1k names (with
 * "background" for class 0 of the latter) — a deliberate default, since those heads are
 * the ImageNet ones; INFO_HAS_LABELS stays 0 then. Any other model without labels gives
 * INCEPTION_ERR_NOT_FOUND: classification still works and callers show the index.
 * Class indices: everywhere in this API a class index is the row of the model's own
 * classifier, in [0, CLASSES). For a 1001-class model with label offset 1 (TF-slim,
 * timm's tf_in1k) index 0 is the background class and the ImageNet-1k index of class i
 * is i - LABEL_OFFSET. Borrowed, valid while the model lives. */
INCEPTION_API inception_status inception_model_label(const inception_model *model,
                                                     int64_t class_index, const char **out);

/* ------------------------------------------------------------------------------------ */
/* Sessions                                                                             */

typedef struct inception_session inception_session;

typedef enum inception_output {
    INCEPTION_OUTPUT_LOGITS = 1,        /* [N, CLASSES] */
    INCEPTION_OUTPUT_PROBABILITIES = 2, /* [N, CLASSES], softmax of the logits */
    INCEPTION_OUTPUT_FEATURES = 4,      /* [N, 2048], the pooled features before fc */
    INCEPTION_OUTPUT_AUX_LOGITS = 8     /* [N, CLASSES], needs HAS_AUX; a run whose input is
                                         * too small for the aux head (below 299x299:
                                         * its Mixed_6e grid must be 17x17) succeeds
                                         * without it (reading it: NOT_READY) */
} inception_output;

/* Options read: THREADS, OUTPUTS, PROFILE, EXTRA_OUTPUTS, and MAX_IMAGE_PIXELS and
 * EXIF_ORIENTATION for the session's classify calls. Asking for AUX_LOGITS on a model
 * without the aux head is INCEPTION_ERR_UNSUPPORTED. On a feature extractor (no fc) the
 * default outputs reduce to FEATURES; LOGITS/PROBABILITIES are then read as UNSUPPORTED.
 * The session holds a reference to the model. */
INCEPTION_API inception_status inception_session_create(const inception_model *model,
                                                        const inception_options *options,
                                                        inception_session **out);
INCEPTION_API void inception_session_free(inception_session *session);
/* Detail message of the session's last failure ("" if none). Valid until the next call
 * on the session. */
INCEPTION_API const char *inception_session_last_error(const inception_session *session);

/* Run the network. `input` is float32, NCHW [N,3,H,W] or NHWC [N,H,W,3], N >= 1,
 * H and W >= 75, already normalised as the model expects (see the image calls below).
 * Activation memory is planned on the first run of each input shape and reused. */
INCEPTION_API inception_status inception_session_run(inception_session *session,
                                                     const inception_tensor *input);
/* An output of the last successful run, borrowed: valid until the next run or the
 * session's free. NOT_READY before a run (or aux logits the last run could not compute);
 * NOT_FOUND if the output was not requested; UNSUPPORTED for logits or probabilities of
 * a model without fc. */
INCEPTION_API inception_status inception_session_output(const inception_session *session,
                                                        inception_output which,
                                                        const inception_tensor **out);
/* The output of block `name` (one of INCEPTION_OPT_EXTRA_OUTPUTS) from the last successful
 * run: NHWC float32 [N, H, W, C], borrowed like inception_session_output(). NOT_FOUND if
 * the session was not created with it, NOT_READY before a run. */
INCEPTION_API inception_status inception_session_output_named(const inception_session *session,
                                                              const char *name,
                                                              const inception_tensor **out);

/* Bytes of activation and scratch memory the session holds for the input shape of its
 * last run (0 before the first run). Planned by lifetime, so it is far less than the sum
 * of all intermediate tensors. */
INCEPTION_API inception_status inception_session_memory(const inception_session *session,
                                                        int64_t *bytes);

/* Per-layer figures of the last run of a session created with INCEPTION_OPT_PROFILE=1.
 * index runs over the layers executed, in graph order; NOT_FOUND past the end. `name` is
 * the torchvision module name, `kind` a shape class ("conv3x3", "conv1x7", "conv3x3s2",
 * "fc", "maxpool", "avgpool", "gap"), `macs` the multiply-adds for the whole batch and
 * `milliseconds` the thread time spent in the layer (summed over its parallel parts).
 * Strings are borrowed for the session's lifetime. Any out pointer may be NULL. */
INCEPTION_API inception_status inception_session_profile(const inception_session *session,
                                                         int32_t index, const char **name,
                                                         const char **kind, int64_t *macs,
                                                         double *milliseconds);

/* ------------------------------------------------------------------------------------ */
/* Images: decode, preprocess, classify                                                 */

typedef struct inception_image inception_image; /* decoded 8-bit RGB pixels */

typedef enum inception_pixel_format {
    INCEPTION_PIXEL_RGB = 1,
    INCEPTION_PIXEL_RGBA = 2,
    INCEPTION_PIXEL_BGR = 3,
    INCEPTION_PIXEL_BGRA = 4,
    INCEPTION_PIXEL_GRAY = 5
} inception_pixel_format;

/* Decode a JPEG or PNG (detected from its bytes). Options read: MAX_IMAGE_PIXELS,
 * EXIF_ORIENTATION, DECODE_MIN_SIDE; `options` may be NULL. */
INCEPTION_API inception_status inception_image_decode_file(const char *path,
                                                           const inception_options *options,
                                                           inception_image **out);
INCEPTION_API inception_status inception_image_decode_memory(const void *data, size_t size,
                                                             const inception_options *options,
                                                             inception_image **out);
/* Copy caller pixels (rows `row_stride` bytes apart) into an image. Alpha is dropped. */
INCEPTION_API inception_status inception_image_from_pixels(const void *pixels, int32_t width,
                                                           int32_t height, size_t row_stride,
                                                           inception_pixel_format format,
                                                           const inception_options *options,
                                                           inception_image **out);
INCEPTION_API void inception_image_free(inception_image *image);
INCEPTION_API int32_t inception_image_width(const inception_image *image);
INCEPTION_API int32_t inception_image_height(const inception_image *image);
/* Packed RGB rows (width*3 bytes each), borrowed for the image's lifetime. */
INCEPTION_API const uint8_t *inception_image_pixels(const inception_image *image);

/* A zeroed input tensor of the model's input size for `batch` images. */
INCEPTION_API inception_status inception_model_create_input(const inception_model *model,
                                                            int64_t batch,
                                                            inception_layout layout,
                                                            inception_tensor **out);
/* Resize, crop and normalise `image` with the model's preset into slot `index` of
 * `batch` (an NCHW or NHWC float32 tensor whose H and W set the output size). */
INCEPTION_API inception_status inception_image_preprocess(const inception_model *model,
                                                          const inception_image *image,
                                                          inception_tensor *batch,
                                                          int64_t index);

/* Encoded image bytes to the k most probable classes, best first. k < 1 is
 * INVALID_ARGUMENT; a k larger than CLASSES is clamped to CLASSES, so `classes` and `probs`
 * need min(k, CLASSES) entries each (never more are written); *count receives how many
 * were written (min(k, CLASSES)). Labels come from inception_model_label() (a model
 * without labels still classifies). A model without fc gives INCEPTION_ERR_UNSUPPORTED. */
INCEPTION_API inception_status inception_session_classify(inception_session *session,
                                                          const void *data, size_t size,
                                                          int32_t k, int32_t *classes,
                                                          float *probs, int32_t *count);
INCEPTION_API inception_status inception_session_classify_file(inception_session *session,
                                                               const char *path, int32_t k,
                                                               int32_t *classes, float *probs,
                                                               int32_t *count);
/* The same from a decoded image (for raw pixels, make one with
 * inception_image_from_pixels()). The image is only read. */
INCEPTION_API inception_status inception_session_classify_image(inception_session *session,
                                                                const inception_image *image,
                                                                int32_t k, int32_t *classes,
                                                                float *probs, int32_t *count);

/* ------------------------------------------------------------------------------------ */
/* Backends (the plug-in ABI itself is in inception/backend.h)                          */

/* Number of registered backends and the name of the i-th (borrowed, process lifetime). */
INCEPTION_API int32_t inception_backend_count(void);
INCEPTION_API const char *inception_backend_name(int32_t index);
/* 1 if the named backend can run on this machine, 0 if not or unknown. */
INCEPTION_API int32_t inception_backend_available(const char *name);

#ifdef __cplusplus
}
#endif

#endif /* INCEPTION_INCEPTION_H */
