/* Multi-crop evaluation (paper Table 4): the crop geometry of the 1, 10, 12 and 144 crop
 * protocols, a generator that reuses one decode and one resize per scale, and the
 * averaging of the crops' outputs run through the session in bounded batches.
 * docs/paper.md states every crop; tools/gen_crop_refs.py is the independent Pillow
 * implementation the tests compare against. */
#include <math.h>
#include <string.h>

#include "tasks/tasks.h"

/* The 144-crop scales for a 224 network, rescaled to the model's input side. */
static const int32_t scales_224[4] = {256, 288, 320, 352};

/* Python's round(n / 2) (half to even), as torchvision's CenterCrop computes offsets. */
static int32_t half_even(int32_t n) {
    int32_t q = n / 2;
    return (n % 2 == 0 || q % 2 == 0) ? q : q + 1;
}

int inc_crops_valid(int64_t crops) {
    return crops == 1 || crops == 10 || crops == 12 || crops == 144;
}

static int32_t input_side(const inception_model *m) {
    return m->cfg.input_h > m->cfg.input_w ? m->cfg.input_h : m->cfg.input_w;
}

/* round(side * k / 224), half up (no ties occur for the sizes in use). */
static int32_t scale_of(const inception_model *m, int32_t i) {
    return (int32_t)(((int64_t)input_side(m) * scales_224[i] * 2 + 224) / 448);
}

static inc_filter filter_of(const inception_model *m) {
    return m->cfg.preset == INC_PRESET_TIMM ? INC_FILTER_BICUBIC : INC_FILTER_BILINEAR;
}

int32_t inc_crops_min_side(const inception_model *m, int32_t crops) {
    const inc_config *cfg = &m->cfg;
    if (crops == 144) return scale_of(m, 3);
    if (crops == 12) return scale_of(m, 0);
    inc_preset p = crops == 10 && cfg->preset == INC_PRESET_TF ? INC_PRESET_TORCHVISION
                                                                : cfg->preset;
    return inc_preset_min_side(p, cfg->input_h, cfg->input_w);
}

/* Shorter side to `s`, the longer one scaled and truncated as torchvision's Resize does. */
static void resize_dims(int32_t w, int32_t h, int32_t s, int32_t *rw, int32_t *rh) {
    int32_t shorter = w <= h ? w : h, longer = w <= h ? h : w;
    int32_t nl = (int32_t)((double)((int64_t)s * longer) / (double)shorter);
    if (nl < s) nl = s;
    *rw = w <= h ? s : nl;
    *rh = w <= h ? nl : s;
}

void inc_crop_geometry(const inception_model *m, int32_t crops, int32_t w, int32_t h,
                       int32_t index, inc_crop *c) {
    const int32_t iw = m->cfg.input_w, ih = m->cfg.input_h;
    memset(c, 0, sizeof *c);
    c->mirror = index % 2;
    int32_t g = index / 2;
    if (crops == 10) {
        /* The preset's resize (torchvision's for tf), then TenCrop's five positions. */
        inc_prep_plan p;
        inc_preset preset = m->cfg.preset == INC_PRESET_TF ? INC_PRESET_TORCHVISION
                                                           : m->cfg.preset;
        inc_prep_plan_make(preset, w, h, ih, iw, &p);
        c->rw = p.rw, c->rh = p.rh;
        c->scale = p.rw < p.rh ? p.rw : p.rh;
        const int32_t xs[5] = {0, p.rw - iw, 0, p.rw - iw, p.cx};
        const int32_t ys[5] = {0, 0, p.rh - ih, p.rh - ih, p.cy};
        c->x = xs[g], c->y = ys[g];
        return;
    }
    int32_t scale_i = crops == 144 ? g / 18 : 0;
    int32_t square = crops == 144 ? (g / 6) % 3 : 1;
    int32_t pos = g % 6;
    int32_t s = scale_of(m, scale_i);
    resize_dims(w, h, s, &c->rw, &c->rh);
    c->scale = s;
    c->side = s;
    int32_t extra = (w <= h ? c->rh : c->rw) - s;
    int32_t off = square == 0 ? 0 : square == 1 ? half_even(extra) : extra;
    c->sx = w <= h ? 0 : off;
    c->sy = w <= h ? off : 0;
    const int32_t xs[5] = {0, s - iw, 0, s - iw, half_even(s - iw)};
    const int32_t ys[5] = {0, 0, s - ih, s - ih, half_even(s - ih)};
    if (pos == 5) {
        c->x = c->y = -1;
    } else {
        c->x = c->sx + xs[pos];
        c->y = c->sy + ys[pos];
    }
}

