/* Compute 2048-d Inception-v3 embeddings and print the cosine similarity of every pair
 * of images (a tiny near-duplicate finder).
 *   cc features.c $(pkg-config --cflags --libs inception) -lm -o features
 *   ./features inception_v3.safetensors a.jpg b.png c.jpg
 */
#include <inception/inception.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s MODEL.safetensors IMAGE...\n", argv[0]);
        return 2;
    }
    int n = argc - 2;
    inception_model *model = NULL;
    inception_options *opts = NULL;
    inception_session *session = NULL;
    inception_tensor *input = NULL;
    float *emb = NULL;
    int status = 1;
    if (inception_model_load_file(argv[1], NULL, &model) != INCEPTION_OK) goto fail;
    /* Only the pooled features are needed: skip keeping logits/probabilities. */
    if (inception_options_create(&opts) != INCEPTION_OK ||
        inception_options_set_int(opts, INCEPTION_OPT_OUTPUTS, INCEPTION_OUTPUT_FEATURES) !=
            INCEPTION_OK ||
        inception_session_create(model, opts, &session) != INCEPTION_OK)
        goto fail;
    /* A batch of one, sized for the model (299x299 for the usual weights). */
    if (inception_model_create_input(model, 1, INCEPTION_LAYOUT_NCHW, &input) != INCEPTION_OK)
        goto fail;
    emb = calloc((size_t)n * 2048, sizeof(float));
    if (!emb) goto fail;
    for (int i = 0; i < n; i++) {
        inception_image *img = NULL;
        const inception_tensor *features = NULL;
        if (inception_image_decode_file(argv[i + 2], NULL, &img) != INCEPTION_OK ||
            inception_image_preprocess(model, img, input, 0) != INCEPTION_OK ||
            inception_session_run(session, input) != INCEPTION_OK ||
            inception_session_output(session, INCEPTION_OUTPUT_FEATURES, &features) !=
                INCEPTION_OK) {
            inception_image_free(img);
            goto fail;
        }
        inception_image_free(img);
        /* Borrowed until the next run: copy it out and normalise to unit length. */
        const float *f = inception_tensor_data(features);
        double norm = 0;
        for (int j = 0; j < 2048; j++) norm += (double)f[j] * f[j];
        norm = norm > 0 ? sqrt(norm) : 1;
        for (int j = 0; j < 2048; j++) emb[(size_t)i * 2048 + j] = (float)(f[j] / norm);
    }
    for (int a = 0; a < n; a++)
        for (int b = a + 1; b < n; b++) {
            double dot = 0;
            for (int j = 0; j < 2048; j++)
                dot += (double)emb[(size_t)a * 2048 + j] * emb[(size_t)b * 2048 + j];
            printf("%.4f  %s  %s\n", dot, argv[a + 2], argv[b + 2]);
        }
    status = 0;
fail:
    if (status) fprintf(stderr, "error: %s\n", inception_last_error());
    free(emb);
    inception_tensor_free(input);
    inception_session_free(session);
    inception_options_free(opts);
    inception_model_free(model);
    return status;
}
