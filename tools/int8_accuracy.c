/* int8 vs float accuracy report (benchmark, not CI; docs/int8.md "Accuracy"):
 *   int8_accuracy [--blocks] [--weights-only] FLOAT.safetensors INT8.safetensors IMAGE...
 * For every image, every preset and the mirror image of each: top-1 agreement, top-5
 * overlap, cosine of the logits and of the 2048-d features, int8 against float.
 * --blocks also prints the mean cosine of every block output (where the error grows);
 * --weights-only runs the int8 file with float precision (weight rounding alone). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <inception/inception.h>

static double cosine(const float *a, const float *b, int64_t n) {
    double ab = 0, aa = 0, bb = 0;
    for (int64_t i = 0; i < n; i++) ab += (double)a[i] * b[i], aa += (double)a[i] * a[i], bb += (double)b[i] * b[i];
    return aa > 0 && bb > 0 ? ab / sqrt(aa * bb) : (aa == bb);
}

static void top5(const float *v, int64_t n, int64_t out[5]) {
    for (int k = 0; k < 5; k++) {
        out[k] = -1;
        for (int64_t i = 0; i < n; i++) {
            int used = 0;
            for (int j = 0; j < k; j++) used |= out[j] == i;
            if (!used && (out[k] < 0 || v[i] > v[out[k]])) out[k] = i;
        }
    }
}

static int fail(const char *what) {
    fprintf(stderr, "int8_accuracy: %s: %s\n", what, inception_last_error());
    return 1;
}

static const char *blocks[] = {"Conv2d_1a_3x3", "Conv2d_2a_3x3", "Conv2d_2b_3x3", "maxpool1",
                                "Conv2d_3b_1x1", "Conv2d_4a_3x3", "maxpool2", "Mixed_5b",
                                "Mixed_5c", "Mixed_5d", "Mixed_6a", "Mixed_6b", "Mixed_6c",
                                "Mixed_6d", "Mixed_6e", "Mixed_7a", "Mixed_7b", "Mixed_7c"};
#define N_BLOCKS (sizeof blocks / sizeof blocks[0])

int main(int argc, char **argv) {
    int by_block = 0, weights_only = 0;
    while (argc > 1 && argv[1][0] == '-' && argv[1][1] == '-') {
        if (!strcmp(argv[1], "--blocks")) by_block = 1;
        else if (!strcmp(argv[1], "--weights-only")) weights_only = 1;
        else break;
        argv++, argc--;
    }
    if (argc < 4) {
        fprintf(stderr, "usage: int8_accuracy [--blocks] [--weights-only] FLOAT.safetensors "
                        "INT8.safetensors IMAGE...\n");
        return 2;
    }
    char extra[512] = "";
    for (size_t k = 0; k < N_BLOCKS; k++) strcat(strcat(extra, k ? "," : ""), blocks[k]);
    double block_cos[N_BLOCKS] = {0}, block_err2[N_BLOCKS] = {0}, block_px[N_BLOCKS] = {0};
    static double block_sum[N_BLOCKS][2048]; /* per-channel sums of int8 - float */
    static const char *presets[] = {"torchvision", "timm", "tf", "resize"};
    int64_t n = 0, agree = 0, overlap = 0;
    double min_fc = 1, min_lc = 1, sum_fc = 0, sum_lc = 0;
    for (int p = 0; p < 4; p++) {
        inception_options *o;
        inception_model *fm, *qm;
        inception_session *fs, *qs;
        if (inception_options_create(&o) || inception_options_set_string(o, INCEPTION_OPT_PRESET, presets[p]) ||
            inception_options_set_int(o, INCEPTION_OPT_THREADS, 2))
            return fail("options");
        if (inception_model_load_file(argv[1], o, &fm)) return fail(argv[1]);
        if (weights_only && inception_options_set_string(o, INCEPTION_OPT_PRECISION, "float"))
            return fail("options");
        if (inception_model_load_file(argv[2], o, &qm)) return fail(argv[2]);
        if (by_block && inception_options_set_string(o, INCEPTION_OPT_EXTRA_OUTPUTS, extra))
            return fail("options");
        if (inception_session_create(fm, o, &fs) || inception_session_create(qm, o, &qs)) return fail("session");
        int64_t classes = 0;
        inception_model_info_int(fm, INCEPTION_INFO_CLASSES, &classes);
        for (int i = 3; i < argc; i++)
            for (int mirror = 0; mirror < 2; mirror++) {
                inception_image *img;
                inception_tensor *in;
                if (inception_image_decode_file(argv[i], o, &img)) return fail(argv[i]);
                if (inception_model_create_input(fm, 1, INCEPTION_LAYOUT_NCHW, &in) ||
                    inception_image_preprocess(fm, img, in, 0))
                    return fail("preprocess");
                if (mirror) {
                    float *d = inception_tensor_data(in);
                    int64_t h, w;
                    inception_model_info_int(fm, INCEPTION_INFO_INPUT_HEIGHT, &h);
                    inception_model_info_int(fm, INCEPTION_INFO_INPUT_WIDTH, &w);
                    for (int64_t r = 0; r < 3 * h; r++)
                        for (int64_t x = 0; x < w / 2; x++) {
                            float t = d[r * w + x];
                            d[r * w + x] = d[r * w + w - 1 - x];
                            d[r * w + w - 1 - x] = t;
                        }
                }
                const inception_tensor *ff, *qf, *fl, *ql;
                if (inception_session_run(fs, in) || inception_session_run(qs, in)) return fail("run");
                inception_session_output(fs, INCEPTION_OUTPUT_FEATURES, &ff);
                inception_session_output(qs, INCEPTION_OUTPUT_FEATURES, &qf);
                inception_session_output(fs, INCEPTION_OUTPUT_LOGITS, &fl);
                inception_session_output(qs, INCEPTION_OUTPUT_LOGITS, &ql);
                for (size_t k = 0; by_block && k < N_BLOCKS; k++) {
                    const inception_tensor *a, *b;
                    if (inception_session_output_named(fs, blocks[k], &a) ||
                        inception_session_output_named(qs, blocks[k], &b))
                        return fail(blocks[k]);
                    int64_t cnt = (int64_t)(inception_tensor_byte_size(a) / sizeof(float));
                    block_cos[k] += cosine(inception_tensor_data(a), inception_tensor_data(b), cnt);
                    const float *fa = inception_tensor_data(a), *fb = inception_tensor_data(b);
                    int64_t c = inception_tensor_dim(a, 3);
                    for (int64_t e = 0; e < cnt; e++) {
                        double d = (double)fb[e] - fa[e];
                        block_err2[k] += d * d, block_sum[k][e % c] += d;
                    }
                    block_px[k] += (double)(cnt / c);
                }
                double fc = cosine(inception_tensor_data(ff), inception_tensor_data(qf), 2048);
                double lc = cosine(inception_tensor_data(fl), inception_tensor_data(ql), classes);
                int64_t a[5], b[5];
                top5(inception_tensor_data(fl), classes, a);
                top5(inception_tensor_data(ql), classes, b);
                int ov = 0;
                for (int x = 0; x < 5; x++)
                    for (int y = 0; y < 5; y++) ov += a[x] >= 0 && a[x] == b[y];
                agree += a[0] == b[0];
                overlap += ov;
                n++;
                sum_fc += fc, sum_lc += lc;
                min_fc = fc < min_fc ? fc : min_fc;
                min_lc = lc < min_lc ? lc : min_lc;
                printf("%-11s %s%s: top1 %s top5 overlap %d/5 feature cos %.6f logit cos %.6f\n",
                       presets[p], argv[i], mirror ? " (mirror)" : "", a[0] == b[0] ? "same" : "DIFF",
                       ov, fc, lc);
                inception_tensor_free(in);
                inception_image_free(img);
            }
        inception_session_free(fs);
        inception_session_free(qs);
        inception_model_free(fm);
        inception_model_free(qm);
        inception_options_free(o);
    }
    for (size_t k = 0; by_block && k < N_BLOCKS; k++)
    {
        /* share of the error energy that is a per-channel mean shift over all samples */
        double shift = 0;
        for (int c = 0; c < 2048; c++) shift += block_sum[k][c] * block_sum[k][c] / block_px[k];
        printf("BLOCK %-14s cos mean %.6f mean-shift share %.3f\n", blocks[k],
               block_cos[k] / (double)n, block_err2[k] > 0 ? shift / block_err2[k] : 0.0);
    }
    printf("RESULT samples=%lld top1_agreement=%.4f top5_overlap=%.4f feature_cos_mean=%.6f "
           "feature_cos_min=%.6f logit_cos_mean=%.6f logit_cos_min=%.6f\n", (long long)n,
           (double)agree / (double)n, (double)overlap / (5.0 * (double)n), sum_fc / (double)n, min_fc,
           sum_lc / (double)n, min_lc);
    return 0;
}
