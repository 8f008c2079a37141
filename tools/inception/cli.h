/* The `inception` tool's shared helpers (cli.c, options.c, inputs.c, pipeline.c) and the
 * subcommand interface. Public API only (include/inception).
 *
 * Adding a subcommand: a file <name>.c defining `const cli_command cli_cmd_<name>`, one
 * row X(<name>) in main.c's CLI_COMMANDS, and the file in meson.build.
 * Adding an option: one row in options.c's table (name, argument, subcommands, default,
 * help). A row of kind CLI_LIB_INT / CLI_LIB_STRING goes straight into the library's
 * inception_options bag (no field needed); the others store into a cli_args field. */
#ifndef INCEPTION_CLI_H
#define INCEPTION_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <inception/inception.h>

/* Exit codes (docs/cli.md). */
enum {
    EXIT_OK = 0,
    EXIT_SOME_FAILED = 1, /* at least one input could not be processed */
    EXIT_USAGE = 2,
    EXIT_MODEL = 3,       /* no model found, or it failed to load / start */
    EXIT_OUTPUT = 4       /* cannot write the output */
};

extern const char *const cli_prog; /* "inception", the prefix of every message */

/* Values of library options given on the command line (CLI_LIB_* rows), applied to the
 * options bag in the order given. */
typedef struct cli_libopt {
    inception_option key;
    int is_string;
    int64_t i;
    const char *s;
    const char *flag; /* "--preset", for messages */
} cli_libopt;

/* A repeatable option's values (CLI_LIST). */
typedef struct cli_strlist {
    const char **v;
    int n;
} cli_strlist;

/* Every option of every subcommand (each reads the ones it uses). Defaults come from the
 * option table. */
typedef struct cli_args {
    const char *command; /* the subcommand being run */
    const char *model;
    int top;
    int json;
    int threads;
    const char *backend;
    const char *format;
    const char *out;
    int quiet;
    int size_h, size_w;
    int batch;
    int runs;
    int profile;
    int recursive;
    int cls;              /* explain --class K (-1: the top class) */
    int progress;         /* -1 auto (stderr is a terminal), 0 never, 1 always */
    int64_t max_stream;   /* bytes read at most from a pipe or stdin */
    cli_strlist lists;    /* --files-from, in order */
    cli_strlist models;   /* classify: --model, repeatable (an ensemble) */
    int shard_i, shard_n; /* --shard I/N (shard_n 0: off) */
    cli_libopt *libopts;
    int n_libopts;
    char **files;         /* operands */
    int n_files;
    /* train (train.c); numbers kept as text and parsed there */
    int batch_given;
    int epochs;
    const char *lr, *smoothing, *clip, *ema, *val, *seed;
    const char *augment, *resume, *plot, *optimizer, *cache;
    const char *scope, *dropout, *head_init; /* issue 13: trainable blocks */
    const char *aux_weight;      /* issue 13: the aux head's loss weight */
    const char *epsilon, *eps_placement; /* RMSProp's epsilon and where it goes */
    const char *calibrate; /* quantize: the calibration image directory */
} cli_args;

/* A subcommand: name, one-line summary, operands, a paragraph, an example, and what runs
 * it. Options come from the table (options.c). */
typedef struct cli_command {
    const char *name;
    const char *summary;
    const char *operands;    /* "IMAGE...", "[MODEL]", "" */
    const char *description; /* may hold '\n' */
    const char *example;     /* command lines, '\n'-separated */
    int (*run)(const cli_args *a); /* returns the exit code */
} cli_command;

/* --- the option table (options.c) ---------------------------------------------------- */

typedef enum cli_opt_kind {
    CLI_HELP,       /* -h/--help */
    CLI_FLAG,       /* sets the int field at `offset` to `lo` */
    CLI_INT,        /* int field, value in [lo, hi] */
    CLI_SIZE,       /* int64 field, bytes with an optional K/M/G suffix, in [lo, hi] */
    CLI_STRING,     /* const char * field */
    CLI_CHOICE,     /* const char * field, one of `choices` ("npy|csv") */
    CLI_LIST,       /* repeatable: appended to the cli_strlist field */
    CLI_CUSTOM,     /* parse(a, value) stores it; returns 0 if the value is bad */
    CLI_LIB_INT,    /* inception_options key `key`, int in [lo, hi] */
    CLI_LIB_STRING  /* inception_options key `key`, string (checked by the library) */
} cli_opt_kind;

typedef struct cli_option {
    const char *name;     /* long name without "--" */
    char short_name;      /* 'o' for -o, or 0 */
    const char *arg;      /* metavariable shown in help ("K"), NULL for flags */
    const char *commands; /* space-separated subcommands, or "*" for all */
    cli_opt_kind kind;
    size_t offset;        /* field in cli_args */
    long long lo, hi;
    const char *choices;
    int (*parse)(cli_args *a, const char *value);
    int key;              /* inception_option for CLI_LIB_* */
    const char *def;      /* default, applied before parsing and shown in help; or NULL */
    const char *help;
} cli_option;

extern const cli_option cli_options[];
extern const size_t cli_n_options;

/* 1 if the row applies to the subcommand. */
int cli_option_for(const cli_option *o, const char *command);
/* Parse argv[first..] for `command` into *a (defaults first). Returns EXIT_OK, or
 * EXIT_USAGE after printing why; *help is set when --help was asked. The caller calls
 * cli_args_free in every case. */
int cli_parse_args(const char *command, int argc, char **argv, int first, cli_args *a,
                   int *help);
void cli_args_free(cli_args *a);
/* Help of one subcommand (usage, options with defaults, example). */
void cli_print_help(FILE *f, const cli_command *c);
/* The man page (troff, man macros) for all subcommands. */
void cli_print_man(FILE *f, const cli_command *const *cmds, size_t n, const char *version);

