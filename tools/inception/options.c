/* The option table of the `inception` tool, and what reads it: the argument parser, the
 * per-subcommand --help and the man page. One row per option (per distinct default). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <inception/inception.h>

#include "cli.h"

#define F(field) offsetof(cli_args, field)

static int parse_size_hw(cli_args *a, const char *v) {
    char x, tail;
    int h, w;
    if (sscanf(v, "%d%c%d%c", &h, &x, &w, &tail) != 3 || x != 'x' || h < 1 || w < 1)
        return 0;
    a->size_h = h;
    a->size_w = w;
    return 1;
}

static int parse_shard(cli_args *a, const char *v) {
    char slash, tail;
    int i, n;
    if (sscanf(v, "%d%c%d%c", &i, &slash, &n, &tail) != 3 || slash != '/' || n < 1 ||
        n > 99999 || i < 0 || i >= n)
        return 0;
    a->shard_i = i;
    a->shard_n = n;
    return 1;
}

const cli_option cli_options[] = {
    {"help", 'h', NULL, "*", CLI_HELP, 0, 0, 0, NULL, NULL, 0, NULL,
     "show this help and exit"},
    {"model", 0, "M", "features info bench train explain", CLI_STRING, F(model), 0, 0, NULL, NULL,
     0, NULL,
     "model file (default: $INCEPTION_MODEL, else "
     "$XDG_CACHE_HOME/inception/inception_v3.safetensors)"},
    {"model", 0, "M", "classify", CLI_LIST, F(models), 0, 0, NULL, NULL, 0, NULL,
     "model file (default: $INCEPTION_MODEL, else "
     "$XDG_CACHE_HOME/inception/inception_v3.safetensors); repeat it for an ensemble "
     "whose probabilities are averaged (same classes; each keeps its own preprocessing)"},
    {"crops", 0, "N", "classify", CLI_LIB_INT, 0, 1, 144, NULL, NULL, INCEPTION_OPT_CROPS,
     NULL, "evaluate 1, 10, 12 or 144 crops per image and average them (docs/paper.md)"},
    {"crop-average", 0, "0|1", "classify", CLI_LIB_INT, 0, 0, 1, NULL, NULL,
     INCEPTION_OPT_CROP_AVERAGE, NULL,
     "average the crops' probabilities (0, default) or their logits (1)"},
    {"top", 0, "K", "classify", CLI_INT, F(top), 1, 1000000, NULL, NULL, 0, "5",
     "classes to print per image"},
    {"top", 0, "1", "explain", CLI_INT, F(top), 1, 1, NULL, NULL, 0, "1",
     "map the best class (the default; use --class for another)"},
    {"class", 0, "K", "explain", CLI_INT, F(cls), -1, 1 << 30, NULL, NULL, 0, "-1",
     "map class K instead of the best one"},
    {"output", 'o', "HEAT.png", "explain", CLI_STRING, F(out), 0, 0, NULL, NULL, 0, NULL,
     "the PNG to write ('-': stdout; required)"},
    {"json", 0, NULL, "classify", CLI_FLAG, F(json), 1, 0, NULL, NULL, 0, NULL,
     "one JSON object per image (JSON Lines, stable schema)"},
    {"format", 0, "npy|csv", "features", CLI_CHOICE, F(format), 0, 0, "npy|csv", NULL, 0,
     "npy", "output format"},
    {"shard", 0, "I/N", "features", CLI_CUSTOM, 0, 0, 0, NULL, parse_shard, 0, NULL,
     "embed only shard I of N of the inputs (0 <= I < N; inputs [I*n/N, (I+1)*n/N)) into "
     "the directory -o DIR as shard-IIIII-of-NNNNN.npy + .jsonl, the format of "
     "inception.distributed (docs/distributed.md)"},
    {"output", 'o', "FILE", "features", CLI_STRING, F(out), 0, 0, NULL, NULL, 0, "-",
     "where to write the features ('-': stdout)"},
    {"recursive", 'r', NULL, "classify features", CLI_FLAG, F(recursive), 1, 0, NULL, NULL,
     0, NULL,
     "read directories: every *.jpg, *.jpeg, *.png (any case) under them, sorted by name"},
    {"files-from", 0, "LIST", "classify features", CLI_LIST, F(lists), 0, 0, NULL, NULL, 0,
     NULL, "read input paths from LIST, one per line ('-': stdin); repeatable"},
    {"batch", 0, "N", "classify features", CLI_INT, F(batch), 1, 256, NULL, NULL, 0, "1",
     "images per run (decoding of the next batch overlaps the run)"},
    {"max-stream-bytes", 0, "SIZE", "classify features", CLI_SIZE, F(max_stream), 1,
     (long long)1 << 40, NULL, NULL, 0, "256M",
     "largest image read from stdin or a pipe (suffix K, M or G)"},
    {"progress", 0, NULL, "classify features", CLI_FLAG, F(progress), 1, 0, NULL, NULL, 0,
     NULL, "draw the progress bar even when stderr is not a terminal"},
    {"no-progress", 0, NULL, "classify features", CLI_FLAG, F(progress), 0, 0, NULL, NULL, 0,
     NULL, "never draw the progress bar (default: only when stderr is a terminal)"},
    {"quiet", 'q', NULL, "classify features train explain quantize", CLI_FLAG, F(quiet), 1, 0, NULL, NULL, 0, NULL,
     "no progress bar and no throughput summary"},
    {"size", 0, "HxW", "bench train", CLI_CUSTOM, 0, 0, 0, NULL, parse_size_hw, 0, NULL,
     "input size (default: the model's)"},
    {"batch", 0, "N", "bench", CLI_INT, F(batch), 1, 4096, NULL, NULL, 0, "1",
     "images per run"},
    {"output", 'o', "OUT", "train", CLI_STRING, F(out), 0, 0, NULL, NULL, 0, NULL,
     "the trained model to write (.safetensors; required)"},
    {"batch", 0, "N", "train", CLI_INT, F(batch), 1, 4096, NULL, NULL, 0, "32",
     "images per training step"},
    {"epochs", 0, "N", "train", CLI_INT, F(epochs), 1, 1000000, NULL, NULL, 0, "5",
     "passes over the training images"},
    {"lr", 0, "RATE", "train", CLI_STRING, F(lr), 0, 0, NULL, NULL, 0, NULL,
     "initial learning rate (decayed by 0.94 every 2 epochs) (default 0.045)"},
    {"smoothing", 0, "EPS", "train", CLI_STRING, F(smoothing), 0, 0, NULL, NULL, 0, NULL,
     "label smoothing epsilon (0: plain cross-entropy) (default 0.1)"},
    {"clip", 0, "NORM", "train", CLI_STRING, F(clip), 0, 0, NULL, NULL, 0, NULL,
     "clip gradients to this global norm (0: off) (default 2.0)"},
    {"epsilon", 0, "EPS", "train", CLI_STRING, F(epsilon), 0, 0, NULL, NULL, 0, NULL,
     "RMSProp's epsilon (default 1.0, the paper's)"},
    {"epsilon-placement", 0, "WHERE", "train", CLI_STRING, F(eps_placement), 0, 0, NULL, NULL, 0, NULL,
     "tf (inside the square root, default) or pytorch (outside: with a small --epsilon each weight's "
     "step is scaled by its own gradient size, what --scope all from random weights needs)"},
    {"ema", 0, "DECAY", "train", CLI_STRING, F(ema), 0, 0, NULL, NULL, 0, NULL,
     "decay of the parameters' moving average used for evaluation and saving (default 0.9999)"},
    {"val", 0, "FRACTION", "train", CLI_STRING, F(val), 0, 0, NULL, NULL, 0, NULL,
     "share of the images held out for validation (by a hash of the file name) (default 0.1)"},
    {"seed", 0, "N", "train", CLI_STRING, F(seed), 0, 0, NULL, NULL, 0, NULL,
     "seed of the new head's initialisation, shuffling and augmentation"},
    {"augment", 0, "LIST", "train", CLI_STRING, F(augment), 0, 0, NULL, NULL, 0, NULL,
     "augmentations, comma-separated: crop, flip, color (default: none)"},
    {"optimizer", 0, "NAME", "train", CLI_STRING, F(optimizer), 0, 0, NULL, NULL, 0, NULL,
     "rmsprop (the paper's, default) or sgd (momentum 0.9)"},
    {"scope", 0, "SCOPE", "train", CLI_STRING, F(scope), 0, 0, NULL, NULL, 0, NULL,
     "what to train: fc (the head, default), a block onward (Mixed_5b ... Mixed_7c), all, or last:N blocks"},
    {"head-init", 0, "INIT", "train", CLI_STRING, F(head_init), 0, 0, NULL, NULL, 0, NULL,
     "the new fc's start: torchvision (trunc normal 0.1, default) or linear (as a new nn.Linear; "
     "better with --scope below the head)"},
    {"dropout", 0, "P", "train", CLI_STRING, F(dropout), 0, 0, NULL, NULL, 0, NULL,
     "dropout before the fc below the head (default 0.5 with --scope, 0 for fc)"},
    {"aux-weight", 0, "W", "train", CLI_STRING, F(aux_weight), 0, 0, NULL, NULL, 0, NULL,
     "weight of the aux classifier's loss when the scope holds Mixed_6e (default 0.4 where it can run "
     "(299x299 images), else off; 0 = off; a value the run cannot use is an error)"},
    {"cache", 0, "DIR", "train", CLI_STRING, F(cache), 0, 0, NULL, NULL, 0, NULL,
     "feature cache directory (default: OUT.cache)"},
    {"resume", 0, "CKPT", "train", CLI_STRING, F(resume), 0, 0, NULL, NULL, 0, NULL,
     "continue from this checkpoint (default file: OUT.ckpt)"},
    {"plot", 0, "PNG", "train", CLI_STRING, F(plot), 0, 0, NULL, NULL, 0, NULL,
     "write a loss and accuracy chart (PNG) after training"},
    {"runs", 0, "R", "bench", CLI_INT, F(runs), 1, 1000000, NULL, NULL, 0, "10",
     "timed runs (after one warm-up)"},
    {"profile", 0, NULL, "bench", CLI_FLAG, F(profile), 1, 0, NULL, NULL, 0, NULL,
     "per-op-kind time table of the last run"},
    {"calibrate", 0, "DIR", "quantize", CLI_STRING, F(calibrate), 0, 0, NULL, NULL, 0, NULL,
     "directory of calibration images (.jpg/.jpeg/.png; required)"},
    {"output", 'o', "OUT", "quantize", CLI_STRING, F(out), 0, 0, NULL, NULL, 0, NULL,
     "the quantised model to write (.safetensors; required)"},
    {"method", 0, "M", "quantize", CLI_LIB_STRING, 0, 0, 0, NULL, NULL, INCEPTION_OPT_QUANT_METHOD,
     NULL, "activation ranges: mse (the default), minmax, percentile (99.99th) or "
     "percentile=P"},
    {"bias-correction", 0, "0|1", "quantize", CLI_LIB_INT, 0, 0, 1, NULL, NULL,
     INCEPTION_OPT_QUANT_BIAS_CORRECTION, NULL,
     "1 (default): correct the int8 biases for the weight rounding's mean shift"},
    {"weight-bits", 0, "7|8", "quantize classify features info bench explain", CLI_LIB_INT, 0, 7,
     8, NULL, NULL, INCEPTION_OPT_QUANT_WEIGHT_BITS, "8",
     "int8 weights in [-127, 127] (8) or [-64, 64] (7: faster on AVX2, less accurate)"},
    /* Library load options: one row each, the value goes to inception_options_set_*. */
    {"precision", 0, "P", "classify features info bench explain", CLI_LIB_STRING, 0, 0, 0, NULL,
     NULL, INCEPTION_OPT_PRECISION, NULL,
     "float, int8 or auto (default: int8 iff the file is quantised; docs/int8.md)"},
    {"calibration", 0, "RECORD", "classify features info bench explain", CLI_LIB_STRING, 0, 0, 0,
     NULL, NULL, INCEPTION_OPT_QUANT_CALIBRATION, NULL,
     "quantise a float model at load with this calibration record (runs int8)"},
    {"labels", 0, "FILE", "classify features info explain", CLI_LIB_STRING, 0, 0, 0, NULL, NULL,
     INCEPTION_OPT_LABELS_FILE, NULL,
     "class labels, one per line or a JSON list of strings, instead of the file's"},
    {"preset", 0, "NAME", "classify features info explain", CLI_LIB_STRING, 0, 0, 0, NULL, NULL,
     INCEPTION_OPT_PRESET, NULL,
     "preprocessing preset instead of the file's: torchvision, timm, tf, resize (whole "
     "image, no crop) or unit (resize, inputs in [0,1]) (docs/preprocessing.md)"},
    {"mean", 0, "R,G,B", "classify features info explain", CLI_LIB_STRING, 0, 0, 0, NULL, NULL,
     INCEPTION_OPT_MEAN, NULL,
     "normalisation mean (input = (pixel/255 - mean) / std), instead of the file's and "
     "the preset's"},
    {"std", 0, "R,G,B", "classify features info explain", CLI_LIB_STRING, 0, 0, 0, NULL, NULL,
     INCEPTION_OPT_STD, NULL, "normalisation standard deviation (see --mean)"},
    {"pool-include-pad", 0, "0|1", "classify features info explain", CLI_LIB_INT, 0, 0, 1, NULL, NULL,
     INCEPTION_OPT_POOL_INCLUDE_PAD, NULL,
     "average pools count padded zeros (1) or not (0), instead of the file's rule"},
    {"threads", 0, "N", "classify features info bench train explain quantize", CLI_INT, F(threads), 0, 4096, NULL,
     NULL, 0, "0", "worker threads (0: one per online core)"},
    {"backend", 0, "B", "classify features info bench train explain quantize", CLI_STRING, F(backend), 0, 0, NULL,
     NULL, 0, "auto", "backend: auto, ref, simd (auto: $INCEPTION_BACKEND, else the best)"},
};
const size_t cli_n_options = sizeof cli_options / sizeof cli_options[0];

