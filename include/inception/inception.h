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
 *    used by one thread at a time; create one per thread. A call on a session that
 *    another thread is inside returns INCEPTION_ERR_BUSY at once and changes nothing
 *    (see inception_session_free for a free during a call). Options, tensors and images
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
    INCEPTION_ERR_IMAGE_TOO_LARGE = 14, /* image above the pixel, decode-memory or JPEG
                                         * scan limit (decompression bomb) */
    INCEPTION_ERR_NOT_FOUND = 15,       /* no such label, output, option or backend name */
    INCEPTION_ERR_BUFFER_TOO_SMALL = 16,
    INCEPTION_ERR_NOT_READY = 17,       /* asked for an output before a run produced it */
    INCEPTION_ERR_INTERNAL = 18,        /* a bug: please report it with the message */
    INCEPTION_ERR_BUSY = 19,            /* session in use by another thread, or freed while
                                         * this call was using it (see Sessions) */
    INCEPTION_ERR_NUMERIC = 20,         /* a non-finite value came out of finite input: the
                                         * message names the output or step (NaN loss) */
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
    /* Session. Int: worker threads, 0 (default) = online cores (at most 256); any value
     * up to 1024 works (more threads than cores only adds switching). */
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
    /* Model load and session. Int: bytes of activation and scratch memory a session may
     * plan for one input shape (what inception_session_memory() reports); a run whose
     * shape needs more is INCEPTION_ERR_INPUT_SIZE before anything is allocated, and a
     * model whose inception.input_size needs more for one image is refused at load.
     * Default 4 GiB (1<<32); 0 = no limit. */
    INCEPTION_OPT_MAX_SESSION_MEMORY = 9,

    /* Model load. String: path of a labels file, one label per line or a JSON list of
     * strings, UTF-8. It must hold CLASSES labels, or CLASSES - 1 for a 1001-class model
     * with label offset 1 (class 0 is then "background"). Replaces the file's labels. */
    INCEPTION_OPT_LABELS_FILE = 20,
    /* Model load. String "r,g,b": normalisation (network input = (pixel/255 - mean) / std)
     * overriding the file's and the preset's. Values must be finite, std in [1e-6, 1e6]
     * and |mean| <= 1e6 (so the normalised range of [0,255] pixels stays finite, within
     * about 1e12); otherwise the load fails with INVALID_ARGUMENT. */
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

    /* int8 inference (60-69; docs/int8.md). */
    /* Model load. String: "float", "int8" or "auto" (default: int8 iff the file is
     * quantised, i.e. carries inception.quant.calibration). "int8" on a float file needs
     * INCEPTION_OPT_QUANT_CALIBRATION; "float" on a quantised file runs its float weights. */
    INCEPTION_OPT_PRECISION = 60,
    /* Model load. String: path of a calibration record (inception_calibrate) that
     * quantises a float model at load; it implies PRECISION "int8" unless PRECISION says
     * "float". */
    INCEPTION_OPT_QUANT_CALIBRATION = 61,
    /* inception_calibrate / inception_quantize. String: how activation ranges are taken
     * from the calibration images, per tensor and image, the largest over the images:
     * "mse" (default since 1.1: the clip that minimises the uint8 rounding plus clipping
     * error of the tensor's values), "minmax" (largest value seen), "percentile" (the
     * 99.99th percentile) or "percentile=P" with P in [50, 100]. */
    INCEPTION_OPT_QUANT_METHOD = 62,
    /* inception_quantize, and a model load with INCEPTION_OPT_QUANT_CALIBRATION. Int 8
     * (default: weights in [-127, 127] per output channel) or 7 ([-64, 64]: the AVX2 int8
     * kernels then use vpmaddubsw, about 20% faster, at an accuracy cost: docs/int8.md). */
    INCEPTION_OPT_QUANT_WEIGHT_BITS = 63,
    /* inception_quantize / inception_calibrate. Int 1 (default) or 0: correct each int8
     * convolution's bias for the mean shift its weight rounding causes, from the
     * per-channel means of its input on the calibration images (docs/int8.md). With 1,
     * inception_calibrate writes a version 2 record holding those means, and quantising at
     * load from it corrects like inception_quantize; 0 writes version 1 (no means). */
    INCEPTION_OPT_QUANT_BIAS_CORRECTION = 65,

    /* Multi-crop evaluation (50-59), read by session create for the session's classify
     * calls and by the ensemble classify calls; docs/paper.md describes every crop. */
    /* Int 1, 10, 12 or 144: crops averaged per image (default 1: the preset's centre crop). */
    INCEPTION_OPT_CROPS = 50,
    /* Int 0 (default): average the crops' softmax probabilities; 1: average their logits
     * and report the softmax of the mean. */
    INCEPTION_OPT_CROP_AVERAGE = 51,
    /* Int 1..144: most crops per network run (default 8), so memory does not grow with
     * the crop count. */
    INCEPTION_OPT_CROP_BATCH = 52,

    /* Image decoding (100-199). */
    /* Int: refuse images with more pixels than this before allocating (default 1<<28). */
    INCEPTION_OPT_MAX_IMAGE_PIXELS = 100,
    /* Int 0/1: apply EXIF orientation to JPEGs (default 1). */
    INCEPTION_OPT_EXIF_ORIENTATION = 101,
    /* Int: shortest side the consumer needs; lets the JPEG decoder scale in the DCT
     * domain to no less than this (default 0 = full decode). classify sets it itself. */
    INCEPTION_OPT_DECODE_MIN_SIDE = 102,
    /* Int, bytes: memory one decode may hold at once (default 1<<30 = 1 GiB): the pixels
     * it returns, libjpeg's coefficient buffers (a whole image's worth for progressive
     * and multi-scan JPEGs, even when DCT scaling shrinks the output) and work rows,
     * libspng's buffers. Checked from the header before the large buffers are allocated;
     * above it the decode fails with IMAGE_TOO_LARGE. Range [1, INT64_MAX]. */
    INCEPTION_OPT_MAX_DECODE_MEMORY = 103,
    /* Int: most scans a JPEG may have (default 500; a progressive photo has ~10). Every
     * scan of a progressive JPEG passes over its coefficient buffer, so this bounds the
     * decode time; more scans fail with IMAGE_TOO_LARGE. Range [1, 1<<20]. */
    INCEPTION_OPT_MAX_JPEG_SCANS = 104,

    /* Training (300-399), read by inception_trainer_create; docs/training.md has the
     * recipe. "Number" keys are set with inception_options_set_double. */
    /* Int >= 2: number of classes of the new head (or from TRAIN_LABELS / TRAIN_DATA). */
    INCEPTION_OPT_TRAIN_CLASSES = 300,
    /* String: the class labels, one per line (count sets or must match CLASSES). */
    INCEPTION_OPT_TRAIN_LABELS = 301,
    /* Int >= 0: seed of every random choice (fc init, shuffling, augmentation). Default 0. */
    INCEPTION_OPT_TRAIN_SEED = 302,
    /* Int in [1, 65536]: examples per step (default 32). */
    INCEPTION_OPT_TRAIN_BATCH = 303,
    /* String: "rmsprop" (default, the paper's) or "sgd" (with momentum). */
    INCEPTION_OPT_TRAIN_OPTIMIZER = 304,
    /* Number > 0: initial learning rate (default 0.045). */
    INCEPTION_OPT_TRAIN_LR = 305,
    /* String: "exponential" (default: LR * DECAY^floor(epoch / DECAY_EPOCHS)) or "constant". */
    INCEPTION_OPT_TRAIN_LR_SCHEDULE = 306,
    /* Number in (0, 1]: the exponential schedule's factor (default 0.94). */
    INCEPTION_OPT_TRAIN_LR_DECAY = 307,
    /* Number > 0: epochs between decays (default 2). */
    INCEPTION_OPT_TRAIN_LR_DECAY_EPOCHS = 308,
    /* Int >= 0: examples per epoch for the schedule when training on batches you pass in
     * (0 = unknown: the schedule stays at LR). TRAIN_DATA sets it to the training split. */
    INCEPTION_OPT_TRAIN_EPOCH_SIZE = 309,
    /* Number in [0, 1): momentum; default -1 = the optimizer's (0.9 for sgd, 0 for rmsprop). */
    INCEPTION_OPT_TRAIN_MOMENTUM = 310,
    /* Number in [0, 1): RMSProp's decay of the mean square (default 0.9). */
    INCEPTION_OPT_TRAIN_RMSPROP_DECAY = 311,
    /* Number > 0: RMSProp epsilon (default 1.0, the paper's). */
    INCEPTION_OPT_TRAIN_EPSILON = 312,
    /* String: "tf" (default: sqrt(ms + eps), ms starts at 1, as TF's RMSPropOptimizer) or
     * "pytorch" (sqrt(ms) + eps, ms starts at 0, as torch.optim.RMSprop). */
    INCEPTION_OPT_TRAIN_EPSILON_PLACEMENT = 313,
    /* Number >= 0: L2 weight decay on fc.weight (not the bias), added to the gradient
     * (default 0.00004, TF-slim's Inception value). */
    INCEPTION_OPT_TRAIN_WEIGHT_DECAY = 314,
    /* Number >= 0: clip the gradients to this global norm (default 2.0; 0 = off). */
    INCEPTION_OPT_TRAIN_CLIP_NORM = 315,
    /* Number in [0, 1): decay of the parameters' moving average used by evaluate and save
     * (default 0.9999; 0 = off), warmed up as TF: min(decay, (1 + n) / (10 + n)). */
    INCEPTION_OPT_TRAIN_EMA_DECAY = 316,
    /* Number in [0, 1): label smoothing epsilon (default 0.1). */
    INCEPTION_OPT_TRAIN_LABEL_SMOOTHING = 317,
    /* String: the model file the trunk is copied from on save, for a model loaded from
     * memory (a model loaded from a file remembers its path). Checked by CRC-32. */
    INCEPTION_OPT_TRAIN_BASE_MODEL = 318,
    /* String: "none" (default) or a comma list of "crop", "flip", "color". */
    INCEPTION_OPT_TRAIN_AUGMENT = 319,
    /* Numbers: random resized crop area fraction range (default 0.08..1) and aspect ratio
     * range (default 3/4..4/3), as torchvision's RandomResizedCrop. */
    INCEPTION_OPT_TRAIN_CROP_SCALE_MIN = 320,
    INCEPTION_OPT_TRAIN_CROP_SCALE_MAX = 321,
    INCEPTION_OPT_TRAIN_CROP_RATIO_MIN = 322,
    INCEPTION_OPT_TRAIN_CROP_RATIO_MAX = 323,
    /* Int in [1, 64]: augmented views per training image, cycled by epoch (default 4). */
    INCEPTION_OPT_TRAIN_VIEWS = 324,
    /* Number in [0, 1): fraction of a folder's images held out for validation, chosen by
     * a hash of the file name (default 0.1). */
    INCEPTION_OPT_TRAIN_VAL_FRACTION = 325,
    /* String: directory of the on-disk feature cache (default: none, memory only). */
    INCEPTION_OPT_TRAIN_CACHE_DIR = 326,
    /* String: training data: a folder per class, or a list file of "path label" lines. */
    INCEPTION_OPT_TRAIN_DATA = 327,
    /* String: a list file of validation images (instead of the hashed split). */
    INCEPTION_OPT_TRAIN_VAL_DATA = 328,
    /* Int: side of the images fed to the trunk (default 0 = the model's input size). */
    INCEPTION_OPT_TRAIN_INPUT_SIZE = 329,
    /* String: what is trained (default "fc", the head alone): "Mixed_5b" ... "Mixed_7c"
     * (that block onward, with the head), "all" (the whole network) or "last:N" (the head
     * and the last N of the 11 Mixed blocks). Below the scope the network is frozen and
     * runs in inference mode; inside it BatchNorm runs in train mode. */
    INCEPTION_OPT_TRAIN_SCOPE = 330,
    /* Double >= 0: weight w of the auxiliary classifier's loss, loss = main + w * aux
     * (label smoothing on both), when the scope holds Mixed_6e (the aux head's input) and
     * the model has the plain aux head: then AuxLogits.conv0/conv1 train with a new
     * TRAIN_CLASSES-wide AuxLogits.fc and are saved. Default -1: 0.4 (torchvision's and
     * TF-slim's training scripts) where the head can run, else off. An explicit w > 0
     * that cannot take effect is an error: at create (scope above Mixed_6e, no
     * AuxLogits.* in the file, the BN-auxiliary variant) or at a step (input too small:
     * Mixed_6e under 17x17, about 299x299 images); the default turns off instead, which
     * INCEPTION_TRAINER_AUX_ACTIVE reports. 0: off. */
    INCEPTION_OPT_TRAIN_AUX_WEIGHT = 331,
    /* Int 0/1: 1 = BatchNorm inside the scope uses its running statistics and does not
     * update them (gamma and beta still train). Default 0: batch statistics. */
    INCEPTION_OPT_TRAIN_FROZEN_BN = 332,
    /* Double in [0, 1]: BatchNorm running-statistic momentum, PyTorch's convention
     * (running = (1 - m) running + m batch; default 0.1). */
    INCEPTION_OPT_TRAIN_BN_MOMENTUM = 333,
    /* Double in [0, 1): dropout before the fc in training steps below the head (default -1:
     * 0.5 as torchvision's Inception3 when the scope is deeper than fc, 0 for fc). */
    INCEPTION_OPT_TRAIN_DROPOUT = 334,
    /* String: how the new head's fc starts. "torchvision" (default): weight ~
     * trunc_normal(0, 0.1), as Inception3's init_weights; "linear": weight and bias ~
     * U(+-1/sqrt(2048)), as a torch.nn.Linear that replaces model.fc. The smaller "linear"
     * start suits training below the head (docs/training.md, "Choosing the head's start"). */
    INCEPTION_OPT_TRAIN_HEAD_INIT = 335
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
/* For the keys documented as "Number". NaN and infinities are INVALID_ARGUMENT. (1.1) */
INCEPTION_API inception_status inception_options_set_double(inception_options *options,
                                                            inception_option key, double value);

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
 * POOL_INCLUDE_PAD, LABEL_OFFSET, PRESET, SKIP_CHECKSUM, LABELS_FILE, MEAN, STD,
 * MAX_SESSION_MEMORY; `options` may be NULL. Errors name the offending tensor or header
 * field in inception_last_error(); a file that is not safetensors at all is named by its
 * first bytes ("not a safetensors file (starts with FF D8 FF, a JPEG?)").
 * A file without fc.* loads as a feature extractor (INFO_HAS_FC 0, CLASSES 0): FEATURES
 * and named blocks work, logits, probabilities and classify give UNSUPPORTED. A file
 * without AuxLogits.* loads with INFO_HAS_AUX 0.
 * With the simd backends (and "auto"), an INCEPTION_SIMD_LEVEL environment value other
 * than "avx2" or "avx512" fails the load with INCEPTION_ERR_BACKEND.
 * The file is read into memory (not mapped), so another process truncating or rewriting
 * it meanwhile gives INCEPTION_ERR_IO ("changed size") or a FORMAT/CHECKSUM error, never
 * a signal. Anything but a regular file (a FIFO, socket, device, directory) is
 * INCEPTION_ERR_IO at once, without blocking. Metadata is bounded: inception.input_size
 * at most 2048 a side and within MAX_SESSION_MEMORY for one image (INPUT_SIZE if not);
 * inception.std in [1e-6, 1e6] and |inception.mean| <= 1e6, so normalised pixels stay
 * finite (FORMAT if not). */
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
    INCEPTION_INFO_AUX_BN = 32,          /* 1: the aux head's fc output is batch-normalised */
    INCEPTION_INFO_QUANTIZED = 40,       /* 1: the convolutions run int8 (docs/int8.md) */
    INCEPTION_INFO_QUANTIZED_LAYERS = 41, /* convolutions running int8 (0 for float) */
    INCEPTION_INFO_CALIBRATION_IMAGES = 42 /* images behind the calibration record, or 0 */
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
    INCEPTION_INFO_ARCHITECTURE = 10, /* e.g. "stem=299 stem_conv=3x3 aux=plain" */
    INCEPTION_INFO_PRECISION = 20,    /* "float" or "int8": how the model runs */
    INCEPTION_INFO_CALIBRATION_METHOD = 21, /* e.g. "percentile=99.99", "minmax", or "" */
    INCEPTION_INFO_INT8_LEVEL = 22    /* int8 kernel level ("avx2", "avxvnni", ...) or "" */
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
    INCEPTION_OUTPUT_AUX_LOGITS = 8,    /* [N, CLASSES], needs HAS_AUX; a run whose input is
                                         * too small for the aux head (below 299x299:
                                         * its Mixed_6e grid must be 17x17) succeeds
                                         * without it (reading it: NOT_READY) */
    /* NHWC [N, H', W', 2048]: Mixed_7c's output before global pooling (8x8 at 299), the
     * map class activation maps are made of (inception_session_cam). The same tensor as
     * inception_session_output_named(session, "Mixed_7c"). */
    INCEPTION_OUTPUT_FEATURE_MAP = 16
} inception_output;

