/* Image layer, white-box: decoders against the generated variants (data/variants/
 * manifest.tsv), EXIF, DCT scaling, raw pixels, and the preprocessing presets against
 * references from torchvision/PIL (data/refs/refs.tsv, tools/gen_preprocess_refs.py).
 * Built from the image, common and options sources only, so it runs without the rest of
 * the library. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "api/options.h"
#include "image/image.h"

static char data_dir[512];

static void setup_paths(void) {
    const char *root = getenv("INCEPTION_TEST_DATA");
    snprintf(data_dir, sizeof data_dir, "%s/image/data", root ? root : "tests");
}

static uint8_t *slurp(const char *path, size_t *size) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = malloc(n > 0 ? (size_t)n : 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *size = (size_t)n;
    return buf;
}

static inception_status status_from_name(const char *s) {
    if (!strcmp(s, "OK")) return INCEPTION_OK;
    if (!strcmp(s, "IMAGE")) return INCEPTION_ERR_IMAGE;
    if (!strcmp(s, "IMAGE_TOO_LARGE")) return INCEPTION_ERR_IMAGE_TOO_LARGE;
    if (!strcmp(s, "IO")) return INCEPTION_ERR_IO;
    return (inception_status)-1;
}

static void apply_opts(const char *spec, inception_options *o) {
    *o = *inc_options_default();
    if (!strcmp(spec, "-")) return;
    long long v;
    if (sscanf(spec, "min_side=%lld", &v) == 1) o->decode_min_side = v;
    else if (sscanf(spec, "exif=%lld", &v) == 1) o->exif_orientation = v;
    else if (sscanf(spec, "max_pixels=%lld", &v) == 1) o->max_image_pixels = v;
    else ck_abort_msg("unknown option spec %s", spec);
}

START_TEST(decode_manifest) {
    char path[2048];
    snprintf(path, sizeof path, "%s/variants/manifest.tsv", data_dir);
    FILE *f = fopen(path, "r");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    char line[512];
    int cases = 0, failures = 0;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#') continue;
        char name[256], status[64], crc[16], opts[64];
        int w, h;
        if (sscanf(line, "%255s %63s %d %d %15s %63s", name, status, &w, &h, crc, opts) != 6)
            continue;
        inception_options o;
        apply_opts(opts, &o);
        snprintf(path, sizeof path, "%s/variants/%s", data_dir, name);
        inception_image *img = NULL;
        inception_status want = status_from_name(status);
        inception_status got = inception_image_decode_file(path, &o, &img);
        cases++;
        if (got != want) {
            fprintf(stderr, "%s [%s]: status %d, want %s (%s)\n", name, opts, (int)got,
                    status, inception_last_error());
            failures++;
        } else if (got == INCEPTION_OK) {
            uint32_t c = (uint32_t)crc32(0, img->pixels, (uInt)((size_t)img->width *
                                                                 img->height * 3));
            char hex[16];
            snprintf(hex, sizeof hex, "%08x", c);
            if (img->width != w || img->height != h || strcmp(hex, crc)) {
                fprintf(stderr, "%s [%s]: %dx%d crc %s, want %dx%d crc %s\n", name, opts,
                        img->width, img->height, hex, w, h, crc);
                failures++;
            }
        } else {
            ck_assert_msg(img == NULL, "%s: out written on failure", name);
            ck_assert_msg(strlen(inception_last_error()) > 0, "%s: no message", name);
        }
        inception_image_free(img);
    }
    fclose(f);
    ck_assert_int_ge(cases, 40);
    ck_assert_msg(failures == 0, "%d of %d decode cases failed (details on stderr)",
                  failures, cases);
}
END_TEST

START_TEST(decode_memory_edges) {
    inception_image *img = NULL;
    static const uint8_t jpeg3[] = {0xFF, 0xD8, 0xFF};
    static const uint8_t png8[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    ck_assert_int_eq(inception_image_decode_memory(NULL, 10, NULL, &img),
                     INCEPTION_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(inception_image_decode_memory(jpeg3, 3, NULL, NULL),
                     INCEPTION_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(inception_image_decode_memory(jpeg3, 0, NULL, &img), INCEPTION_ERR_IMAGE);
    ck_assert_int_eq(inception_image_decode_memory(jpeg3, 2, NULL, &img), INCEPTION_ERR_IMAGE);
    ck_assert_int_eq(inception_image_decode_memory(jpeg3, 3, NULL, &img), INCEPTION_ERR_IMAGE);
    ck_assert_int_eq(inception_image_decode_memory(png8, 8, NULL, &img), INCEPTION_ERR_IMAGE);
    ck_assert_int_eq(inception_image_decode_memory("GIF89a", 6, NULL, &img),
                     INCEPTION_ERR_IMAGE);
    ck_assert_ptr_null(img);
    ck_assert_int_eq(inception_image_decode_file(NULL, NULL, &img),
                     INCEPTION_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(inception_image_decode_file("x.jpg", NULL, NULL),
                     INCEPTION_ERR_INVALID_ARGUMENT);
    /* A prefix of every length of a valid JPEG and PNG: never a crash, never OK for a
     * cut inside the entropy-coded data (the EOI/IEND are needed). */
    const char *names[] = {"variants/progressive.jpg", "variants/interlaced.png"};
    for (int k = 0; k < 2; k++) {
        char path[2048];
        size_t n;
        snprintf(path, sizeof path, "%s/%s", data_dir, names[k]);
        uint8_t *buf = slurp(path, &n);
        ck_assert_ptr_nonnull(buf);
        for (size_t cut = 0; cut + 16 < n; cut += 1 + cut / 16) {
            inception_status st = inception_image_decode_memory(buf, cut, NULL, &img);
            ck_assert_msg(st == INCEPTION_ERR_IMAGE, "%s cut at %zu: status %d", names[k],
                          cut, (int)st);
        }
        ck_assert_int_eq(inception_image_decode_memory(buf, n, NULL, &img), INCEPTION_OK);
        inception_image_free(img);
        img = NULL;
        free(buf);
    }
}
END_TEST