int cli_option_for(const cli_option *o, const char *command) {
    if (!strcmp(o->commands, "*")) return 1;
    size_t n = strlen(command);
    for (const char *p = o->commands; (p = strstr(p, command)); p += n)
        if ((p == o->commands || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0')) return 1;
    return 0;
}

static int parse_size(const char *s, long long lo, long long hi, int64_t *out) {
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || s[0] == '-') return 0;
    unsigned long long mul = 1;
    if (*end == 'K' || *end == 'k') mul = 1ull << 10, end++;
    else if (*end == 'M' || *end == 'm') mul = 1ull << 20, end++;
    else if (*end == 'G' || *end == 'g') mul = 1ull << 30, end++;
    if (*end || v > (unsigned long long)hi / mul || (long long)(v * mul) < lo) return 0;
    *out = (int64_t)(v * mul);
    return 1;
}

static int choice_ok(const char *choices, const char *v) {
    size_t n = strlen(v);
    for (const char *p = choices; p; p = strchr(p, '|')) {
        if (*p == '|') p++;
        if (!strncmp(p, v, n) && (p[n] == '|' || p[n] == '\0')) return 1;
    }
    return 0;
}

/* Store `v` as row o says; 0 if the value is bad. */
static int apply(const cli_option *o, cli_args *a, const char *v, int argc) {
    char *base = (char *)a;
    switch (o->kind) {
    case CLI_HELP: return 1;
    case CLI_FLAG: *(int *)(base + o->offset) = (int)o->lo; return 1;
    case CLI_INT: return cli_parse_int(v, (int)o->lo, (int)o->hi, (int *)(base + o->offset));
    case CLI_SIZE: return parse_size(v, o->lo, o->hi, (int64_t *)(base + o->offset));
    case CLI_STRING: *(const char **)(base + o->offset) = v; return 1;
    case CLI_CHOICE:
        if (!choice_ok(o->choices, v)) return 0;
        *(const char **)(base + o->offset) = v;
        return 1;
    case CLI_LIST: {
        cli_strlist *l = (cli_strlist *)(base + o->offset);
        if (!l->v) l->v = calloc((size_t)argc + 1, sizeof *l->v);
        if (!l->v) return 0;
        l->v[l->n++] = v;
        return 1;
    }
    case CLI_CUSTOM: return o->parse(a, v);
    case CLI_LIB_INT:
    case CLI_LIB_STRING: {
        if (!a->libopts) a->libopts = calloc((size_t)argc + 1, sizeof *a->libopts);
        if (!a->libopts) return 0;
        cli_libopt *l = &a->libopts[a->n_libopts];
        l->key = (inception_option)o->key;
        l->is_string = o->kind == CLI_LIB_STRING;
        l->s = v;
        l->flag = o->name;
        if (!l->is_string) {
            int x;
            if (!cli_parse_int(v, (int)o->lo, (int)o->hi, &x)) return 0;
            l->i = x;
        }
        a->n_libopts++;
        return 1;
    }
    }
    return 0;
}

static const cli_option *find_long(const char *command, const char *name, size_t n) {
    for (size_t i = 0; i < cli_n_options; i++) {
        const cli_option *o = &cli_options[i];
        if (strlen(o->name) == n && !strncmp(o->name, name, n) && cli_option_for(o, command))
            return o;
    }
    return NULL;
}

static const cli_option *find_short(const char *command, char c) {
    for (size_t i = 0; i < cli_n_options; i++)
        if (cli_options[i].short_name == c && cli_option_for(&cli_options[i], command))
            return &cli_options[i];
    return NULL;
}

static void not_an_option(const char *command, const char *token) {
    const char *name = token + (token[1] == '-' ? 2 : 1);
    size_t n = strcspn(name, "=");
    for (size_t i = 0; i < cli_n_options; i++) {
        const cli_option *o = &cli_options[i];
        if (token[1] == '-' ? (strlen(o->name) == n && !strncmp(o->name, name, n))
                            : o->short_name == name[0]) {
            fprintf(stderr, "%s %s: %.*s is not an option of %s (it is one of: %s)\n",
                    cli_prog, command, (int)(n + (token[1] == '-' ? 2 : 1)), token, command,
                    o->commands);
            return;
        }
    }
    fprintf(stderr, "%s %s: unknown option %s (see '%s %s --help')\n", cli_prog, command,
            token, cli_prog, command);
}

int cli_parse_args(const char *command, int argc, char **argv, int first, cli_args *a,
                   int *help) {
    memset(a, 0, sizeof *a);
    *help = 0;
    a->command = command;
    a->progress = -1;
    for (size_t i = 0; i < cli_n_options; i++) {
        const cli_option *o = &cli_options[i];
        if (o->def && cli_option_for(o, command) && !apply(o, a, o->def, argc)) {
            fprintf(stderr, "%s: internal error: bad default '%s' for --%s\n", cli_prog,
                    o->def, o->name);
            return EXIT_USAGE;
        }
    }
    if (a->backend && !strcmp(a->backend, "auto")) a->backend = NULL; /* the library's */
    a->files = calloc((size_t)argc + 1, sizeof *a->files);
    if (!a->files) return EXIT_USAGE;
    for (int i = first; i < argc; i++)
        if (!strcmp(argv[i], "--")) break;
        else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            *help = 1;
            return EXIT_OK;
        }
    for (int i = first; i < argc; i++) {
        const char *s = argv[i];
        if (!strcmp(s, "--")) {
            for (i++; i < argc; i++) a->files[a->n_files++] = argv[i];
            break;
        }
        if (s[0] != '-' || s[1] == '\0') { /* "-" is stdin, an operand */
            a->files[a->n_files++] = argv[i];
            continue;
        }
        const cli_option *o = NULL;
        const char *v = NULL;
        if (s[1] == '-') {
            const char *eq = strchr(s + 2, '=');
            size_t n = eq ? (size_t)(eq - (s + 2)) : strlen(s + 2);
            o = find_long(command, s + 2, n);
            if (!o) {
                not_an_option(command, s);
                return EXIT_USAGE;
            }
            if (eq) {
                if (!o->arg) {
                    fprintf(stderr, "%s %s: --%s takes no value\n", cli_prog, command, o->name);
                    return EXIT_USAGE;
                }
                v = eq + 1;
            }
        } else {
            /* -x, -x VALUE, -xVALUE, or flags together (-rq) */
            o = find_short(command, s[1]);
            if (o && !o->arg && s[2]) {
                for (const char *p = s + 1; *p; p++) {
                    const cli_option *f = find_short(command, *p);
                    if (!f || f->arg) {
                        char t[3] = {'-', *p, 0};
                        not_an_option(command, t);
                        return EXIT_USAGE;
                    }
                    apply(f, a, NULL, argc);
                }
                continue;
            }
            if (!o) {
                not_an_option(command, s);
                return EXIT_USAGE;
            }
            if (s[2]) v = s + 2; /* -oFILE */
        }
        if (o->arg && !v) {
            if (i + 1 >= argc) {
                fprintf(stderr, "%s %s: %s needs a value (%s)\n", cli_prog, command, s, o->arg);
                return EXIT_USAGE;
            }
            v = argv[++i];
        }
        if (!apply(o, a, v, argc)) {
            fprintf(stderr, "%s %s: bad value for --%s: '%s'", cli_prog, command, o->name, v);
            if (o->kind == CLI_INT || o->kind == CLI_LIB_INT)
                fprintf(stderr, " (an integer from %lld to %lld)", o->lo, o->hi);
            else if (o->kind == CLI_CHOICE)
                fprintf(stderr, " (one of %s)", o->choices);
            else if (o->kind == CLI_SIZE)
                fprintf(stderr, " (bytes, with an optional K, M or G suffix)");
            fputc('\n', stderr);
            return EXIT_USAGE;
        }
    }
    if (a->backend && !strcmp(a->backend, "auto")) a->backend = NULL;
    return EXIT_OK;
}

