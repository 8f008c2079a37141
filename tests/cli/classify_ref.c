/* The library's own classify (inception_session_classify_file, one image per run) for
 * comparison with the CLI's batched pipeline: "FILE: CLASS PROB ..." per image (%.6g, as
 * the CLI's JSON), "FILE: error" on failure. Usage: classify_ref MODEL K IMAGE... */
#include <stdio.h>
#include <stdlib.h>

#include <inception/inception.h>

int main(int argc, char **argv) {
    if (argc < 4) return 2;
    inception_model *m = NULL;
    inception_session *s = NULL;
    int k = atoi(argv[2]);
    if (k < 1 || k > 16) return 2;
    if (inception_model_load_file(argv[1], NULL, &m) != INCEPTION_OK ||
        inception_session_create(m, NULL, &s) != INCEPTION_OK) {
        fprintf(stderr, "classify_ref: %s\n", inception_last_error());
        inception_model_free(m);
        return 3;
    }
    for (int i = 3; i < argc; i++) {
        int32_t c[16], n = 0;
        float p[16];
        if (inception_session_classify_file(s, argv[i], k, c, p, &n) != INCEPTION_OK) {
            printf("%s: error\n", argv[i]);
            continue;
        }
        printf("%s:", argv[i]);
        for (int32_t j = 0; j < n; j++) printf(" %d %.6g", (int)c[j], (double)p[j]);
        printf("\n");
    }
    inception_session_free(s);
    inception_model_free(m);
    return 0;
}