START_TEST(exif_parser) {
    /* Minimal little-endian TIFF with one orientation entry. */
    uint8_t b[6 + 8 + 2 + 12 + 4] = "Exif\0\0II*\0\x08\0\0\0";
    uint8_t *e = b + 14;
    e[0] = 1; e[1] = 0;                           /* one entry */
    e[2] = 0x12; e[3] = 0x01; e[4] = 3; e[5] = 0; /* tag 0x112, SHORT */
    e[6] = 1; e[7] = e[8] = e[9] = 0;             /* count 1 */
    e[10] = 6; e[11] = 0;
    ck_assert_int_eq(inc_exif_orientation(b, sizeof b), 6);
    for (size_t n = 0; n < 26; n++) ck_assert_int_eq(inc_exif_orientation(b, n), 1);
    e[10] = 9; /* out of range */
    ck_assert_int_eq(inc_exif_orientation(b, sizeof b), 1);
    e[10] = 3; e[4] = 4; /* LONG instead of SHORT */
    ck_assert_int_eq(inc_exif_orientation(b, sizeof b), 1);
    e[4] = 3; e[0] = 0xFF; /* count beyond the buffer */
    ck_assert_int_eq(inc_exif_orientation(b, sizeof b), 1);
    e[0] = 1; b[10] = 0xF0; /* IFD offset beyond the buffer */
    ck_assert_int_eq(inc_exif_orientation(b, sizeof b), 1);
    b[10] = 8; b[6] = 'X'; /* bad byte order */
    ck_assert_int_eq(inc_exif_orientation(b, sizeof b), 1);
}
END_TEST

START_TEST(jpeg_scale_choice) {
    ck_assert_int_eq(inc_jpeg_scale_num(6000, 4000, 0), 8);
    ck_assert_int_eq(inc_jpeg_scale_num(6000, 4000, 342), 1);  /* 500 >= 342 */
    ck_assert_int_eq(inc_jpeg_scale_num(6000, 4000, 501), 2);
    ck_assert_int_eq(inc_jpeg_scale_num(1200, 800, 299), 3);
    ck_assert_int_eq(inc_jpeg_scale_num(1200, 800, 400), 4);
    ck_assert_int_eq(inc_jpeg_scale_num(1200, 800, 401), 8);   /* not much larger */
    ck_assert_int_eq(inc_jpeg_scale_num(300, 300, 342), 8);
    ck_assert_int_eq(inc_jpeg_scale_num(801, 10000, 100), 1);  /* ceil(801/8) = 101 */
}
END_TEST

