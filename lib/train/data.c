/* Training data: ImageFolder-style folders or list files, the hashed train/validation
 * split, and the augmentations (random resized crop, flip, TF-slim colour distortion).
 * Decoding and resampling come from lib/image. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "image/image.h"
#include "train/train.h"

typedef struct strvec {
    char **v;
    size_t n, cap;
} strvec;

static int strvec_push(strvec *s, const char *str) {
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        char **nv = inc_realloc(s->v, cap * sizeof *nv);
        if (!nv) return 0;
        s->v = nv;
        s->cap = cap;
    }
    char *c = inc_strdup(str);
    if (!c) return 0;
    s->v[s->n++] = c;
    return 1;
}

static void strvec_free(strvec *s) {
    for (size_t i = 0; i < s->n; i++) inc_free(s->v[i]);
    inc_free(s->v);
    memset(s, 0, sizeof *s);
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int is_image_name(const char *n) {
    const char *dot = strrchr(n, '.');
    if (!dot) return 0;
    return !strcasecmp(dot, ".jpg") || !strcasecmp(dot, ".jpeg") || !strcasecmp(dot, ".png");
}

static char *join(const char *a, const char *b) {
    size_t la = strlen(a), lb = strlen(b);
    char *p = inc_malloc(la + lb + 2);
    if (!p) return NULL;
    memcpy(p, a, la);
    p[la] = '/';
    memcpy(p + la + 1, b, lb + 1);
    return p;
}

/* Sorted names in `dir` that are directories (want_dirs) or image files. */
static inception_status list_dir(const char *dir, int want_dirs, strvec *out) {
    DIR *d = opendir(dir);
    if (!d) return inc_error(INCEPTION_ERR_IO, "cannot open folder '%s': %s", dir, strerror(errno));
    struct dirent *e;
    inception_status st = INCEPTION_OK;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char *full = join(dir, e->d_name);
        if (!full) {
            st = inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "listing '%s'", dir);
            break;
        }
        struct stat sb;
        int ok = stat(full, &sb) == 0;
        inc_free(full);
        if (!ok) continue;
        int take = want_dirs ? S_ISDIR(sb.st_mode) : (S_ISREG(sb.st_mode) && is_image_name(e->d_name));
        if (take && !strvec_push(out, e->d_name)) {
            st = inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "listing '%s'", dir);
            break;
        }
    }
    closedir(d);
    if (st == INCEPTION_OK && out->n > 1) qsort(out->v, out->n, sizeof *out->v, cmp_str);
    return st;
}

/* retrain.py's rule: the split depends only on the file name (minus any "_nohash_" part),
 * so adding images never moves the others between the sets. */
static int is_validation(const char *cls, const char *file, double fraction) {
    if (fraction <= 0) return 0;
    const char *cut = strstr(file, "_nohash_");
    size_t n = cut ? (size_t)(cut - file) : strlen(file);
    uint64_t h = inc_fnv1a64(cls, strlen(cls), INC_FNV_OFFSET);
    h = inc_fnv1a64("/", 1, h);
    h = inc_fnv1a64(file, n, h);
    return (double)(inc_rng_u64(h, 0) >> 11) * 0x1.0p-53 < fraction;
}

typedef struct samplevec {
    inc_sample *v;
    int64_t n, cap;
} samplevec;

static int sample_push(samplevec *s, char *path, int32_t label) {
    if (s->n == s->cap) {
        int64_t cap = s->cap ? s->cap * 2 : 256;
        inc_sample *nv = inc_realloc(s->v, (size_t)cap * sizeof *nv);
        if (!nv) return 0;
        s->v = nv;
        s->cap = cap;
    }
    s->v[s->n].path = path;
    s->v[s->n].label = label;
    s->n++;
    return 1;
}

static void samples_free(inc_sample *v, int64_t n) {
    for (int64_t i = 0; i < n; i++) inc_free(v[i].path);
    inc_free(v);
}