inception_status inc_cropper_init(inc_cropper *cr, const inception_model *model,
                                  const inception_image *image, int32_t crops) {
    memset(cr, 0, sizeof *cr);
    if (!inc_crops_valid(crops))
        return inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "crops must be 1, 10, 12 or 144, got %d",
                         (int)crops);
    cr->model = model;
    cr->image = image;
    cr->crops = crops;
    if (crops == 1) return INCEPTION_OK;
    const inc_config *cfg = &model->cfg;
    if (cfg->preset != INC_PRESET_TORCHVISION && cfg->preset != INC_PRESET_TIMM &&
        cfg->preset != INC_PRESET_TF)
        return inc_error(INCEPTION_ERR_UNSUPPORTED, "unknown preprocessing preset %d",
                         (int)cfg->preset);
    cr->crop = inc_malloc((size_t)cfg->input_w * (size_t)cfg->input_h * 3);
    if (!cr->crop) return inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "crop buffer");
    return INCEPTION_OK;
}

void inc_cropper_release(inc_cropper *cr) {
    inc_free(cr->resized);
    inc_free(cr->square);
    inc_free(cr->crop);
    memset(cr, 0, sizeof *cr);
}

/* The 8-bit crop `index` into cr->crop. */
static inception_status crop_u8(inc_cropper *cr, int32_t index, int32_t *mirror) {
    const inception_model *m = cr->model;
    const inception_image *img = cr->image;
    const int32_t iw = m->cfg.input_w, ih = m->cfg.input_h;
    inc_crop c;
    inc_crop_geometry(m, cr->crops, img->width, img->height, index, &c);
    inc_filter f = filter_of(m);
    if (!cr->resized || c.rw != cr->cur_w || c.rh != cr->cur_h) {
        size_t bytes = 0;
        if (!inc_mul_size((size_t)c.rw * 3, (size_t)c.rh, &bytes))
            return inc_error(INCEPTION_ERR_INPUT_SIZE, "resize %dx%d too large", (int)c.rw,
                             (int)c.rh);
        inc_free(cr->resized);
        cr->resized = inc_malloc(bytes);
        cr->cur_w = cr->cur_h = 0;
        if (!cr->resized) return inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "crop resize buffer");
        inception_status st = inc_resample_pil(img->pixels, img->width, img->height, c.rw, c.rh,
                                               0, 0, c.rw, c.rh, f, cr->resized);
        if (st != INCEPTION_OK) return st;
        cr->cur_w = c.rw, cr->cur_h = c.rh, cr->cur_scale = c.scale;
    }
    size_t rstride = (size_t)c.rw * 3;
    if (c.x >= 0) {
        if (c.x + iw > c.rw || c.y + ih > c.rh)
            return inc_error(INCEPTION_ERR_INTERNAL, "crop %d outside the resized image",
                             (int)index);
        for (int32_t y = 0; y < ih; y++)
            memcpy(cr->crop + (size_t)y * iw * 3,
                   cr->resized + (size_t)(c.y + y) * rstride + (size_t)c.x * 3, (size_t)iw * 3);
    } else {
        size_t need = (size_t)c.side * c.side * 3;
        if (need > cr->square_cap) {
            inc_free(cr->square);
            cr->square = inc_malloc(need);
            cr->square_cap = cr->square ? need : 0;
            if (!cr->square) return inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "crop square buffer");
        }
        for (int32_t y = 0; y < c.side; y++)
            memcpy(cr->square + (size_t)y * c.side * 3,
                   cr->resized + (size_t)(c.sy + y) * rstride + (size_t)c.sx * 3,
                   (size_t)c.side * 3);
        inception_status st = inc_resample_pil(cr->square, c.side, c.side, iw, ih, 0, 0, iw,
                                               ih, f, cr->crop);
        if (st != INCEPTION_OK) return st;
    }
    *mirror = c.mirror;
    return INCEPTION_OK;
}

inception_status inc_cropper_fill(inc_cropper *cr, int32_t first, int32_t count,
                                  inception_tensor *batch) {
    const inception_model *m = cr->model;
    if (first < 0 || count < 1 || first + count > cr->crops || batch->dims[0] < count)
        return inc_error(INCEPTION_ERR_INTERNAL, "crop range %d+%d", (int)first, (int)count);
    if (cr->crops == 1) return inception_image_preprocess(m, cr->image, batch, 0);
    const inc_config *cfg = &m->cfg;
    const int32_t iw = cfg->input_w, ih = cfg->input_h;
    size_t n = (size_t)iw * ih;
    float scale[3];
    for (int c = 0; c < 3; c++) scale[c] = 1.0f / cfg->std[c];
    for (int32_t i = 0; i < count; i++) {
        int32_t mirror = 0;
        inception_status st = crop_u8(cr, first + i, &mirror);
        if (st != INCEPTION_OK) return st;
        float *base = (float *)batch->data + (size_t)i * 3 * n;
        for (int c = 0; c < 3; c++) {
            float *d = base + (size_t)c * n;
            for (int32_t y = 0; y < ih; y++) {
                const uint8_t *row = cr->crop + (size_t)y * iw * 3;
                float *drow = d + (size_t)y * iw;
                for (int32_t x = 0; x < iw; x++) {
                    int32_t sx = mirror ? iw - 1 - x : x;
                    drow[x] = ((float)row[sx * 3 + c] / 255.0f - cfg->mean[c]) * scale[c];
                }
            }
        }
    }
    return INCEPTION_OK;
}