/* Options read: THREADS, OUTPUTS, PROFILE, EXTRA_OUTPUTS, and MAX_IMAGE_PIXELS,
 * EXIF_ORIENTATION, CROPS, CROP_AVERAGE and CROP_BATCH for the session's classify calls. Asking for AUX_LOGITS on a model
 * without the aux head is INCEPTION_ERR_UNSUPPORTED. On a feature extractor (no fc) the
 * default outputs reduce to FEATURES; LOGITS/PROBABILITIES are then read as UNSUPPORTED.
 * The session holds a reference to the model. */
INCEPTION_API inception_status inception_session_create(const inception_model *model,
                                                        const inception_options *options,
                                                        inception_session **out);
/* Freeing a session while another thread is inside a call on it does not free it under
 * that call: free returns at once, later calls get INCEPTION_ERR_BUSY, and the call in
 * progress frees the session as it finishes and returns INCEPTION_ERR_BUSY ("freed") in
 * place of its result. Any use after that (or after a free of an idle session) is a use
 * of freed memory, as with any handle; a second free during the first is ignored. */
INCEPTION_API void inception_session_free(inception_session *session);
/* Detail message of the session's last failure ("" if none). Valid until the next call
 * on the session. A call refused with BUSY does not touch it (its message is in
 * inception_last_error() only). */