static inception_status open_folder(const char *root, double fraction, inc_dataset *d,
                                    samplevec *train, samplevec *val) {
    strvec classes = {0};
    inception_status st = list_dir(root, 1, &classes);
    if (st) return st;
    if (classes.n == 0) {
        strvec_free(&classes);
        return inc_error(INCEPTION_ERR_INVALID_ARGUMENT,
                         "'%s' has no class folders (expected one subfolder of images per class)", root);
    }
    if (classes.n < 2) {
        st = inc_error(INCEPTION_ERR_INVALID_ARGUMENT,
                       "'%s' has only one class folder ('%s'); a classifier needs at least 2", root,
                       classes.v[0]);
        strvec_free(&classes);
        return st;
    }
    if (classes.n > (1u << 20)) {
        strvec_free(&classes);
        return inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "'%s' has too many class folders", root);
    }
    for (size_t c = 0; c < classes.n && st == INCEPTION_OK; c++) {
        char *dir = join(root, classes.v[c]);
        strvec files = {0};
        if (!dir) st = inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "dataset");
        else st = list_dir(dir, 0, &files);
        if (st == INCEPTION_OK && files.n == 0)
            st = inc_error(INCEPTION_ERR_INVALID_ARGUMENT,
                           "class folder '%s' has no .jpg, .jpeg or .png files", dir);
        for (size_t i = 0; i < files.n && st == INCEPTION_OK; i++) {
            char *path = join(dir, files.v[i]);
            samplevec *to = is_validation(classes.v[c], files.v[i], fraction) ? val : train;
            if (!path || !sample_push(to, path, (int32_t)c)) {
                inc_free(path);
                st = inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "dataset");
            }
        }
        strvec_free(&files);
        inc_free(dir);
    }
    if (st) {
        strvec_free(&classes);
        return st;
    }
    d->classes = classes.v;
    d->n_classes = (int32_t)classes.n;
    return INCEPTION_OK;
}

/* "path label" lines (the label after the last run of blanks); '#' comments. Labels are
 * class names; `classes` grows with names not seen unless `fixed`. */
static inception_status read_list(const char *list, strvec *classes, int fixed, samplevec *out,
                                  samplevec *val, double fraction) {
    inc_file_buf buf;
    inception_status st = inc_file_read(list, &buf);
    if (st) return st;
    const char *slash = strrchr(list, '/');
    char *base = NULL;
    if (slash) {
        base = inc_malloc((size_t)(slash - list) + 1);
        if (base) {
            memcpy(base, list, (size_t)(slash - list));
            base[slash - list] = '\0';
        }
    }
    const char *p = (const char *)buf.data, *end = p + buf.size;
    int64_t line_no = 0;
    char *line = inc_malloc(buf.size + 1);
    if (!line || (slash && !base)) st = inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "reading '%s'", list);
    while (st == INCEPTION_OK && p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        memcpy(line, p, n);
        line[n] = '\0';
        p += n + 1;
        line_no++;
        while (n > 0 && isspace((unsigned char)line[n - 1])) line[--n] = '\0';
        char *s = line;
        while (*s == ' ' || *s == '\t') s++;
        if (!*s || *s == '#') continue;
        char *sep = s + strlen(s);
        while (sep > s && !isspace((unsigned char)sep[-1])) sep--;
        if (sep == s) {
            st = inc_error(INCEPTION_ERR_FORMAT, "%s:%lld: expected \"path label\"", list, (long long)line_no);
            break;
        }
        const char *label = sep;
        char *q = sep;
        while (q > s && isspace((unsigned char)q[-1])) q--;
        *q = '\0';
        int32_t idx = -1;
        for (size_t c = 0; c < classes->n; c++)
            if (strcmp(classes->v[c], label) == 0) idx = (int32_t)c;
        if (idx < 0) {
            if (fixed) {
                st = inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "%s:%lld: label '%.64s' is not a class of the training data",
                               list, (long long)line_no, label);
                break;
            }
            if (!strvec_push(classes, label)) {
                st = inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "reading '%s'", list);
                break;
            }
            idx = (int32_t)(classes->n - 1);
        }
        char *path = (s[0] == '/' || !base) ? inc_strdup(s) : join(base, s);
        const char *fname = strrchr(s, '/') ? strrchr(s, '/') + 1 : s;
        samplevec *to = val && is_validation(label, fname, fraction) ? val : out;
        if (!path || !sample_push(to, path, idx)) {
            inc_free(path);
            st = inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "reading '%s'", list);
        }
    }
    inc_free(line);
    inc_free(base);
    inc_file_release(&buf);
    return st;
}

