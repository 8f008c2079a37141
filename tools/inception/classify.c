/* inception classify: top-k classes of each image, as text or JSON lines (docs/cli.md),
 * in batches (pipeline.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <inception/inception.h>

#include "cli.h"

typedef struct ctx {
    const cli_args *a;
    const cli_inputs *in;
    const inception_model *m;
    inception_session *s;
    int synthetic;
    int32_t imagenet_offset; /* 1 for a 1001-class head with a background class */
    int32_t *classes;
    float *probs;
} ctx;

/* The k best, best first; a tie keeps the lower class first (as the library's classify). */
static int32_t top_k(const float *p, int64_t n, int32_t k, int32_t *classes, float *probs) {
    int32_t m = 0;
    for (int64_t i = 0; i < n; i++) {
        float v = p[i];
        if (m == k && !(v > probs[m - 1])) continue;
        int32_t pos = m < k ? m : k - 1;
        while (pos > 0 && v > probs[pos - 1]) {
            probs[pos] = probs[pos - 1];
            classes[pos] = classes[pos - 1];
            pos--;
        }
        probs[pos] = v;
        classes[pos] = (int32_t)i;
        if (m < k) m++;
    }
    return m;
}

static void print_error(const ctx *c, const char *file, inception_status st, const char *msg) {
    if (c->a->json) {
        printf("{\"file\":");
        cli_json_string(stdout, file);
        printf(",\"error\":{\"code\":%d,\"status\":", (int)st);
        cli_json_string(stdout, inception_status_string(st));
        printf(",\"message\":");
        cli_json_string(stdout, msg);
        printf("}}\n");
    } else {
        fflush(stdout); /* keep stdout and stderr lines in input order on a terminal */
        cli_report_error(file, msg);
    }
}

static void print_top(const ctx *c, const char *file, const int32_t *classes,
                      const float *probs, int32_t n) {
    char buf[32];
    if (c->a->json) {
        printf("{\"file\":");
        cli_json_string(stdout, file);
        printf(",\"synthetic\":%s,\"top\":[", c->synthetic ? "true" : "false");
        for (int32_t j = 0; j < n; j++) {
            printf("%s{\"class\":%d", j ? "," : "", (int)classes[j]);
            /* 1001-class heads: the ImageNet-1k index beside the classifier row */
            if (c->imagenet_offset)
                printf(classes[j] < c->imagenet_offset ? ",\"imagenet_class\":null"
                                                       : ",\"imagenet_class\":%d",
                       (int)(classes[j] - c->imagenet_offset));
            const char *label = cli_label_or_null(c->m, classes[j]);
            printf(",\"label\":");
            if (label) cli_json_string(stdout, label);
            else printf("null");
            printf(",\"probability\":%.6g}", (double)probs[j]);
        }
        printf("]}\n");
    } else {
        printf("%s:", file);
        for (int32_t j = 0; j < n; j++)
            printf("%s %.4f %s (%d)", j ? "," : "", (double)probs[j],
                   cli_label_of(c->m, classes[j], buf, sizeof buf), (int)classes[j]);
        printf("\n");
    }
}

static int on_batch(void *arg, cli_batch *b) {
    ctx *c = arg;
    const float *p = NULL;
    int64_t n = 0;
    const inception_tensor *out = cli_batch_run(c->s, b, c->in, INCEPTION_OUTPUT_PROBABILITIES);
    if (out) {
        n = inception_tensor_dim(out, 1);
        p = inception_tensor_data(out);
    }
    for (int i = 0; i < b->n_items; i++) {
        const cli_item *it = &b->items[i];
        const char *file = c->in->v[it->input].path;
        if (it->status != INCEPTION_OK) {
            print_error(c, file, it->status, it->message);
            continue;
        }
        int32_t k = c->a->top < n ? c->a->top : (int32_t)n;
        int32_t m = top_k(p + (size_t)it->slot * (size_t)n, n, k, c->classes, c->probs);
        print_top(c, file, c->classes, c->probs, m);
    }
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "%s: error writing the results\n", cli_prog);
        return EXIT_OUTPUT;
    }
    return EXIT_OK;
}