INCEPTION_API const char *inception_session_last_error(const inception_session *session);

/* Run the network. `input` is float32, NCHW [N,3,H,W] or NHWC [N,H,W,3], N >= 1,
 * H and W >= 75, already normalised as the model expects (see the image calls below).
 * Activation memory is planned on the first run of each input shape and reused; a shape
 * needing more than the session's MAX_SESSION_MEMORY is INCEPTION_ERR_INPUT_SIZE before
 * anything is allocated. Every input value must be finite (INVALID_ARGUMENT names the
 * first that is not). Every output is checked after the run: a NaN or infinity (weights
 * so large that float32 overflows) is INCEPTION_ERR_NUMERIC naming the output and
 * element, and the run keeps no outputs (NOT_READY). BUSY: see the Threads note. */
INCEPTION_API inception_status inception_session_run(inception_session *session,
                                                     const inception_tensor *input);
/* An output of the last successful run, borrowed: valid until the next run or the
 * session's free. NOT_READY before a run (or aux logits the last run could not compute);
 * NOT_FOUND if the output was not requested; UNSUPPORTED for logits or probabilities of
 * a model without fc; BUSY while another thread is inside a call on the session (read
 * outputs on the thread that ran). */
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
/* Class activation map of class `class_index` for image `image_index` of the last run:
 * CAM(y, x) = sum_c w[class][c] * F[y][x][c] over the FEATURE_MAP output F (the session
 * needs INCEPTION_OUTPUT_FEATURE_MAP) and the fc weights w. Its mean over the H' x W'
 * grid plus the fc bias is the class's logit. *out: a new float32 NHWC tensor
 * [1, H', W', 1] the caller frees.
 * UNSUPPORTED for a model without fc; INVALID_ARGUMENT for an index out of range. */