inception_status inc_dataset_open(const char *data, const char *val_list, double fraction,
                                  inc_dataset *out) {
    inc_dataset d;
    memset(&d, 0, sizeof d);
    samplevec train = {0}, val = {0};
    struct stat sb;
    if (stat(data, &sb) != 0)
        return inc_error(INCEPTION_ERR_IO, "cannot open training data '%s': %s", data, strerror(errno));
    inception_status st;
    if (S_ISDIR(sb.st_mode)) {
        st = open_folder(data, val_list ? 0.0 : fraction, &d, &train, &val);
        if (st == INCEPTION_OK && val_list) {
            strvec cls = {d.classes, (size_t)d.n_classes, (size_t)d.n_classes};
            st = read_list(val_list, &cls, 1, &val, NULL, 0);
        }
    } else {
        strvec cls = {0};
        st = read_list(data, &cls, 0, &train, val_list ? NULL : &val, fraction);
        if (st == INCEPTION_OK && val_list) st = read_list(val_list, &cls, 1, &val, NULL, 0);
        /* classes are sorted, as for folders */
        if (st == INCEPTION_OK && cls.n > 1) {
            char **sorted = inc_malloc(cls.n * sizeof *sorted);
            int32_t *map = inc_malloc(cls.n * sizeof *map);
            if (!sorted || !map) {
                st = inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "dataset");
            } else {
                memcpy(sorted, cls.v, cls.n * sizeof *sorted);
                qsort(sorted, cls.n, sizeof *sorted, cmp_str);
                for (size_t i = 0; i < cls.n; i++)
                    for (size_t j = 0; j < cls.n; j++)
                        if (cls.v[i] == sorted[j]) map[i] = (int32_t)j;
                for (int64_t i = 0; i < train.n; i++) train.v[i].label = map[train.v[i].label];
                for (int64_t i = 0; i < val.n; i++) val.v[i].label = map[val.v[i].label];
                memcpy(cls.v, sorted, cls.n * sizeof *sorted);
            }
            inc_free(sorted);
            inc_free(map);
        }
        if (st == INCEPTION_OK && cls.n < 2)
            st = inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "'%s' names %zu class(es); a classifier needs at least 2",
                           data, cls.n);
        d.classes = cls.v;
        d.n_classes = (int32_t)cls.n;
    }
    if (st == INCEPTION_OK && train.n == 0)
        st = inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "'%s': no training images (all %lld went to validation)",
                       data, (long long)val.n);
    d.train = train.v, d.n_train = train.n, d.val = val.v, d.n_val = val.n;
    if (st) {
        inc_dataset_free(&d);
        return st;
    }
    *out = d;
    return INCEPTION_OK;
}

void inc_dataset_free(inc_dataset *d) {
    for (int32_t i = 0; i < d->n_classes; i++) inc_free(d->classes[i]);
    inc_free(d->classes);
    samples_free(d->train, d->n_train);
    samples_free(d->val, d->n_val);
    memset(d, 0, sizeof *d);
}

/* ---- augmentation ---------------------------------------------------------------------- */