INCEPTION_API inception_status inception_image_crops(const inception_model *model,
                                                     const inception_image *image,
                                                     int32_t crops, inception_tensor **out) {
    inc_error_clear();
    if (!model) return inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "model is NULL");
    if (!image) return inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "image is NULL");
    if (!out) return inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "out is NULL");
    inc_cropper cr;
    inception_status st = inc_cropper_init(&cr, model, image, crops);
    if (st != INCEPTION_OK) return st;
    inception_tensor *t = NULL;
    st = inception_model_create_input(model, crops, INCEPTION_LAYOUT_NCHW, &t);
    if (st == INCEPTION_OK) st = inc_cropper_fill(&cr, 0, crops, t);
    inc_cropper_release(&cr);
    if (st != INCEPTION_OK) {
        inception_tensor_free(t);
        return st;
    }
    *out = t;
    return INCEPTION_OK;
}

/* Largest divisor of `crops` not above `limit`: every run has the same batch size, so
 * the session plans once. */
static int32_t batch_for(int32_t crops, int64_t limit) {
    int32_t b = limit < crops ? (int32_t)limit : crops;
    while (b > 1 && crops % b) b--;
    return b < 1 ? 1 : b;
}

static void softmax_into(const float *v, int64_t n, double *acc) {
    float mx = v[0];
    for (int64_t i = 1; i < n; i++) mx = v[i] > mx ? v[i] : mx;
    double sum = 0.0;
    for (int64_t i = 0; i < n; i++) sum += exp((double)(v[i] - mx));
    for (int64_t i = 0; i < n; i++) acc[i] += exp((double)(v[i] - mx)) / sum;
}

inception_status inc_image_scores(inception_session *session, const inception_options *opts,
                                  const inception_image *image, float *out) {
    const inception_model *m = inc_session_model(session);
    if (!opts) opts = inc_options_default();
    int32_t crops = (int32_t)opts->crops;
    int logit_avg = opts->crop_average == 1;
    int64_t classes = m->cfg.classes;
    int32_t b = batch_for(crops, opts->crop_batch);
    inc_cropper cr;
    inception_status st = inc_cropper_init(&cr, m, image, crops);
    if (st != INCEPTION_OK) return st;
    double *acc = inc_calloc((size_t)classes, sizeof *acc);
    inception_tensor *batch = NULL;
    if (!acc) st = inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "score accumulator");
    if (st == INCEPTION_OK) st = inception_model_create_input(m, b, INCEPTION_LAYOUT_NCHW, &batch);
    for (int32_t first = 0; st == INCEPTION_OK && first < crops; first += b) {
        st = inc_cropper_fill(&cr, first, b, batch);
        if (st == INCEPTION_OK) st = inception_session_run(session, batch);
        if (st != INCEPTION_OK) break;
        const inception_tensor *t = NULL;
        int have_probs = 0;
        if (!logit_avg) {
            st = inception_session_output(session, INCEPTION_OUTPUT_PROBABILITIES, &t);
            have_probs = st == INCEPTION_OK;
        }
        if (!have_probs) st = inception_session_output(session, INCEPTION_OUTPUT_LOGITS, &t);
        if (st == INCEPTION_ERR_NOT_FOUND) {
            st = inc_error(INCEPTION_ERR_UNSUPPORTED,
                           logit_avg ? "logit averaging needs a session whose outputs include "
                                       "logits"
                                     : "classify needs a session whose outputs include logits "
                                       "or probabilities");
            break;
        }
        if (st != INCEPTION_OK) break;
        const float *v = inception_tensor_data(t);
        for (int32_t i = 0; i < b; i++) {
            const float *row = v + (size_t)i * (size_t)classes;
            if (have_probs || logit_avg)
                for (int64_t j = 0; j < classes; j++) acc[j] += row[j];
            else
                softmax_into(row, classes, acc);
        }
    }
    if (st == INCEPTION_OK) {
        if (logit_avg) {
            for (int64_t j = 0; j < classes; j++) acc[j] /= crops;
            double mx = acc[0], sum = 0.0;
            for (int64_t j = 1; j < classes; j++) mx = acc[j] > mx ? acc[j] : mx;
            for (int64_t j = 0; j < classes; j++) sum += exp(acc[j] - mx);
            for (int64_t j = 0; j < classes; j++) out[j] = (float)(exp(acc[j] - mx) / sum);
        } else {
            for (int64_t j = 0; j < classes; j++) out[j] = (float)(acc[j] / crops);
        }
    }
    inception_tensor_free(batch);
    inc_free(acc);
    inc_cropper_release(&cr);
    return st;
}