void cli_args_free(cli_args *a) {
    free(a->files);
    free(a->lists.v);
    free(a->models.v);
    free(a->libopts);
    a->files = NULL;
    a->lists.v = NULL;
    a->models.v = NULL;
    a->libopts = NULL;
}

/* --- help and man page ------------------------------------------------------------------ */

static void option_label(char *buf, size_t n, const cli_option *o) {
    int k = 0;
    if (o->short_name) k = snprintf(buf, n, "-%c, ", o->short_name);
    snprintf(buf + k, n - (size_t)k, "--%s%s%s", o->name, o->arg ? " " : "",
             o->arg ? o->arg : "");
}

void cli_print_help(FILE *f, const cli_command *c) {
    fprintf(f, "usage: %s %s [OPTIONS]%s%s\n%s\n\n", cli_prog, c->name,
            c->operands[0] ? " " : "", c->operands, c->summary);
    fprintf(f, "%s\n\nOptions:\n", c->description);
    for (size_t i = 0; i < cli_n_options; i++) {
        const cli_option *o = &cli_options[i];
        if (!cli_option_for(o, c->name)) continue;
        char label[64];
        option_label(label, sizeof label, o);
        char text[512];
        snprintf(text, sizeof text, "%s%s%s%s", o->help, o->def ? " (default: " : "",
                 o->def ? o->def : "", o->def ? ")" : "");
        fprintf(f, "  %-24s", label);
        /* wrap at 80 columns under the help column */
        size_t col = 27;
        if (strlen(label) > 24) {
            fputc('\n', f);
            fprintf(f, "%27s", "");
        } else {
            fputc(' ', f);
        }
        for (const char *p = text; *p;) {
            size_t w = strcspn(p, " ");
            if (col > 27 && col + 1 + w > 80) {
                fprintf(f, "\n%27s", "");
                col = 27;
            } else if (col > 27) {
                fputc(' ', f);
                col++;
            }
            fprintf(f, "%.*s", (int)w, p);
            col += w;
            p += w;
            while (*p == ' ') p++;
        }
        fputc('\n', f);
    }
    fputs("\nExample:\n", f);
    for (const char *p = c->example; *p;) {
        size_t n = strcspn(p, "\n");
        fprintf(f, "  %.*s\n", (int)n, p);
        p += n + (p[n] == '\n');
    }
}