/* A decimal integer in [lo, hi]; 0 if malformed or out of range. */
int cli_parse_int(const char *s, int lo, int hi, int *out);
/* Monotonic clock, seconds. */
double cli_now(void);

/* --- model and session ----------------------------------------------------------------- */

/* The model path (--model, $INCEPTION_MODEL, the cache file), or NULL after printing every
 * place that was tried (unless quiet). */
const char *cli_resolve_model(const char *given, char *buf, size_t n, int quiet);
/* The options bag of the command line (backend, threads, CLI_LIB_* rows); NULL after
 * printing why. */
inception_options *cli_make_options(const cli_args *a);
/* Load a model; prints why and returns NULL on failure. */
inception_model *cli_load_model(const char *path, const inception_options *o);
/* Resolve and load the model, then make a session with the command's options plus
 * `outputs` (0: the default set) and `profile`. Prints why on failure and returns the
 * command's exit code (EXIT_OK on success). */
int cli_open_session(const cli_args *a, int64_t outputs, int profile, char *cache,
                     size_t cache_size, const char **path, inception_model **model,
                     inception_session **session, double *load_ms);
int cli_is_synthetic(const inception_model *m);
void cli_warn_synthetic(const char *path);
/* Worker threads a session made with --threads N uses (0: the online cores). */
int cli_thread_count(int threads);
/* The instruction set the model's backend runs ("avx2", ...), or NULL when the library
 * cannot say. */
const char *cli_isa(const inception_model *m);
/* The shortest side the model's preset needs from a decoded image (the DCT scaling hint
 * classify uses), 0 if the preset is unknown here (full decode). */
int32_t cli_decode_min_side(const inception_model *m);

/* --- inputs (inputs.c) ----------------------------------------------------------------- */

/* The inputs of classify/features: operands, -r directories and --files-from lists, in
 * order. A directory without -r stays an input that fails with `error` set. */
typedef struct cli_input {
    char *path;
    const char *error; /* static message when the input cannot be used, else NULL */
} cli_input;

typedef struct cli_inputs {
    cli_input *v;
    size_t n, cap;
    int stdin_used;
} cli_inputs;

/* Expand the operands and lists; EXIT_OK, or EXIT_USAGE/EXIT_SOME_FAILED after printing
 * why (*some_failed is set when a directory or list could not be read but the rest can
 * go on). */
int cli_inputs_collect(const cli_args *a, cli_inputs *in, int *some_failed);
void cli_inputs_free(cli_inputs *in);
/* Decode one input (a regular file through the library, stdin and other streams read
 * into memory up to `max_stream` bytes). On failure *msg gets the message (into buf). */
inception_status cli_decode_input(const cli_input *in, const inception_options *o,
                                  int64_t max_stream, inception_image **img, char *buf,
                                  size_t n);

/* --- batched decode + run (pipeline.c) ------------------------------------------------ */

enum { CLI_MSG_MAX = 1024 };

typedef struct cli_item {
    size_t input;             /* index into the inputs */
    inception_status status;  /* INCEPTION_OK: its image is in slot `slot` */
    int slot;
    char message[CLI_MSG_MAX];
} cli_item;

typedef struct cli_batch {
    inception_tensor *input; /* [n_images, 3, H, W] */
    int n_images;
    cli_item *items; /* inputs in order, decoded or not */
    int n_items;
} cli_batch;

/* Called on the main thread for each batch, in input order. It runs the session (if
 * n_images > 0), writes the results and returns EXIT_OK, or EXIT_OUTPUT to stop. */
typedef int (*cli_batch_fn)(void *ctx, cli_batch *b);

typedef struct cli_pipeline_stats {
    size_t done, failed;
    double seconds;
} cli_pipeline_stats;

/* Decode the inputs on a second thread into batches of a->batch images (preprocessed for
 * `model`, decode options `dopts`), overlapped with fn running the previous batch. Draws
 * the progress bar. Returns fn's non-OK code, or EXIT_OK. */
/* Run the session on a batch's images and return `output` (NULL if the batch holds no
 * image); on failure every item still OK gets the status and message, and NULL returns. */
const inception_tensor *cli_batch_run(inception_session *s, cli_batch *b,
                                      const cli_inputs *in, inception_output output);
int cli_pipeline_run(const cli_args *a, const inception_model *model,
                     const inception_options *dopts, const cli_inputs *in, cli_batch_fn fn,
                     void *ctx, cli_pipeline_stats *stats);

/* --- output helpers -------------------------------------------------------------------- */

/* The throughput summary on stderr (unless --quiet). */
void cli_report_rate(const cli_args *a, const char *done, size_t ok, size_t total,
                     double seconds);
/* A JSON string literal, escaped. */
void cli_json_string(FILE *f, const char *s);
/* Lower-case hex SHA-256 of a file's bytes into hex; 0 if it cannot be read (sha256.c). */
int cli_sha256_file(const char *path, char hex[65]);
/* The progress bar (stderr): start, update (rate-limited), and clear before other output. */
typedef struct cli_progress {
    int enabled, drawn;
    size_t total;
    double t0, last;
} cli_progress;
void cli_progress_start(cli_progress *p, const cli_args *a, size_t total);
void cli_progress_update(cli_progress *p, size_t done);
void cli_progress_clear(cli_progress *p);
/* "inception: FILE: MSG", without repeating the file when the message names it. */
void cli_report_error(const char *file, const char *msg);
/* The class's label, else "class N" written into buf. */
const char *cli_label_of(const inception_model *m, int32_t cls, char *buf, size_t n);
/* The class's label, or NULL when the model has none. */
const char *cli_label_or_null(const inception_model *m, int32_t cls);

#endif
