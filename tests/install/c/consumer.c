/* A user's program, built outside the tree against an installed libinception (pkg-config,
 * CMake, a meson subproject, static or shared). It defines its own inc_error: the static
 * archive must not export the library's internal inc_* names, or this would not link.
 *   consumer MODEL IMAGE      prints "top1 CLASS PROBABILITY" */
#include <inception/inception.h>
#include <stdio.h>
#include <string.h>

int inc_error(const char *what) { /* the user's own, unrelated to the library's */
    fprintf(stderr, "consumer: %s\n", what);
    return 1;
}

int main(int argc, char **argv) {
    if (argc != 3) return inc_error("usage: consumer MODEL IMAGE");
    if (inception_version_number() != INCEPTION_VERSION_NUMBER)
        return inc_error("header and library versions differ");
    inception_model *model = NULL;
    inception_session *session = NULL;
    if (inception_model_load_file(argv[1], NULL, &model) != INCEPTION_OK)
        return inc_error(inception_last_error());
    if (inception_session_create(model, NULL, &session) != INCEPTION_OK) {
        inception_model_free(model);
        return inc_error(inception_last_error());
    }
    int32_t cls = -1, n = 0;
    float prob = 0;
    int rc = 0;
    if (inception_session_classify_file(session, argv[2], 1, &cls, &prob, &n) != INCEPTION_OK ||
        n != 1)
        rc = inc_error(inception_session_last_error(session));
    else
        printf("top1 %d %.4f\n", (int)cls, prob);
    inception_session_free(session);
    inception_model_free(model);
    return rc;
}
