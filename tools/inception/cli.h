/* The `inception` tool's shared helpers (cli.c) and the subcommand interface.
 * Adding a subcommand: a file <name>.c defining `const cli_command cli_cmd_<name>`, one
 * row X(<name>) in main.c's CLI_COMMANDS, and the file in meson.build. A new option: a field
 * in cli_args and a branch in cli_parse_args. Public API only (include/inception). */
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

/* Every option of every subcommand (each reads the ones it uses). */
typedef struct cli_args {
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
    /* model-load overrides (NULL / -1: the file's) */
    const char *labels;
    const char *preset;
    const char *mean, *std;
    int pool_include_pad;
    char **files;
    int n_files;
} cli_args;

/* A subcommand: its name, its usage (lines after "inception ", continuation lines indented
 * to line up under "usage: inception "), and what runs it. */
typedef struct cli_command {
    const char *name;
    const char *usage;
    int (*run)(const cli_args *a); /* returns the exit code */
} cli_command;

/* Parse argv[first..] into *a (defaults first); 0 after printing why. The caller frees
 * a->files in both cases. */
int cli_parse_args(int argc, char **argv, int first, cli_args *a);
/* A decimal integer in [lo, hi]; 0 if malformed or out of range. */
int cli_parse_int(const char *s, int lo, int hi, int *out);
/* Monotonic clock, seconds. */
double cli_now(void);

/* Options from the command line (backend, threads, labels, preset, mean/std, pool rule);
 * NULL after printing why. The caller frees them. */
inception_options *cli_make_options(const cli_args *a);
/* Load a model (NULL options: the defaults); prints why and returns NULL on failure. */
inception_model *cli_load_model(const char *path, const inception_options *o);
/* Resolve and load the model, then make a session with the command's options plus
 * `outputs` (0: the default set) and `profile`. Prints why on failure and returns the
 * command's exit code (EXIT_OK on success). */
int cli_open_session(const cli_args *a, int64_t outputs, int profile, char *cache,
                     size_t cache_size, const char **path, inception_model **model,
                     inception_session **session, double *load_ms);
int cli_is_synthetic(const inception_model *m);
void cli_warn_synthetic(const char *path);

/* The throughput summary on stderr (unless --quiet). */
void cli_report_rate(const cli_args *a, const char *done, int failed, double seconds);
/* A JSON string literal, escaped. */
void cli_json_string(FILE *f, const char *s);
/* A progress bar on stderr when enabled; cleared when done == total. */
void cli_progress(int done, int total, int enabled);
/* "inception: FILE: MSG", without repeating the file when the message names it. */
void cli_report_error(const char *file, const char *msg);
/* The class's label, else "class N" written into buf. */
const char *cli_label_of(const inception_model *m, int32_t cls, char *buf, size_t n);
/* The class's label, or NULL when the model has none. */
const char *cli_label_or_null(const inception_model *m, int32_t cls);
/* Usage lines of the model-load options, shared by every subcommand that loads one. */
#define CLI_LOAD_OPTIONS_USAGE \
    "  load options: [--labels FILE] [--preset torchvision|timm|tf|resize|unit]\n" \
    "                [--mean R,G,B --std R,G,B] [--pool-include-pad 0|1]\n"

#endif