START_TEST(from_pixels_formats) {
    /* 3x2 image, stride padded to 16 bytes. */
    uint8_t rgba[2][16], bgr[2][16], gray[2][16], rgb[2][16];
    for (int y = 0; y < 2; y++)
        for (int x = 0; x < 3; x++) {
            uint8_t r = (uint8_t)(10 * x + y), g = (uint8_t)(100 + x), b = (uint8_t)(200 + y);
            rgb[y][3 * x] = r; rgb[y][3 * x + 1] = g; rgb[y][3 * x + 2] = b;
            rgba[y][4 * x] = r; rgba[y][4 * x + 1] = g; rgba[y][4 * x + 2] = b;
            rgba[y][4 * x + 3] = 7;
            bgr[y][3 * x] = b; bgr[y][3 * x + 1] = g; bgr[y][3 * x + 2] = r;
            gray[y][x] = r;
        }
    inception_image *a = NULL, *b = NULL, *c = NULL, *d = NULL;
    ck_assert_int_eq(inception_image_from_pixels(rgb, 3, 2, 16, INCEPTION_PIXEL_RGB, NULL, &a),
                     INCEPTION_OK);
    ck_assert_int_eq(inception_image_from_pixels(rgba, 3, 2, 16, INCEPTION_PIXEL_RGBA, NULL,
                                                 &b), INCEPTION_OK);
    ck_assert_int_eq(inception_image_from_pixels(bgr, 3, 2, 16, INCEPTION_PIXEL_BGR, NULL, &c),
                     INCEPTION_OK);
    ck_assert_int_eq(inception_image_width(a), 3);
    ck_assert_int_eq(inception_image_height(a), 2);
    ck_assert_mem_eq(inception_image_pixels(a), inception_image_pixels(b), 18);
    ck_assert_mem_eq(inception_image_pixels(a), inception_image_pixels(c), 18);
    ck_assert_int_eq(inception_image_from_pixels(gray, 3, 2, 16, INCEPTION_PIXEL_GRAY, NULL,
                                                 &d), INCEPTION_OK);
    const uint8_t *p = inception_image_pixels(d);
    ck_assert_int_eq(p[3 * 4], 11); /* (x=1, y=1) */
    ck_assert_int_eq(p[3 * 4 + 1], 11);
    inception_image_free(a);
    inception_image_free(b);
    inception_image_free(c);
    inception_image_free(d);
    /* BGRA swaps like BGR and drops alpha */
    uint8_t bgra[4] = {1, 2, 3, 4};
    ck_assert_int_eq(inception_image_from_pixels(bgra, 1, 1, 4, INCEPTION_PIXEL_BGRA, NULL,
                                                 &a), INCEPTION_OK);
    ck_assert_int_eq(inception_image_pixels(a)[0], 3);
    ck_assert_int_eq(inception_image_pixels(a)[2], 1);
    inception_image_free(a);
    a = NULL;
    ck_assert_int_eq(inception_image_from_pixels(NULL, 3, 2, 16, INCEPTION_PIXEL_RGB, NULL, &a),
                     INCEPTION_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(inception_image_from_pixels(rgb, 3, 2, 16, INCEPTION_PIXEL_RGB, NULL, NULL),
                     INCEPTION_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(inception_image_from_pixels(rgb, 0, 2, 16, INCEPTION_PIXEL_RGB, NULL, &a),
                     INCEPTION_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(inception_image_from_pixels(rgb, 3, -1, 16, INCEPTION_PIXEL_RGB, NULL, &a),
                     INCEPTION_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(inception_image_from_pixels(rgb, 3, 2, 8, INCEPTION_PIXEL_RGB, NULL, &a),
                     INCEPTION_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(inception_image_from_pixels(rgb, 3, 2, 16, (inception_pixel_format)99,
                                                 NULL, &a), INCEPTION_ERR_INVALID_ARGUMENT);
    inception_options o = *inc_options_default();
    o.max_image_pixels = 5;
    ck_assert_int_eq(inception_image_from_pixels(rgb, 3, 2, 16, INCEPTION_PIXEL_RGB, &o, &a),
                     INCEPTION_ERR_IMAGE_TOO_LARGE);
    ck_assert_ptr_null(a);
    ck_assert_int_eq(inception_image_width(NULL), 0);
    ck_assert_ptr_null(inception_image_pixels(NULL));
    inception_image_free(NULL);
}
END_TEST

/* Max |ours - reference| over every element, in units of 1/255. */
static double compare_ref(const char *photo, const char *preset, int oh, int ow,
                          const char *kind, const char *file) {
    char path[2048];
    snprintf(path, sizeof path, "%s/%s", data_dir, photo);
    inception_image *img = NULL;
    ck_assert_int_eq(inception_image_decode_file(path, NULL, &img), INCEPTION_OK);
    inc_preset p = !strcmp(preset, "torchvision") ? INC_PRESET_TORCHVISION
                   : !strcmp(preset, "timm")      ? INC_PRESET_TIMM
                                                  : INC_PRESET_TF;
    size_t n = (size_t)oh * ow * 3;
    float *ours = malloc(n * sizeof(float));
    ck_assert_int_eq(inc_preprocess_unit(img, p, oh, ow, ours), INCEPTION_OK);
    int wide = !strcmp(kind, "u16");
    uLongf raw_n = (uLongf)(n * (wide ? 2 : 1));
    uint8_t *raw = malloc(raw_n);
    size_t zn;
    snprintf(path, sizeof path, "%s/refs/%s", data_dir, file);
    uint8_t *z = slurp(path, &zn);
    ck_assert_msg(z != NULL, "missing %s", path);
    ck_assert_int_eq(uncompress(raw, &raw_n, z, (uLong)zn), Z_OK);
    ck_assert_uint_eq(raw_n, n * (wide ? 2 : 1));
    double worst = 0.0;
    for (size_t i = 0; i < n; i++) {
        double ref = wide ? (raw[2 * i] | raw[2 * i + 1] << 8) / 65535.0 : raw[i] / 255.0;
        double d = fabs((double)ours[i] - ref) * 255.0;
        if (d > worst) worst = d;
    }
    free(z);
    free(raw);
    free(ours);
    inception_image_free(img);
    return worst;
}

START_TEST(preprocess_golden) {
    char path[2048];
    snprintf(path, sizeof path, "%s/refs/refs.tsv", data_dir);
    FILE *f = fopen(path, "r");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    char line[512];
    double worst[3] = {0, 0, 0};
    const char *names[3] = {"torchvision", "timm", "tf"};
    int cases = 0;
    while (fgets(line, sizeof line, f)) {
        char photo[256], preset[32], kind[8], file[256];
        int oh, ow;
        if (line[0] == '#' ||
            sscanf(line, "%255s %31s %d %d %7s %255s", photo, preset, &oh, &ow, kind, file) != 6)
            continue;
        double e = compare_ref(photo, preset, oh, ow, kind, file);
        printf("  %-28s %-11s %3dx%-3d (%s reference): max error %.6f/255\n", photo, preset,
               oh, ow, kind, e);
        for (int k = 0; k < 3; k++)
            if (!strcmp(preset, names[k]) && e > worst[k]) worst[k] = e;
        /* The 8-bit-rounded tf references carry up to 0.5/255 of their own error. */
        ck_assert_msg(e <= 1.0 + 1e-6, "%s %s %dx%d: max error %.4f/255", photo, preset, oh,
                      ow, e);
        cases++;
    }
    fclose(f);
    ck_assert_int_ge(cases, 9);
    printf("preprocess max error (units of 1/255): torchvision %.6f, timm %.6f, tf %.6f\n",
           worst[0], worst[1], worst[2]);
}
END_TEST

START_TEST(preset_geometry) {
    inc_prep_plan p;
    /* 640x427 landscape, torchvision: shorter side 342, long int(342*640/427) = 512. */
    inc_prep_plan_make(INC_PRESET_TORCHVISION, 640, 427, 299, 299, &p);
    ck_assert_int_eq(p.rw, 512);
    ck_assert_int_eq(p.rh, 342);
    ck_assert_int_eq(p.cx, 106);  /* round(213/2 = 106.5) = 106, half to even */
    ck_assert_int_eq(p.cy, 22);   /* round(43/2 = 21.5) = 22 */
    inc_prep_plan_make(INC_PRESET_TIMM, 512, 600, 299, 299, &p);
    ck_assert_int_eq(p.rw, 341);
    ck_assert_int_eq(p.rh, 399);  /* int(341*600/512) = 399 */
    ck_assert_int_eq(p.cx, 21);   /* 42/2 */
    ck_assert_int_eq(p.cy, 50);
    inc_prep_plan_make(INC_PRESET_TF, 640, 427, 299, 299, &p);
    ck_assert_int_eq(p.tx, 40);   /* int((640 - 560) / 2) */
    ck_assert_int_eq(p.ty, 26);   /* int((427 - 373.625) / 2) = int(26.69) */
    ck_assert_int_eq(p.tw, 560);
    ck_assert_int_eq(p.th, 375);
    ck_assert_int_eq(inc_preset_min_side(INC_PRESET_TORCHVISION, 299, 299), 342);
    ck_assert_int_eq(inc_preset_min_side(INC_PRESET_TIMM, 299, 299), 341);
    ck_assert_int_eq(inc_preset_min_side(INC_PRESET_TF, 299, 299), 342);
}
END_TEST

/* Tiny and extreme shapes must still produce a crop of the requested size. */
START_TEST(preprocess_odd_shapes) {
    static const int32_t shapes[][2] = {{1, 1}, {1, 500}, {700, 2}, {75, 75}, {3000, 20}};
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        int32_t w = shapes[s][0], h = shapes[s][1];
        uint8_t *px = malloc((size_t)w * h * 3);
        for (size_t i = 0; i < (size_t)w * h * 3; i++) px[i] = (uint8_t)(i * 37 + 11);
        inception_image *img = NULL;
        ck_assert_int_eq(inception_image_from_pixels(px, w, h, (size_t)w * 3,
                                                     INCEPTION_PIXEL_RGB, NULL, &img),
                         INCEPTION_OK);
        float *out = malloc(299 * 299 * 3 * sizeof(float));
        for (int preset = 1; preset <= 3; preset++) {
            ck_assert_int_eq(inc_preprocess_unit(img, (inc_preset)preset, 299, 299, out),
                             INCEPTION_OK);
            size_t bad = 0;
            for (size_t i = 0; i < 299 * 299 * 3; i++) bad += !(out[i] >= 0.0f && out[i] <= 1.0f);
            ck_assert_msg(bad == 0, "%dx%d preset %d: %zu values outside [0,1]", (int)w,
                          (int)h, preset, bad);
        }
        free(out);
        free(px);
        inception_image_free(img);
    }
}
END_TEST

/* 1 if the plan of `preset` for a w x h image and an out_h x out_w output is a crop the
 * resampler can produce; *why says what is wrong. */
static int plan_ok(int preset, int32_t w, int32_t h, int32_t oh, int32_t ow,
                   const char **why) {
    inc_prep_plan p;
    inc_prep_plan_make((inc_preset)preset, w, h, oh, ow, &p);
    if (preset == INC_PRESET_RESIZE || preset == INC_PRESET_UNIT) {
        *why = "whole-image resize is not the output size";
        return p.rw == ow && p.rh == oh && p.cx == 0 && p.cy == 0;
    }
    if (preset == INC_PRESET_TF) {
        *why = "tf crop box outside the image or empty";
        return p.tx >= 0 && p.ty >= 0 && p.tw >= 1 && p.th >= 1 && p.tx + p.tw <= w &&
               p.ty + p.th <= h;
    }
    *why = "crop outside the resize";
    if (p.cx < 0 || p.cy < 0 || p.cx + ow > p.rw || p.cy + oh > p.rh) return 0;
    /* the shorter side is resized to the preset's target, the longer one keeps the
     * aspect ratio: within one pixel of target * longer / shorter */
    int32_t shorter = w <= h ? w : h, longer = w <= h ? h : w;
    int64_t rs = w <= h ? p.rw : p.rh, rl = w <= h ? p.rh : p.rw;
    *why = "resize does not keep the aspect ratio";
    double want = (double)rs * longer / shorter;
    return rs == inc_preset_min_side((inc_preset)preset, oh, ow) && (double)rl <= want &&
           (double)rl > want - 1.0 - 1e-6 * want;
}

/* The planner over extreme shapes: 1xN and Nx1 up to INT32_MAX (past the default pixel
 * limit, which the option can raise), NxN, and output sizes from 1 to 65535. Run under
 * UBSan with float-cast-overflow (tools/sanitize.sh): the long side used to be an int32
 * converted from a double, which overflowed from an aspect ratio of ~6000:1 on. */
START_TEST(preset_geometry_extremes) {
    static const int64_t sides[] = {1, 2, 3, 7, 75, 299, 341, 342, 1000, 6279, 6280, 65500,
                                    1000000, 7000000, 10000000, (int64_t)1 << 28,
                                    INT32_MAX - 1, INT32_MAX};
    static const int32_t outs[][2] = {{299, 299}, {75, 75}, {1, 1}, {299, 75}, {1, 65535},
                                      {65535, 65535}, {16384, 16384}, {342, 341}};
    const size_t ns = sizeof sides / sizeof sides[0], no = sizeof outs / sizeof outs[0];
    long checked = 0;
    for (int preset = 1; preset <= 5; preset++)
        for (size_t o = 0; o < no; o++)
            for (size_t i = 0; i < ns; i++)
                for (size_t j = 0; j < ns; j++) {
                    int32_t w = (int32_t)sides[i], h = (int32_t)sides[j];
                    const char *why = "";
                    ck_assert_msg(plan_ok(preset, w, h, outs[o][0], outs[o][1], &why),
                                  "preset %d, %dx%d image, %dx%d output: %s", preset,
                                  (int)w, (int)h, (int)outs[o][1], (int)outs[o][0], why);
                    checked++;
                }
    ck_assert_int_eq(checked, 5 * (long)no * (long)(ns * ns));
}
END_TEST

/* The audit's 1 x 10^7 image, and its transpose, through every preset's resampler: a
 * crop of the requested size (it used to be INTERNAL "crop 299x299 outside resized
 * 341x1"). */
START_TEST(preprocess_extreme_aspect) {
    static const int32_t shapes[][2] = {{1, 10000000}, {10000000, 1}, {2, 7000000}};
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        int32_t w = shapes[s][0], h = shapes[s][1];
        inception_image *img = NULL;
        ck_assert_int_eq(inc_image_new(w, h, INC_DEFAULT_MAX_PIXELS, &img), INCEPTION_OK);
        for (size_t i = 0; i < (size_t)w * h * 3; i++) img->pixels[i] = (uint8_t)(i % 251);
        float *out = malloc(299 * 299 * 3 * sizeof(float));
        /* Every preset, resize/unit too: their non-proportional resize used to hold every
         * source row x 299 between the passes (9 GB here); the streaming vertical pass
         * needs the output's size. The resampler's own peak is bounded by a few outputs. */
        for (int preset = 1; preset <= INC_PRESET_UNIT; preset++) {
            int64_t before = inc_alloc_live_bytes();
            inc_alloc_peak_bytes(1);
            inception_status st = inc_preprocess_unit(img, (inc_preset)preset, 299, 299, out);
            int64_t peak = inc_alloc_peak_bytes(0) - before;
            ck_assert_msg(peak < 64 << 20, "%dx%d preset %d: resampling held %lld bytes",
                          (int)w, (int)h, preset, (long long)peak);
            ck_assert_msg(st == INCEPTION_OK, "%dx%d preset %d: status %d (%s)", (int)w,
                          (int)h, preset, (int)st, inception_last_error());
            size_t bad = 0;
            for (size_t i = 0; i < 299 * 299 * 3; i++) bad += !(out[i] >= 0.0f && out[i] <= 1.0f);
            ck_assert_msg(bad == 0, "%dx%d preset %d: %zu values outside [0,1]", (int)w,
                          (int)h, preset, bad);
        }
        free(out);
        inc_image_destroy(img);
    }
}
END_TEST

/* ---- Decode memory and time: crafted bombs against the budget ---------------------- */

typedef struct bbuf {
    uint8_t *d;
    size_t n, cap;
} bbuf;

static void bput(bbuf *b, const void *p, size_t n) {
    if (b->n + n > b->cap) {
        b->cap = (b->n + n) * 2;
        b->d = realloc(b->d, b->cap);
        ck_assert_ptr_nonnull(b->d);
    }
    if (p) memcpy(b->d + b->n, p, n);
    else memset(b->d + b->n, 0, n);
    b->n += n;
}
static void bput8(bbuf *b, unsigned v) {
    uint8_t c = (uint8_t)v;
    bput(b, &c, 1);
}
static void bput16(bbuf *b, unsigned v) {
    bput8(b, v >> 8);
    bput8(b, v);
}

/* A JPEG of w x h with `nc` components (the first sampled `samp` = 0x11 or 0x22),
 * baseline or progressive, whose entropy data is `zeros` zero bytes: with one-symbol
 * Huffman tables (code "0" = DC difference 0 / end of block) that is an all-grey image
 * at 2 bits a block, so a 16384x16384 baseline fits in 1 MB. `scans` DC scans for a
 * progressive one, an EXIF orientation if `orient` > 1. */
static bbuf bomb_jpeg(unsigned w, unsigned h, int nc, unsigned samp, int progressive,
                      int scans, int orient, size_t zeros) {
    bbuf b = {0};
    bput16(&b, 0xFFD8);
    if (orient > 1) {
        static const uint8_t tiff[] = {'E', 'x', 'i', 'f', 0, 0, 'M', 'M', 0, 42, 0, 0, 0, 8,
                                       0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1};
        bput16(&b, 0xFFE1);
        bput16(&b, 2 + sizeof tiff + 8);
        bput(&b, tiff, sizeof tiff);
        bput16(&b, (unsigned)orient);
        bput16(&b, 0);
        bput(&b, NULL, 4); /* no next IFD */
    }
    bput16(&b, 0xFFDB);
    bput16(&b, 67);
    bput8(&b, 0);
    for (int i = 0; i < 64; i++) bput8(&b, 1);
    bput16(&b, progressive ? 0xFFC2 : 0xFFC0);
    bput16(&b, 8 + 3 * nc);
    bput8(&b, 8);
    bput16(&b, h);
    bput16(&b, w);
    bput8(&b, (unsigned)nc);
    for (int c = 0; c < nc; c++) {
        bput8(&b, (unsigned)c + 1);
        bput8(&b, c == 0 ? samp : 0x11);
        bput8(&b, 0);
    }
    for (int cls = 0; cls < 2; cls++) { /* DC and AC table 0: one code of length 1 */
        bput16(&b, 0xFFC4);
        bput16(&b, 2 + 1 + 16 + 1);
        bput8(&b, (unsigned)cls << 4);
        bput8(&b, 1);
        bput(&b, NULL, 15);
        bput8(&b, 0);
    }
    for (int s = 0; s < (progressive ? scans : 1); s++) {
        bput16(&b, 0xFFDA);
        bput16(&b, 6 + 2 * nc);
        bput8(&b, (unsigned)nc);
        for (int c = 0; c < nc; c++) {
            bput8(&b, (unsigned)c + 1);
            bput8(&b, 0);
        }
        bput8(&b, 0);
        bput8(&b, progressive ? 0 : 63);
        bput8(&b, 0);
        bput(&b, NULL, zeros);
    }
    bput16(&b, 0xFFD9);
    return b;
}

#define MiB ((int64_t)1 << 20)
/* What a decode may hold beyond the budget: the library's and libjpeg's bookkeeping
 * (SECURITY.md, "Decoding: memory and time limits"). */
#define DECODE_OVERHEAD MiB

/* Decode `b` with a budget (0 = default) and scan limit (0 = default); returns the
 * status and the peak bytes held meanwhile: the library's allocations plus what
 * libjpeg's memory manager handed out (both counted by alloc.c, so the figure does not
 * depend on timing). */
static inception_status decode_peak(const bbuf *b, int64_t budget, int64_t scans,
                                    int64_t min_side, int64_t *peak, int32_t *w,
                                    int32_t *h) {
    inception_options *o = NULL;
    ck_assert_int_eq(inception_options_create(&o), INCEPTION_OK);
    if (budget)
        ck_assert_int_eq(inception_options_set_int(o, INCEPTION_OPT_MAX_DECODE_MEMORY, budget),
                         INCEPTION_OK);
    if (scans)
        ck_assert_int_eq(inception_options_set_int(o, INCEPTION_OPT_MAX_JPEG_SCANS, scans),
                         INCEPTION_OK);
    if (min_side)
        ck_assert_int_eq(inception_options_set_int(o, INCEPTION_OPT_DECODE_MIN_SIDE, min_side),
                         INCEPTION_OK);
    int64_t before = inc_alloc_live_bytes();
    inc_alloc_peak_bytes(1);
    inception_image *img = NULL;
    inception_status st = inception_image_decode_memory(b->d, b->n, o, &img);
    *peak = inc_alloc_peak_bytes(0) - before;
    printf("decode of %zu bytes, budget %lld, scans %lld, min side %lld: status %d, peak %lld "
           "bytes\n", b->n, (long long)budget, (long long)scans, (long long)min_side, (int)st,
           (long long)*peak);
    if (w) *w = st == INCEPTION_OK ? inception_image_width(img) : 0;
    if (h) *h = st == INCEPTION_OK ? inception_image_height(img) : 0;
    inception_image_free(img);
    ck_assert_int_eq(inc_alloc_live_bytes(), before); /* libjpeg's pools all returned */
    inception_options_free(o);
    return st;
}

/* The audit's bombs. Each must stay under the budget (default 1 GiB) plus the fixed
 * overhead, whatever its status; before the budget the progressive 16384x16384 one held
 * 2.3 GB, the CMYK one 2.2 GB, the rotated baseline 1.5 GB. */
START_TEST(decode_bombs_bounded) {
    const int64_t B = INC_DEFAULT_MAX_DECODE_MEMORY;
    int64_t peak;
    int32_t w, h;
    /* 16384x16384 progressive 4:4:4: 1.5 GiB of coefficients, refused when requested */
    bbuf b = bomb_jpeg(16384, 16384, 3, 0x11, 1, 1, 1, 8);
    ck_assert_uint_lt(b.n, 600);
    ck_assert_int_eq(decode_peak(&b, 0, 0, 0, &peak, NULL, NULL), INCEPTION_ERR_IMAGE_TOO_LARGE);
    ck_assert_msg(strstr(inception_last_error(), "MAX_DECODE_MEMORY"), "%s", inception_last_error());
    ck_assert_int_le(peak, B + DECODE_OVERHEAD);
    /* ... even DCT-scaled (what classify asks for): the coefficients are full size */
    ck_assert_int_eq(decode_peak(&b, 0, 0, 342, &peak, NULL, NULL), INCEPTION_ERR_IMAGE_TOO_LARGE);
    ck_assert_int_le(peak, B + DECODE_OVERHEAD);
    free(b.d);
    /* CMYK progressive: 2 GiB of coefficients */
    b = bomb_jpeg(16384, 16384, 4, 0x11, 1, 1, 1, 8);
    ck_assert_int_eq(decode_peak(&b, 0, 0, 342, &peak, NULL, NULL), INCEPTION_ERR_IMAGE_TOO_LARGE);
    ck_assert_int_le(peak, B + DECODE_OVERHEAD);
    free(b.d);
    /* A progressive bomb the budget admits: its coefficients (96 MiB) and pixels
     * (48 MiB) are really held; libjpeg fills the missing data with grey */
    b = bomb_jpeg(4096, 4096, 3, 0x11, 1, 1, 1, 8);
    ck_assert_int_eq(decode_peak(&b, 192 * MiB, 0, 0, &peak, NULL, NULL), INCEPTION_OK);
    ck_assert_int_ge(peak, 144 * MiB); /* the measurement sees libjpeg's buffers */
    ck_assert_int_le(peak, 192 * MiB + DECODE_OVERHEAD);
    ck_assert_int_eq(decode_peak(&b, 100 * MiB, 0, 0, &peak, NULL, NULL),
                     INCEPTION_ERR_IMAGE_TOO_LARGE);
    ck_assert_int_le(peak, 100 * MiB + DECODE_OVERHEAD);
    free(b.d);
    /* 16384x16384 baseline, EXIF orientation 6, DCT-scaled as classify decodes it */
    b = bomb_jpeg(16384, 16384, 1, 0x11, 0, 1, 6, (size_t)16384 * 16384 / 64 * 2 / 8 + 64);
    ck_assert_int_eq(decode_peak(&b, 0, 0, 342, &peak, &w, &h), INCEPTION_OK);
    ck_assert_int_eq(w, 2048);
    ck_assert_int_eq(h, 2048);
    ck_assert_int_le(peak, 2048 * 2048 * 3 + DECODE_OVERHEAD);
    free(b.d);
    /* a full-size rotated decode holds one image, not two: 4096x2048 turned to
     * 2048x4096 in 24 MiB (the rotation copy needed 48) */
    b = bomb_jpeg(4096, 2048, 1, 0x11, 0, 1, 6, (size_t)4096 * 2048 / 64 * 2 / 8 + 64);
    ck_assert_int_eq(decode_peak(&b, 25 * MiB, 0, 0, &peak, &w, &h), INCEPTION_OK);
    ck_assert_int_eq(w, 2048);
    ck_assert_int_eq(h, 4096);
    ck_assert_int_le(peak, 25 * MiB + DECODE_OVERHEAD);
    ck_assert_int_eq(decode_peak(&b, 20 * MiB, 0, 0, &peak, NULL, NULL),
                     INCEPTION_ERR_IMAGE_TOO_LARGE);
    free(b.d);
}
END_TEST

/* 600 scans of an 8x8 progressive JPEG: refused past the scan limit (default 500),
 * decoded when the limit allows them. */
START_TEST(decode_scan_limit) {
    bbuf b = bomb_jpeg(8, 8, 1, 0x11, 1, 600, 1, 1);
    int64_t peak;
    ck_assert_int_eq(decode_peak(&b, 0, 0, 0, &peak, NULL, NULL), INCEPTION_ERR_IMAGE_TOO_LARGE);
    ck_assert_msg(strstr(inception_last_error(), "scans"), "%s", inception_last_error());
    ck_assert_int_eq(decode_peak(&b, 0, 600, 0, &peak, NULL, NULL), INCEPTION_OK);
    ck_assert_int_eq(decode_peak(&b, 0, 599, 0, &peak, NULL, NULL), INCEPTION_ERR_IMAGE_TOO_LARGE);
    free(b.d);
    /* the options' ranges */
    inception_options *o = NULL;
    ck_assert_int_eq(inception_options_create(&o), INCEPTION_OK);
    ck_assert_int_eq(inception_options_set_int(o, INCEPTION_OPT_MAX_JPEG_SCANS, 0),
                     INCEPTION_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(inception_options_set_int(o, INCEPTION_OPT_MAX_JPEG_SCANS, (1 << 20) + 1),
                     INCEPTION_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(inception_options_set_int(o, INCEPTION_OPT_MAX_DECODE_MEMORY, 0),
                     INCEPTION_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(inception_options_set_string(o, INCEPTION_OPT_MAX_DECODE_MEMORY, "1"),
                     INCEPTION_ERR_INVALID_ARGUMENT);
    inception_options_free(o);
}
END_TEST

/* PNG: the pixels and libspng's buffers count against the same budget. */
START_TEST(decode_png_budget) {
    char path[2048];
    size_t n;
    snprintf(path, sizeof path, "%s/skimage_chelsea_cat.png", data_dir);
    uint8_t *png = slurp(path, &n);
    ck_assert_ptr_nonnull(png);
    bbuf b = {png, n, n};
    int64_t peak;
    int32_t w, h;
    ck_assert_int_eq(decode_peak(&b, 0, 0, 0, &peak, &w, &h), INCEPTION_OK);
    int64_t pixels = (int64_t)w * h * 3;
    ck_assert_int_le(peak, pixels + DECODE_OVERHEAD);
    ck_assert_int_eq(decode_peak(&b, pixels - 1, 0, 0, &peak, NULL, NULL),
                     INCEPTION_ERR_IMAGE_TOO_LARGE);
    ck_assert_int_le(peak, pixels + DECODE_OVERHEAD);
    /* the pixels fit, spng's inflate buffers do not */
    ck_assert_int_eq(decode_peak(&b, pixels + 4096, 0, 0, &peak, NULL, NULL),
                     INCEPTION_ERR_IMAGE_TOO_LARGE);
    ck_assert_int_eq(decode_peak(&b, pixels + 4 * MiB, 0, 0, &peak, NULL, NULL), INCEPTION_OK);
    free(png);
}
END_TEST

/* Every allocation failing in turn: a clean OUT_OF_MEMORY, never a crash or an OK with
 * garbage. (Leaks are caught by running the suite under valgrind/ASan.) */
START_TEST(allocation_failures) {
    const char *names[] = {"variants/cmyk.jpg", "variants/exif_6.jpg", "variants/rgba16.png",
                           "skimage_rocket_falcon9.jpg"};
    for (int k = 0; k < 4; k++) {
        char path[2048];
        size_t n;
        snprintf(path, sizeof path, "%s/%s", data_dir, names[k]);
        uint8_t *buf = slurp(path, &n);
        ck_assert_ptr_nonnull(buf);
        int ok = 0;
        for (int64_t fail = 0; fail < 200 && !ok; fail++) {
            inception_image *img = NULL;
            inc_alloc_fail_after(fail);
            inception_status st = inception_image_decode_memory(buf, n, NULL, &img);
            float *out = NULL;
            if (st == INCEPTION_OK) {
                out = malloc(299 * 299 * 3 * sizeof(float));
                st = inc_preprocess_unit(img, INC_PRESET_TIMM, 299, 299, out);
            }
            inc_alloc_fail_after(-1);
            ck_assert_msg(st == INCEPTION_OK || st == INCEPTION_ERR_OUT_OF_MEMORY,
                          "%s fail after %lld: status %d (%s)", names[k], (long long)fail,
                          (int)st, inception_last_error());
            ok = st == INCEPTION_OK;
            free(out);
            inception_image_free(img);
        }
        ck_assert_msg(ok, "%s never succeeded", names[k]);
        free(buf);
    }
}
END_TEST

static Suite *image_suite(void) {
    Suite *s = suite_create("image");
    TCase *tc = tcase_create("decode");
    tcase_add_test(tc, decode_manifest);
    tcase_add_test(tc, decode_memory_edges);
    tcase_add_test(tc, exif_parser);
    tcase_add_test(tc, jpeg_scale_choice);
    tcase_add_test(tc, from_pixels_formats);
    tcase_add_test(tc, decode_bombs_bounded);
    tcase_add_test(tc, decode_scan_limit);
    tcase_add_test(tc, decode_png_budget);
    suite_add_tcase(s, tc);
    tc = tcase_create("preprocess");
    tcase_add_test(tc, preprocess_golden);
    tcase_add_test(tc, preset_geometry);
    tcase_add_test(tc, preprocess_odd_shapes);
    tcase_add_test(tc, preset_geometry_extremes);
    tcase_add_test(tc, preprocess_extreme_aspect);
    suite_add_tcase(s, tc);
    tc = tcase_create("alloc");
    tcase_add_test(tc, allocation_failures);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) {
    setup_paths();
    SRunner *sr = srunner_create(image_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