INCEPTION_API inception_status inception_session_cam(const inception_session *session,
                                                     int64_t image_index, int64_t class_index,
                                                     inception_tensor **out);

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
 * EXIF_ORIENTATION, DECODE_MIN_SIDE, MAX_DECODE_MEMORY, MAX_JPEG_SCANS; `options` may be
 * NULL. classify reads the same keys from the session's options. */
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
 * without labels still classifies). A model without fc gives INCEPTION_ERR_UNSUPPORTED.
 * The session is held for the whole call (BUSY for other threads meanwhile), and a run's
 * NUMERIC status is passed on. */
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
/* Multi-crop evaluation (paper Table 4; docs/paper.md)                                 */

/* The `crops` crops (1, 10, 12 or 144) of `image` for `model`, preprocessed (the model's
 * filter and normalisation) into a new NCHW float32 tensor [crops, 3, H, W] at the model's
 * input size, in the documented order (crop 2i+1 is the mirror of crop 2i for crops > 1).
 * The caller frees it. crops = 1 gives exactly inception_image_preprocess's input. */
INCEPTION_API inception_status inception_image_crops(const inception_model *model,
                                                     const inception_image *image,
                                                     int32_t crops, inception_tensor **out);

/* ------------------------------------------------------------------------------------ */
/* int8 (docs/int8.md)                                                                  */

