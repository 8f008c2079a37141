/* inception explain: the class activation map of one image as a PNG (docs/cli.md): the
 * network's input crop with the map upsampled (bilinear), colour-mapped and blended. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <inception/inception.h>

#include "cli.h"

#ifdef CLI_HAVE_SPNG
#include <spng.h>
#endif

/* Dark blue -> blue -> cyan -> yellow -> red, v in [0, 1]. */
static void colour(float v, uint8_t rgb[3]) {
    static const float stops[5][3] = {
        {0, 0, 128}, {0, 64, 255}, {0, 230, 230}, {255, 230, 0}, {230, 0, 0}};
    float t = v * 4.0f;
    int i = t >= 4.0f ? 3 : (int)t;
    float f = t - (float)i;
    for (int c = 0; c < 3; c++)
        rgb[c] = (uint8_t)lroundf(stops[i][c] + (stops[i + 1][c] - stops[i][c]) * f);
}

/* Bilinear sample of an h x w map at output pixel (y, x) of an oh x ow image, cell
 * centres aligned (align_corners=False), clamped at the border. */
static float sample(const float *map, int64_t h, int64_t w, int y, int x, int oh, int ow) {
    float fy = ((float)y + 0.5f) * (float)h / (float)oh - 0.5f;
    float fx = ((float)x + 0.5f) * (float)w / (float)ow - 0.5f;
    fy = fy < 0 ? 0 : fy > (float)(h - 1) ? (float)(h - 1) : fy;
    fx = fx < 0 ? 0 : fx > (float)(w - 1) ? (float)(w - 1) : fx;
    int64_t y0 = (int64_t)fy, x0 = (int64_t)fx;
    int64_t y1 = y0 + 1 < h ? y0 + 1 : y0, x1 = x0 + 1 < w ? x0 + 1 : x0;
    float dy = fy - (float)y0, dx = fx - (float)x0;
    float top = map[y0 * w + x0] + (map[y0 * w + x1] - map[y0 * w + x0]) * dx;
    float bot = map[y1 * w + x0] + (map[y1 * w + x1] - map[y1 * w + x0]) * dx;
    return top + (bot - top) * dy;
}

#ifdef CLI_HAVE_SPNG
static int write_png(const char *out, const uint8_t *rgb, int w, int h) {
    spng_ctx *ctx = spng_ctx_new(SPNG_CTX_ENCODER);
    if (!ctx) return 0;
    struct spng_ihdr ihdr = {0};
    ihdr.width = (uint32_t)w;
    ihdr.height = (uint32_t)h;
    ihdr.bit_depth = 8;
    ihdr.color_type = SPNG_COLOR_TYPE_TRUECOLOR;
    int err = spng_set_option(ctx, SPNG_ENCODE_TO_BUFFER, 1);
    if (!err) err = spng_set_ihdr(ctx, &ihdr);
    if (!err) err = spng_encode_image(ctx, rgb, (size_t)w * h * 3, SPNG_FMT_PNG,
                                      SPNG_ENCODE_FINALIZE);
    size_t size = 0;
    void *png = err ? NULL : spng_get_png_buffer(ctx, &size, &err);
    spng_ctx_free(ctx);
    if (!png) {
        fprintf(stderr, "%s: PNG encoding failed: %s\n", cli_prog, spng_strerror(err));
        return 0;
    }
    int to_stdout = !strcmp(out, "-");
    FILE *f = to_stdout ? stdout : fopen(out, "wb");
    int ok = f && fwrite(png, 1, size, f) == size;
    if (f && !to_stdout) ok = fclose(f) == 0 && ok;
    if (to_stdout) ok = fflush(stdout) == 0 && ok;
    free(png);
    if (!ok) fprintf(stderr, "%s: cannot write %s\n", cli_prog, out);
    return ok;
}
#endif