/* Text for troff: escape backslashes and hyphens, and a leading dot or quote. */
static void roff(FILE *f, const char *s, size_t n) {
    for (size_t i = 0; i < n && s[i]; i++) {
        if ((i == 0 || s[i - 1] == '\n') && (s[i] == '.' || s[i] == '\'')) fputs("\\&", f);
        if (s[i] == '\\') fputs("\\e", f);
        else if (s[i] == '-') fputs("\\-", f);
        else fputc(s[i], f);
    }
}

static void roffs(FILE *f, const char *s) { roff(f, s, strlen(s)); }

void cli_print_man(FILE *f, const cli_command *const *cmds, size_t n, const char *version) {
    fprintf(f, ".\\\" Generated by 'inception help --man' from the option table; do not edit.\n"
               ".TH INCEPTION 1 \"\" \"libinception %s\" \"User Commands\"\n"
               ".SH NAME\ninception \\- Inception\\-v3 image classification and features on "
               "the CPU\n.SH SYNOPSIS\n", version);
    for (size_t i = 0; i < n; i++) {
        fprintf(f, ".B inception %s\n[\\fIOPTIONS\\fR] ", cmds[i]->name);
        roffs(f, cmds[i]->operands);
        fputs("\n.br\n", f);
    }
    fputs(".B inception \\-\\-version\n.br\n.B inception help\n[\\fICOMMAND\\fR]\n"
          ".SH DESCRIPTION\nThe command\\-line front end of libinception. Each subcommand "
          "answers\n.B \\-\\-help\nwith its options and defaults.\n"
          "The model is\n.BR \\-\\-model ,\nelse\n.BR $INCEPTION_MODEL ,\nelse\n"
          ".I $XDG_CACHE_HOME/inception/inception_v3.safetensors\n"
          "(\\fI~/.cache\\fR when XDG_CACHE_HOME is unset).\n"
          "Every option taking a value accepts both\n.B \\-\\-opt value\nand\n"
          ".BR \\-\\-opt=value .\n", f);
    fputs(".SH COMMANDS\n", f);
    for (size_t i = 0; i < n; i++) {
        const cli_command *c = cmds[i];
        fprintf(f, ".SS %s\n.B inception %s\n[\\fIOPTIONS\\fR] ", c->name, c->name);
        roffs(f, c->operands);
        fputs("\n.PP\n", f);
        roffs(f, c->summary);
        fputs("\n.PP\n", f);
        for (const char *p = c->description; *p;) {
            size_t k = strcspn(p, "\n");
            roff(f, p, k);
            fputc('\n', f);
            p += k + (p[k] == '\n');
        }
        for (size_t j = 0; j < cli_n_options; j++) {
            const cli_option *o = &cli_options[j];
            if (!cli_option_for(o, c->name)) continue;
            char label[64];
            option_label(label, sizeof label, o);
            fputs(".TP\n.B ", f);
            roffs(f, label);
            fputc('\n', f);
            roffs(f, o->help);
            if (o->def) {
                fputs(" (default: ", f);
                roffs(f, o->def);
                fputc(')', f);
            }
            fputc('\n', f);
        }
        fputs(".PP\nExample:\n.PP\n.RS\n.nf\n", f);
        roffs(f, c->example);
        fputs("\n.fi\n.RE\n", f);
    }
    fputs(".SH EXIT STATUS\n"
          ".TP\n.B 0\nsuccess\n"
          ".TP\n.B 1\nat least one input could not be processed (the others were), or a run "
          "failed\n"
          ".TP\n.B 2\nusage error (unknown option, bad value, no inputs)\n"
          ".TP\n.B 3\nno model found, or the model failed to load or start a session\n"
          ".TP\n.B 4\nthe output could not be written\n"
          ".SH ENVIRONMENT\n"
          ".TP\n.B INCEPTION_MODEL\nthe model file when \\-\\-model is not given\n"
          ".TP\n.B INCEPTION_BACKEND\nthe backend \"auto\" picks\n"
          ".TP\n.B XDG_CACHE_HOME\nwhere the default model is looked for\n"
          ".SH SEE ALSO\nThe docs/cli.md file of libinception.\n", f);
}