/* Run the float `model` on the calibration images `paths[0, n)` (decoded and preprocessed
 * like inception_image_preprocess, at the model's input size) and write a calibration
 * record (JSON, docs/int8.md) holding a range for every activation tensor, measured with
 * INCEPTION_OPT_QUANT_METHOD of `options` (NULL: defaults). Loading the float model
 * again with INCEPTION_OPT_QUANT_CALIBRATION = record_path runs it int8.
 * Errors: INVALID_ARGUMENT (no images, a NULL path, a model that already runs int8),
 * the decoder's status naming an unreadable image, IO when the record cannot be written
 * (no partial file is left). */
INCEPTION_API inception_status inception_calibrate(const inception_model *model,
                                                   const char *const *paths, size_t n,
                                                   const inception_options *options,
                                                   const char *record_path);

/* Calibrate like inception_calibrate and write a quantised model to `out_path`
 * (safetensors, docs/model-format.md "Quantised files"): the convolutions that run int8
 * stored as I8 per-output-channel symmetric weights with BatchNorm folded
 * (<layer>.conv.qweight [out, kh, kw, in], .conv.weight_scale F32 [out], .conv.bias F32
 * [out]), the rest as in the source, the record in inception.quant.calibration.
 * inception_model_load_* run it int8 (or float with INCEPTION_OPT_PRECISION "float").
 * `model` must be a float model loaded with inception_model_load_file (its weights are
 * read from that file again). Errors as inception_calibrate's; IO when the output cannot
 * be written (written to out_path.tmp and renamed, so no partial file is left). */