static int run(const cli_args *a) {
#ifndef CLI_HAVE_SPNG
    (void)a;
    fprintf(stderr, "%s explain: this build has no PNG support (libspng)\n", cli_prog);
    return EXIT_USAGE;
#else
    if (a->n_files != 1) {
        fprintf(stderr, "%s explain: give exactly one image\n", cli_prog);
        return EXIT_USAGE;
    }
    if (!a->out) {
        fprintf(stderr, "%s explain: give the PNG to write with -o FILE (or -o - for stdout)\n",
                cli_prog);
        return EXIT_USAGE;
    }
    char cache[4096];
    const char *path = NULL;
    inception_model *m = NULL;
    inception_session *s = NULL;
    int rc = cli_open_session(a, INCEPTION_OUTPUT_PROBABILITIES | INCEPTION_OUTPUT_FEATURE_MAP, 0,
                              cache, sizeof cache, &path, &m, &s, NULL);
    if (rc != EXIT_OK) return rc;
    if (cli_is_synthetic(m)) cli_warn_synthetic(path);
    inception_image *img = NULL;
    inception_tensor *in = NULL, *cam = NULL;
    uint8_t *rgb = NULL;
    const char *file = a->files[0];
    inception_status st = inception_image_decode_file(file, NULL, &img);
    if (!st) st = inception_model_create_input(m, 1, INCEPTION_LAYOUT_NHWC, &in);
    if (!st) st = inception_image_preprocess(m, img, in, 0);
    if (!st) st = inception_session_run(s, in);
    const inception_tensor *pt = NULL;
    if (!st) st = inception_session_output(s, INCEPTION_OUTPUT_PROBABILITIES, &pt);
    int64_t classes = 0, k = a->cls;
    inception_model_info_int(m, INCEPTION_INFO_CLASSES, &classes);
    if (!st) {
        const float *p = inception_tensor_data(pt);
        if (k < 0) {
            k = 0;
            for (int64_t j = 1; j < classes; j++) k = p[j] > p[k] ? j : k;
        }
        st = inception_session_cam(s, 0, k, &cam);
    }
    if (st) {
        cli_report_error(file, inception_session_last_error(s));
        rc = EXIT_SOME_FAILED;
        goto done;
    }
    /* The network's view of the photo: undo the normalisation of its input crop. */
    const char *norm = "";
    float mean[3] = {0.5f, 0.5f, 0.5f}, std[3] = {0.5f, 0.5f, 0.5f};
    inception_model_info_string(m, INCEPTION_INFO_NORMALIZATION, &norm);
    sscanf(norm, "mean=%f,%f,%f std=%f,%f,%f", &mean[0], &mean[1], &mean[2], &std[0], &std[1],
           &std[2]);
    const int ih = (int)inception_tensor_dim(in, 1), iw = (int)inception_tensor_dim(in, 2);
    const int64_t mh = inception_tensor_dim(cam, 1), mw = inception_tensor_dim(cam, 2);
    const float *map = inception_tensor_data(cam), *x = inception_tensor_data(in);
    float lo = map[0], hi = map[0];
    for (int64_t i = 1; i < mh * mw; i++) {
        lo = map[i] < lo ? map[i] : lo;
        hi = map[i] > hi ? map[i] : hi;
    }
    rgb = malloc((size_t)iw * ih * 3);
    if (!rgb) {
        fprintf(stderr, "%s: out of memory\n", cli_prog);
        rc = EXIT_SOME_FAILED;
        goto done;
    }
    for (int y = 0; y < ih; y++)
        for (int xx = 0; xx < iw; xx++) {
            float v = hi > lo ? (sample(map, mh, mw, y, xx, ih, iw) - lo) / (hi - lo) : 0.5f;
            uint8_t c[3];
            colour(v, c);
            size_t o = ((size_t)y * iw + xx) * 3;
            for (int ch = 0; ch < 3; ch++) {
                float px = (x[o + ch] * std[ch] + mean[ch]) * 255.0f;
                px = px < 0 ? 0 : px > 255 ? 255 : px;
                rgb[o + ch] = (uint8_t)lroundf(0.5f * px + 0.5f * (float)c[ch]);
            }
        }
    if (!write_png(a->out, rgb, iw, ih)) {
        rc = EXIT_OUTPUT;
        goto done;
    }
    if (!a->quiet) {
        char buf[32];
        const float *p = inception_tensor_data(pt);
        fprintf(stderr, "%s: %s: class %lld (%s, p=%.4f), map %lldx%lld from %.4g to %.4g, wrote %s\n",
                cli_prog, file, (long long)k, cli_label_of(m, (int32_t)k, buf, sizeof buf),
                (double)p[k], (long long)mh, (long long)mw, (double)lo, (double)hi,
                !strcmp(a->out, "-") ? "stdout" : a->out);
    }
done:
    free(rgb);
    inception_tensor_free(cam);
    inception_tensor_free(in);
    inception_image_free(img);
    inception_session_free(s);
    inception_model_free(m);
    return rc;
#endif
}

const cli_command cli_cmd_explain = {
    "explain",
    "class activation map of one image as a PNG",
    "IMAGE",
    "Runs the image's centre crop, takes the best class (or --class K) and writes the\n"
    "network's input crop blended with that class's activation map (Mixed_7c x fc,\n"
    "upsampled and colour-mapped) as a PNG (docs/paper.md).",
    "inception explain photo.jpg -o heat.png\n"
    "inception explain --class 281 photo.jpg -o heat.png",
    run,
};