/* Draw indices of a view's stream (fixed so adding a kind of distortion keeps the others). */
enum { R_CROP = 0, R_FLIP = 40, R_ORDER = 41, R_BRIGHT = 42, R_SAT = 43, R_HUE = 44, R_CONTRAST = 45 };

/* torchvision RandomResizedCrop.get_params with our uniforms: 10 tries, then the centre
 * crop clamped to the ratio range. */
static void crop_box(int32_t W, int32_t H, const inc_augment *a, uint64_t key, int32_t *x,
                     int32_t *y, int32_t *w, int32_t *h) {
    double area = (double)W * H, lr0 = log(a->ratio[0]), lr1 = log(a->ratio[1]);
    for (int t = 0; t < 10; t++) {
        double ta = area * (a->scale[0] + (a->scale[1] - a->scale[0]) * inc_rng_uniform(key, R_CROP + 3 * t));
        double ar = exp(lr0 + (lr1 - lr0) * inc_rng_uniform(key, R_CROP + 3 * t + 1));
        int32_t cw = (int32_t)lround(sqrt(ta * ar)), ch = (int32_t)lround(sqrt(ta / ar));
        if (cw > 0 && ch > 0 && cw <= W && ch <= H) {
            uint64_t r = inc_rng_u64(key, R_CROP + 3 * t + 2);
            *x = (int32_t)((r >> 32) % (uint64_t)(W - cw + 1));
            *y = (int32_t)((r & 0xffffffffu) % (uint64_t)(H - ch + 1));
            *w = cw, *h = ch;
            return;
        }
    }
    double in = (double)W / H;
    int32_t cw = W, ch = H;
    if (in < a->ratio[0]) ch = (int32_t)lround(W / a->ratio[0]);
    else if (in > a->ratio[1]) cw = (int32_t)lround(H * a->ratio[1]);
    if (ch > H) ch = H;
    if (cw > W) cw = W;
    *w = cw, *h = ch, *x = (W - cw) / 2, *y = (H - ch) / 2;
}

static void rgb_to_hsv(float r, float g, float b, float *h, float *s, float *v) {
    float mx = fmaxf(r, fmaxf(g, b)), mn = fminf(r, fminf(g, b)), d = mx - mn;
    *v = mx;
    *s = mx > 0 ? d / mx : 0;
    float hh = 0;
    if (d > 0) {
        if (mx == r) hh = (g - b) / d;
        else if (mx == g) hh = 2.0f + (b - r) / d;
        else hh = 4.0f + (r - g) / d;
        hh /= 6.0f;
        if (hh < 0) hh += 1.0f;
    }
    *h = hh;
}

static void hsv_to_rgb(float h, float s, float v, float *r, float *g, float *b) {
    float h6 = (h - floorf(h)) * 6.0f;
    int i = (int)h6;
    if (i > 5) i = 5;
    float f = h6 - (float)i, p = v * (1 - s), q = v * (1 - s * f), t = v * (1 - s * (1 - f));
    switch (i) {
    case 0: *r = v, *g = t, *b = p; break;
    case 1: *r = q, *g = v, *b = p; break;
    case 2: *r = p, *g = v, *b = t; break;
    case 3: *r = p, *g = q, *b = v; break;
    case 4: *r = t, *g = p, *b = v; break;
    default: *r = v, *g = p, *b = q; break;
    }
}

static void brightness(float *px, size_t n, float delta) {
    for (size_t i = 0; i < 3 * n; i++) px[i] += delta;
}

static void saturation_hue(float *px, size_t n, float sat, float hue) {
    for (size_t i = 0; i < n; i++) {
        float h, s, v, *p = px + 3 * i;
        rgb_to_hsv(p[0], p[1], p[2], &h, &s, &v);
        s = fminf(fmaxf(s * sat, 0.0f), 1.0f);
        h += hue;
        hsv_to_rgb(h, s, v, &p[0], &p[1], &p[2]);
    }
}