INCEPTION_API inception_status inception_quantize(const inception_model *model,
                                                  const char *const *paths, size_t n,
                                                  const inception_options *options,
                                                  const char *out_path);

/* ------------------------------------------------------------------------------------ */
/* Ensembles (paper Table 5; docs/paper.md)                                             */

typedef struct inception_ensemble inception_ensemble;

/* An ensemble of `count` (1..64) models, each loaded with its own options (preset,
 * normalisation, variant). They must share the class space: same CLASSES and LABEL_OFFSET,
 * else INCEPTION_ERR_MODEL_MISMATCH naming both models; a model without fc is UNSUPPORTED.
 * `options` is read as by inception_session_create (THREADS, CROPS, CROP_AVERAGE,
 * CROP_BATCH, image limits) for one session per member, made here; the ensemble holds a
 * reference to each model. Threads: like a session, an ensemble is used by one thread at
 * a time (make one per thread; the models can be shared). */
INCEPTION_API inception_status inception_ensemble_create(const inception_model *const *models,
                                                         int32_t count,
                                                         const inception_options *options,
                                                         inception_ensemble **out);
INCEPTION_API void inception_ensemble_free(inception_ensemble *ensemble);
/* Detail message of the ensemble's last failure ("" if none). */
INCEPTION_API const char *inception_ensemble_last_error(const inception_ensemble *ensemble);
/* As inception_session_classify*, with the members' probabilities (each averaged over its
 * crops first) averaged with equal weight. An image is decoded once for all members. */
INCEPTION_API inception_status inception_ensemble_classify(inception_ensemble *ensemble,
                                                           const void *data, size_t size,
                                                           int32_t k, int32_t *classes,
                                                           float *probs, int32_t *count);
INCEPTION_API inception_status inception_ensemble_classify_file(inception_ensemble *ensemble,
                                                                const char *path, int32_t k,
                                                                int32_t *classes, float *probs,
                                                                int32_t *count);