/* --crops N > 1 or several --model: the library's classify calls (a session's multi-crop
 * classify, or an ensemble), one image at a time. The crops of one image are batched
 * inside the library, so the pipeline's batching has nothing to add here. Images decode
 * at full size: the 144-crop scales need more than the one-crop DCT-scaled decode. */
static int run_eval(const cli_args *a, cli_inputs *in, int some_failed) {
    int n = a->models.n ? a->models.n : 1, rc = EXIT_OK;
    char cache[4096];
    inception_model **models = calloc((size_t)n, sizeof *models);
    inception_options *o = cli_make_options(a);
    inception_session *s = NULL;
    inception_ensemble *e = NULL;
    ctx c = {.a = a, .in = in};
    c.classes = malloc(sizeof(int32_t) * (size_t)a->top);
    c.probs = malloc(sizeof(float) * (size_t)a->top);
    if (!o) { /* cli_make_options said why */
        rc = EXIT_USAGE;
        goto done;
    }
    if (!models || !c.classes || !c.probs) {
        fprintf(stderr, "%s: cannot start: out of memory\n", cli_prog);
        rc = EXIT_SOME_FAILED;
        goto done;
    }
    for (int i = 0; i < n; i++) {
        const char *path = cli_resolve_model(a->models.n ? a->models.v[i] : NULL, cache,
                                             sizeof cache, 0);
        if (!path || !(models[i] = cli_load_model(path, o))) {
            rc = EXIT_MODEL;
            goto done;
        }
        if (cli_is_synthetic(models[i])) {
            cli_warn_synthetic(path);
            c.synthetic = 1;
        }
    }
    inception_status st = n == 1 ? inception_session_create(models[0], o, &s)
                                 : inception_ensemble_create((const inception_model *const *)models,
                                                             n, o, &e);
    if (st != INCEPTION_OK) {
        fprintf(stderr, "%s: %s\n", cli_prog, inception_last_error());
        rc = st == INCEPTION_ERR_MODEL_MISMATCH ? EXIT_USAGE : EXIT_MODEL;
        goto done;
    }
    c.m = models[0];
    int64_t nclasses = 0, offset = 0;
    inception_model_info_int(c.m, INCEPTION_INFO_CLASSES, &nclasses);
    inception_model_info_int(c.m, INCEPTION_INFO_LABEL_OFFSET, &offset);
    c.imagenet_offset = nclasses == 1001 && offset == 1 ? 1 : 0;
    size_t ok = 0, failed = 0;
    double t0 = cli_now();
    for (size_t i = 0; i < in->n; i++) {
        char msg[CLI_MSG_MAX];
        inception_image *img = NULL;
        int32_t got = 0;
        const char *file = in->v[i].path;
        if (in->v[i].error) {
            st = INCEPTION_ERR_IO;
            snprintf(msg, sizeof msg, "%s: %s", file, in->v[i].error);
        } else {
            st = cli_decode_input(&in->v[i], o, a->max_stream, &img, msg, sizeof msg);
        }
        if (st == INCEPTION_OK) {
            st = s ? inception_session_classify_image(s, img, a->top, c.classes, c.probs, &got)
                   : inception_ensemble_classify_image(e, img, a->top, c.classes, c.probs, &got);
            if (st != INCEPTION_OK)
                snprintf(msg, sizeof msg, "%s: %s", file,
                         s ? inception_session_last_error(s) : inception_ensemble_last_error(e));
        }
        inception_image_free(img);
        if (st == INCEPTION_OK) {
            print_top(&c, file, c.classes, c.probs, got);
            ok++;
        } else {
            print_error(&c, file, st, msg);
            failed++;
        }
        if (fflush(stdout) != 0 || ferror(stdout)) {
            fprintf(stderr, "%s: error writing the results\n", cli_prog);
            rc = EXIT_OUTPUT;
            goto done;
        }
    }
    cli_report_rate(a, "classified", ok, ok + failed, cli_now() - t0);
    rc = failed || some_failed ? EXIT_SOME_FAILED : EXIT_OK;
done:
    inception_session_free(s);
    inception_ensemble_free(e);
    for (int i = 0; models && i < n; i++) inception_model_free(models[i]);
    free(models);
    inception_options_free(o);
    free(c.classes);
    free(c.probs);
    return rc;
}

