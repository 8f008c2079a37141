/* inception classify: top-k classes of each image, as text or JSON lines (docs/cli.md). */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <inception/inception.h>

#include "cli.h"

static int run(const cli_args *a) {
    if (a->n_files == 0) {
        fprintf(stderr, "%s classify: no images given\n", cli_prog);
        return EXIT_USAGE;
    }
    char cache[4096];
    const char *path = NULL;
    inception_model *m = NULL;
    inception_session *s = NULL;
    int rc = cli_open_session(a, 0, 0, cache, sizeof cache, &path, &m, &s, NULL);
    if (rc != EXIT_OK) return rc;
    int synthetic = cli_is_synthetic(m);
    int64_t nclasses = 0, offset = 0;
    inception_model_info_int(m, INCEPTION_INFO_CLASSES, &nclasses);
    inception_model_info_int(m, INCEPTION_INFO_LABEL_OFFSET, &offset);
    int32_t imagenet_offset = nclasses == 1001 && offset == 1 ? 1 : 0;
    if (synthetic) cli_warn_synthetic(path);

    int k = a->top;
    int32_t *classes = malloc(sizeof(int32_t) * (size_t)k);
    float *probs = malloc(sizeof(float) * (size_t)k);
    if (!classes || !probs) {
        fprintf(stderr, "%s: out of memory\n", cli_prog);
        free(classes);
        free(probs);
        inception_session_free(s);
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
            inception_session_classify_file(s, file, k, classes, probs, &n);
        if (show) fputs("\r\033[K", stderr);
        if (st != INCEPTION_OK) {
            failed++;
            if (a->json) {
                printf("{\"file\":");
                cli_json_string(stdout, file);
                printf(",\"error\":{\"code\":%d,\"status\":", (int)st);
                cli_json_string(stdout, inception_status_string(st));
                printf(",\"message\":");
                cli_json_string(stdout, inception_session_last_error(s));
                printf("}}\n");
            } else {
                cli_report_error(file, inception_session_last_error(s));
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
    cli_report_rate(a, "classified", failed, cli_now() - t0);
    free(classes);
    free(probs);
    inception_session_free(s);
    inception_model_free(m);
    if (ferror(stdout)) return EXIT_OUTPUT;
    return failed ? EXIT_SOME_FAILED : EXIT_OK;
}

const cli_command cli_cmd_classify = {
    "classify",
    "classify [--model M] [--top K] [--json] [--threads N]\n"
    "                          [--backend B] [--quiet] [load options] IMAGE...\n",
    run,
};