INCEPTION_API inception_status inception_ensemble_classify_image(inception_ensemble *ensemble,
                                                                 const inception_image *image,
                                                                 int32_t k, int32_t *classes,
                                                                 float *probs, int32_t *count);

/* Training a new classifier head on the 2048-d features (1.1; docs/training.md)        */
/*                                                                                      */
/* The trunk is frozen: each image runs through it once per view and its features are   */
/* cached; the head is a new fc (K x 2048 + K) trained with label-smoothed softmax     */
/* cross-entropy, RMSProp or SGD, global-norm clipping and a moving average of the      */
/* parameters that evaluate and save use. Head arithmetic is float32 in a fixed order,  */
/* so results do not depend on the thread count. A trainer is used by one thread at a   */
/* time; it holds a reference to the model and its own session.                         */

typedef struct inception_trainer inception_trainer;

/* Options read: the TRAIN_* keys, and THREADS / BACKEND-independent session keys for its
 * session. Classes come from TRAIN_DATA's folders, TRAIN_LABELS or TRAIN_CLASSES (all
 * given must agree; at least 2 classes). With TRAIN_DATA the folder or list is scanned
 * now (unreadable images are found later, skipped and reported by
 * inception_trainer_skipped). The new fc is initialised as torchvision initialises
 * Inception3's fc from TRAIN_SEED. */
INCEPTION_API inception_status inception_trainer_create(const inception_model *model,
                                                        const inception_options *options,
                                                        inception_trainer **out);
INCEPTION_API void inception_trainer_free(inception_trainer *trainer);
/* Detail message of the trainer's last failure ("" if none). */
INCEPTION_API const char *inception_trainer_last_error(const inception_trainer *trainer);

/* One optimizer step on n examples. `input` is either a preprocessed image batch
 * (float32 [n,3,H,W] or [n,H,W,3], run through the trunk) or features (float32 NC
 * [n, 2048]). labels[i] in [0, K). *loss receives the batch's mean loss before the step.
 * A non-finite loss or gradient is INCEPTION_ERR_NUMERIC naming the step; the
 * parameters are left as they were. */
INCEPTION_API inception_status inception_trainer_train_batch(inception_trainer *trainer,
                                                             const inception_tensor *input,
                                                             const int32_t *labels, float *loss);
/* The same from image files (JPEG/PNG), preprocessed with the model's preset (with
 * TRAIN_AUGMENT, an augmented view chosen by the step). */
INCEPTION_API inception_status inception_trainer_train_files(inception_trainer *trainer,
                                                             const char *const *paths,
                                                             const int32_t *labels, int64_t n,
                                                             float *loss);
/* One step on the next batch of TRAIN_DATA's training split (reshuffled each epoch from
 * the seed). *loss as above. NOT_READY without TRAIN_DATA. */
INCEPTION_API inception_status inception_trainer_step(inception_trainer *trainer, float *loss);

/* Evaluate with the averaged parameters, accumulating into the trainer's evaluation
 * counters (cleared by inception_trainer_eval_reset; read with inception_trainer_info_double and
 * inception_trainer_confusion). Input as for train_batch. */
INCEPTION_API inception_status inception_trainer_evaluate(inception_trainer *trainer,
                                                          const inception_tensor *input,
                                                          const int32_t *labels);
INCEPTION_API inception_status inception_trainer_evaluate_files(inception_trainer *trainer,
                                                                const char *const *paths,
                                                                const int32_t *labels,
                                                                int64_t n);
/* Evaluate the whole validation split of TRAIN_DATA (counters reset first). */
INCEPTION_API inception_status inception_trainer_evaluate_validation(inception_trainer *trainer);
INCEPTION_API inception_status inception_trainer_eval_reset(inception_trainer *trainer);
/* The confusion matrix of the counters: K*K counts, row = true class, column = top-1
 * prediction. `count` must be at least K*K (else BUFFER_TOO_SMALL). */
INCEPTION_API inception_status inception_trainer_confusion(const inception_trainer *trainer,
                                                           int64_t *out, size_t count);
/* Logits of the averaged head for `input` (as for train_batch): n*K floats into `out`,
 * which holds `count` floats. */
INCEPTION_API inception_status inception_trainer_logits(inception_trainer *trainer,
                                                        const inception_tensor *input,
                                                        float *out, size_t count);

