/* inception classify: top-k classes of each image, as text or JSON lines (docs/cli.md). */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <inception/inception.h>

#include "cli.h"

/* Several --model: load each (same load options) and make an ensemble of them; *first
 * keeps a reference to model 0 for labels. */
static int open_ensemble(const cli_args *a, inception_model **first, inception_ensemble **out) {
    inception_options *o = cli_make_options(a);
    if (!o) return EXIT_USAGE;
    inception_model *models[CLI_MAX_MODELS] = {0};
    int rc = EXIT_OK;
    for (int i = 0; i < a->n_models && rc == EXIT_OK; i++) {
        models[i] = cli_load_model(a->models[i], o);
        if (!models[i]) rc = EXIT_MODEL;
        else if (cli_is_synthetic(models[i])) cli_warn_synthetic(a->models[i]);
    }
    if (rc == EXIT_OK &&
        inception_ensemble_create((const inception_model *const *)models, a->n_models, o, out) !=
            INCEPTION_OK) {
        fprintf(stderr, "%s: cannot make an ensemble: %s\n", cli_prog, inception_last_error());
        rc = EXIT_MODEL;
    }
    inception_options_free(o);
    for (int i = 1; i < a->n_models; i++) inception_model_free(models[i]);
    if (rc != EXIT_OK) {
        inception_model_free(models[0]);
        return rc;
    }
    *first = models[0];
    return EXIT_OK;
}

static int run(const cli_args *a) {
    if (a->n_files == 0) {
        fprintf(stderr, "%s classify: no images given\n", cli_prog);
        return EXIT_USAGE;
    }
    char cache[4096];
    const char *path = NULL;
    inception_model *m = NULL;
    inception_session *s = NULL;
    inception_ensemble *e = NULL;
    int rc = a->n_models > 1 ? open_ensemble(a, &m, &e)
                             : cli_open_session(a, 0, 0, cache, sizeof cache, &path, &m, &s, NULL);
    if (rc != EXIT_OK) return rc;
    int synthetic = cli_is_synthetic(m);
    int64_t nclasses = 0, offset = 0;
    inception_model_info_int(m, INCEPTION_INFO_CLASSES, &nclasses);
    inception_model_info_int(m, INCEPTION_INFO_LABEL_OFFSET, &offset);
    int32_t imagenet_offset = nclasses == 1001 && offset == 1 ? 1 : 0;
    if (synthetic && s) cli_warn_synthetic(path);

    int k = a->top;
    int32_t *classes = malloc(sizeof(int32_t) * (size_t)k);
    float *probs = malloc(sizeof(float) * (size_t)k);
    if (!classes || !probs) {
        fprintf(stderr, "%s: out of memory\n", cli_prog);
        free(classes);
        free(probs);
        inception_session_free(s);
        inception_ensemble_free(e);
        inception_model_free(m);
        return EXIT_SOME_FAILED;
    }
    int show = !a->quiet && isatty(2) && a->n_files > 1;
    int failed = 0;
    double t0 = cli_now();
    for (int i = 0; i < a->n_files; i++) {
        const char *file = a->files[i];
        int32_t n = 0;
        inception_status st =
            e ? inception_ensemble_classify_file(e, file, k, classes, probs, &n)
              : inception_session_classify_file(s, file, k, classes, probs, &n);
        const char *why = e ? inception_ensemble_last_error(e) : inception_session_last_error(s);
        if (show) fputs("\r\033[K", stderr);
        if (st != INCEPTION_OK) {
            failed++;
            if (a->json) {
                printf("{\"file\":");
                cli_json_string(stdout, file);
                printf(",\"error\":{\"code\":%d,\"status\":", (int)st);
                cli_json_string(stdout, inception_status_string(st));
                printf(",\"message\":");
                cli_json_string(stdout, why);
                printf("}}\n");
            } else {
                cli_report_error(file, why);
            }
        } else if (a->json) {
            printf("{\"file\":");
            cli_json_string(stdout, file);
            printf(",\"synthetic\":%s,\"top\":[", synthetic ? "true" : "false");
            for (int32_t j = 0; j < n; j++) {
                printf("%s{\"class\":%d", j ? "," : "", (int)classes[j]);
                /* 1001-class heads: the ImageNet-1k index beside the classifier row */
                if (imagenet_offset)
                    printf(classes[j] < imagenet_offset ? ",\"imagenet_class\":null"
                                                        : ",\"imagenet_class\":%d",
                           (int)(classes[j] - imagenet_offset));
                const char *label = cli_label_or_null(m, classes[j]);
                printf(",\"label\":");
                if (label) cli_json_string(stdout, label);
                else printf("null");
                printf(",\"probability\":%.6g}", (double)probs[j]);
            }
            printf("]}\n");
        } else {
            char buf[32];
            printf("%s:", file);
            for (int32_t j = 0; j < n; j++)
                printf("%s %.4f %s (%d)", j ? "," : "", (double)probs[j],
                       cli_label_of(m, classes[j], buf, sizeof buf), (int)classes[j]);
            printf("\n");
        }
        fflush(stdout);
        cli_progress(i + 1, a->n_files, show);
    }
    double secs = cli_now() - t0;
    cli_report_rate(a, "classified", failed, secs);
    if (!a->quiet && (a->crops > 1 || e))
        fprintf(stderr, "%s: %d model%s x %d crop%s per image: %.1f ms per image\n", cli_prog,
                e ? a->n_models : 1, e ? "s" : "", a->crops ? a->crops : 1,
                a->crops > 1 ? "s" : "",
                a->n_files > failed ? secs * 1e3 / (a->n_files - failed) : 0.0);
    free(classes);
    free(probs);
    inception_session_free(s);
    inception_ensemble_free(e);
    inception_model_free(m);
    if (ferror(stdout)) return EXIT_OUTPUT;
    return failed ? EXIT_SOME_FAILED : EXIT_OK;
}

const cli_command cli_cmd_classify = {
    "classify",
    "classify [--model M]... [--top K] [--json] [--threads N]\n"
    "                          [--crops 1|10|12|144] [--crop-average probabilities|logits]\n"
    "                          [--backend B] [--quiet] [load options] IMAGE...\n",
    run,
};