static void contrast(float *px, size_t n, float f) {
    for (int c = 0; c < 3; c++) {
        double m = 0;
        for (size_t i = 0; i < n; i++) m += px[3 * i + c];
        float mean = (float)(m / (double)n);
        for (size_t i = 0; i < n; i++) px[3 * i + c] = (px[3 * i + c] - mean) * f + mean;
    }
}

/* TF-slim inception_preprocessing.distort_color (fast_mode=False): four orderings of
 * brightness (max delta 32/255), saturation [0.5, 1.5], hue (max delta 0.2) and contrast
 * [0.5, 1.5], then clip to [0, 1]. */
static void distort_color(float *px, size_t n, uint64_t key) {
    int order = (int)(inc_rng_u64(key, R_ORDER) % 4);
    float db = (float)((inc_rng_uniform(key, R_BRIGHT) * 2 - 1) * (32.0 / 255.0));
    float fs = (float)(0.5 + inc_rng_uniform(key, R_SAT));
    float dh = (float)((inc_rng_uniform(key, R_HUE) * 2 - 1) * 0.2);
    float fc = (float)(0.5 + inc_rng_uniform(key, R_CONTRAST));
    switch (order) {
    case 0: brightness(px, n, db); saturation_hue(px, n, fs, 0); saturation_hue(px, n, 1, dh); contrast(px, n, fc); break;
    case 1: saturation_hue(px, n, fs, 0); brightness(px, n, db); contrast(px, n, fc); saturation_hue(px, n, 1, dh); break;
    case 2: contrast(px, n, fc); saturation_hue(px, n, 1, dh); brightness(px, n, db); saturation_hue(px, n, fs, 0); break;
    default: saturation_hue(px, n, 1, dh); saturation_hue(px, n, fs, 0); contrast(px, n, fc); brightness(px, n, db); break;
    }
    for (size_t i = 0; i < 3 * n; i++) px[i] = fminf(fmaxf(px[i], 0.0f), 1.0f);
}

inception_status inc_augment_view(const inception_image *img, const inc_augment *aug,
                                  inc_preset preset, uint64_t key, int32_t view, int32_t out_h,
                                  int32_t out_w, float *dst) {
    size_t n = (size_t)out_h * out_w;
    if (view == 0 || !aug->crop) {
        inception_status st = inc_preprocess_unit(img, preset, out_h, out_w, dst);
        if (st || view == 0) return st;
    } else {
        int32_t x, y, w, h;
        crop_box(img->width, img->height, aug, key, &x, &y, &w, &h);
        uint8_t *crop = inc_malloc((size_t)w * h * 3), *out = inc_malloc(n * 3);
        if (!crop || !out) {
            inc_free(crop);
            inc_free(out);
            return inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "augmentation buffers");
        }
        for (int32_t r = 0; r < h; r++)
            memcpy(crop + (size_t)r * w * 3, img->pixels + ((size_t)(y + r) * img->width + x) * 3, (size_t)w * 3);
        inception_status st = inc_resample_pil(crop, w, h, out_w, out_h, 0, 0, out_w, out_h, INC_FILTER_BILINEAR, out);
        if (st == INCEPTION_OK)
            for (size_t i = 0; i < n * 3; i++) dst[i] = (float)out[i] / 255.0f;
        inc_free(crop);
        inc_free(out);
        if (st) return st;
    }
    if (aug->flip && (inc_rng_u64(key, R_FLIP) >> 63))
        for (int32_t r = 0; r < out_h; r++) {
            float *row = dst + (size_t)r * out_w * 3;
            for (int32_t a = 0, b = out_w - 1; a < b; a++, b--)
                for (int c = 0; c < 3; c++) {
                    float t = row[3 * a + c];
                    row[3 * a + c] = row[3 * b + c];
                    row[3 * b + c] = t;
                }
        }
    if (aug->color) distort_color(dst, n, key);
    return INCEPTION_OK;
}
