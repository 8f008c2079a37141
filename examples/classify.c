/* Classify photos with libinception and print the five most likely labels.
 *   cc classify.c $(pkg-config --cflags --libs inception) -o classify
 *   ./classify inception_v3.safetensors photo.jpg [more.jpg ...]
 */
#include <inception/inception.h>
#include <stdio.h>

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s MODEL.safetensors IMAGE...\n", argv[0]);
        return 2;
    }
    inception_model *model = NULL;
    if (inception_model_load_file(argv[1], NULL, &model) != INCEPTION_OK) {
        fprintf(stderr, "cannot load %s: %s\n", argv[1], inception_last_error());
        return 1;
    }
    /* One session per thread; it keeps its activation memory between calls. */
    inception_session *session = NULL;
    if (inception_session_create(model, NULL, &session) != INCEPTION_OK) {
        fprintf(stderr, "cannot create a session: %s\n", inception_last_error());
        inception_model_free(model);
        return 1;
    }
    int status = 0;
    for (int i = 2; i < argc; i++) {
        int32_t classes[5], count = 0;
        float probs[5];
        /* Decodes the JPEG/PNG, applies the model's preprocessing preset, runs, top-5. */
        if (inception_session_classify_file(session, argv[i], 5, classes, probs, &count) !=
            INCEPTION_OK) {
            fprintf(stderr, "%s\n", inception_session_last_error(session));
            status = 1;
            continue;
        }
        printf("%s\n", argv[i]);
        for (int32_t k = 0; k < count; k++) {
            const char *label = "?";
            inception_model_label(model, classes[k], &label);
            printf("  %6.2f%%  %s\n", 100.0 * probs[k], label);
        }
    }
    inception_session_free(session);
    inception_model_free(model);
    return status;
}