static int crops_asked(const cli_args *a) {
    for (int i = 0; i < a->n_libopts; i++)
        if (a->libopts[i].key == INCEPTION_OPT_CROPS && a->libopts[i].i != 1) return 1;
    return 0;
}

static int run(const cli_args *args) {
    cli_args one = *args;
    const cli_args *a = &one;
    if (args->models.n == 1) one.model = args->models.v[0];
    cli_inputs in;
    int some_failed = 0;
    int rc = cli_inputs_collect(a, &in, &some_failed);
    if (rc != EXIT_OK || in.n == 0) {
        cli_inputs_free(&in);
        return rc != EXIT_OK ? rc : EXIT_SOME_FAILED;
    }
    if (args->models.n > 1 || crops_asked(a)) {
        rc = run_eval(a, &in, some_failed);
        cli_inputs_free(&in);
        return rc;
    }
    char cache[4096];
    const char *path = NULL;
    inception_model *m = NULL;
    inception_session *s = NULL;
    inception_options *dopts = NULL;
    rc = cli_open_session(a, 0, 0, cache, sizeof cache, &path,
                          &m, &s, NULL);
    if (rc != EXIT_OK) {
        cli_inputs_free(&in);
        return rc;
    }
    ctx c = {.a = a, .in = &in, .m = m, .s = s, .synthetic = cli_is_synthetic(m)};
    if (c.synthetic) cli_warn_synthetic(path);
    int64_t nclasses = 0, offset = 0;
    inception_model_info_int(m, INCEPTION_INFO_CLASSES, &nclasses);
    inception_model_info_int(m, INCEPTION_INFO_LABEL_OFFSET, &offset);
    c.imagenet_offset = nclasses == 1001 && offset == 1 ? 1 : 0;
    c.classes = malloc(sizeof(int32_t) * (size_t)a->top);
    c.probs = malloc(sizeof(float) * (size_t)a->top);
    dopts = cli_make_options(a);
    if (!c.classes || !c.probs || !dopts ||
        inception_options_set_int(dopts, INCEPTION_OPT_DECODE_MIN_SIDE,
                                  cli_decode_min_side(m)) != INCEPTION_OK) {
        fprintf(stderr, "%s: cannot start: %s\n", cli_prog,
                dopts ? inception_last_error() : "out of memory");
        rc = EXIT_SOME_FAILED;
    }
    cli_pipeline_stats stats = {0};
    if (rc == EXIT_OK) rc = cli_pipeline_run(a, m, dopts, &in, on_batch, &c, &stats);
    if (rc == EXIT_OK)
        cli_report_rate(a, "classified", stats.done - stats.failed, stats.done, stats.seconds);
    inception_options_free(dopts);
    free(c.classes);
    free(c.probs);
    inception_session_free(s);
    inception_model_free(m);
    cli_inputs_free(&in);
    if (rc != EXIT_OK) return rc;
    return stats.failed || some_failed ? EXIT_SOME_FAILED : EXIT_OK;
}

const cli_command cli_cmd_classify = {
    "classify",
    "Print the most probable classes of each image.",
    "IMAGE...",
    "IMAGE is a JPEG or PNG file (detected from its bytes), '-' for standard input, or a\n"
    "pipe (/dev/stdin, <(...)); a directory needs -r. Images run in batches with decoding\n"
    "overlapped; results come out in input order, one line (or JSON object) per image. An\n"
    "image that fails prints its error and the others go on (exit code 1).",
    "inception classify --top=3 photo.jpg\n"
    "inception classify -r --json photos/ > results.jsonl\n"
    "inception classify --model a.safetensors --model b.safetensors --crops 144 photo.jpg\n"
    "find . -name '*.jpg' | inception classify --files-from -\n"
    "curl -s https://example.org/cat.png | inception classify -",
    run,
};