typedef enum inception_trainer_info {
    INCEPTION_TRAINER_CLASSES = 1,
    INCEPTION_TRAINER_STEP = 2,            /* optimizer steps done */
    INCEPTION_TRAINER_EXAMPLES = 3,        /* training examples seen */
    INCEPTION_TRAINER_EPOCH = 4,           /* examples / epoch size (0 if unknown) */
    INCEPTION_TRAINER_LR = 5,              /* learning rate of the next step */
    INCEPTION_TRAINER_EPOCH_SIZE = 6,
    INCEPTION_TRAINER_STEPS_PER_EPOCH = 7, /* with TRAIN_DATA: ceil(train size / batch) */
    INCEPTION_TRAINER_TRAIN_SIZE = 8,      /* TRAIN_DATA images in the training split */
    INCEPTION_TRAINER_VAL_SIZE = 9,        /* ... and in the validation split */
    INCEPTION_TRAINER_SKIPPED = 10,        /* images skipped as unreadable so far */
    INCEPTION_TRAINER_EVAL_COUNT = 11,     /* examples in the evaluation counters */
    INCEPTION_TRAINER_EVAL_LOSS = 12,      /* their mean loss */
    INCEPTION_TRAINER_EVAL_TOP1 = 13,      /* fraction correct */
    INCEPTION_TRAINER_EVAL_TOP5 = 14,
    INCEPTION_TRAINER_CACHE_HITS = 15,     /* features found in the cache */
    INCEPTION_TRAINER_CACHE_MISSES = 16,   /* features computed by the trunk */
    INCEPTION_TRAINER_LAST_LOSS = 17,
    INCEPTION_TRAINER_GRAD_NORM = 18,      /* global norm of the last step's gradient,
                                            * before clipping */
    INCEPTION_TRAINER_SCOPE_MEMORY = 30,   /* bytes of the scope's activation, gradient and
                                            * scratch buffers for the last batch shape (0 for
                                            * scope fc or before the first step) */
    INCEPTION_TRAINER_TRAINABLE = 31,      /* trainable parameter count (BN running
                                            * statistics not included) */
    INCEPTION_TRAINER_AUX_ACTIVE = 32,     /* 1: the aux loss is part of training (before
                                            * the first step: set up; after: the last step
                                            * included it), 0: off (see TRAIN_AUX_WEIGHT) */
    INCEPTION_TRAINER_AUX_LOSS = 33        /* the aux head's loss in the last step, before
                                            * weighting (LAST_LOSS holds main + w * aux); 0
                                            * when it was off */
} inception_trainer_info;

INCEPTION_API inception_status inception_trainer_info_double(const inception_trainer *trainer,
                                                      inception_trainer_info key, double *out);
/* Label of class `index` (borrowed, valid while the trainer lives). */
INCEPTION_API inception_status inception_trainer_label(const inception_trainer *trainer,
                                                       int64_t index, const char **out);
/* The index-th image skipped as unreadable and why (borrowed until the trainer is freed);
 * NOT_FOUND past the end. */
INCEPTION_API inception_status inception_trainer_skipped(const inception_trainer *trainer,
                                                         int64_t index, const char **path,
                                                         const char **reason);

/* Write the model with the averaged head: the trunk's tensors copied unchanged from the
 * base file, the new fc.weight/fc.bias, no aux head, labels and preprocessing in
 * inception.* metadata. Loads here and in PyTorch with
 * Inception3(num_classes=K, aux_logits=False, init_weights=False).load_state_dict.
 * Written to a temporary file that replaces `path` only when complete. */
INCEPTION_API inception_status inception_trainer_save(inception_trainer *trainer,
                                                      const char *path);
/* Checkpoint: the raw and averaged parameters, optimizer state, counters and data order,
 * so a trainer resumed from it continues bit-identically. Same temporary-file rule. */
INCEPTION_API inception_status inception_trainer_checkpoint(inception_trainer *trainer,
                                                            const char *path);
/* Restore a checkpoint into a trainer created with the same model and settings
 * (MODEL_MISMATCH or INVALID_ARGUMENT naming the setting that differs). */
INCEPTION_API inception_status inception_trainer_resume(inception_trainer *trainer,
                                                        const char *path);

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
