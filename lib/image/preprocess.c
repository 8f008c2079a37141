/* The preprocessing presets (docs/preprocessing.md has the exact recipe of each). */
#include <math.h>
#include <string.h>

#include "image/image.h"

/* Python's round() of n/2 (half to even), which torchvision's CenterCrop uses. */
static int32_t half_round_even(int32_t n) {
    int32_t q = n / 2;
    if (n % 2 == 0) return q;
    if (n < 0) return q % 2 == 0 ? q : q - 1;
    return q % 2 == 0 ? q : q + 1;
}

static int32_t resize_short_side(inc_preset preset, int32_t s) {
    if (preset == INC_PRESET_TORCHVISION) /* 342 for 299: round(s * 342 / 299) */
        return (int32_t)(((int64_t)s * 342 * 2 + 299) / (2 * 299));
    return (int32_t)((int64_t)s * 8 / 7); /* timm: floor(s / 0.875) */
}

int32_t inc_preset_min_side(inc_preset preset, int32_t out_h, int32_t out_w) {
    int32_t s = out_h > out_w ? out_h : out_w;
    /* the whole image is resized: a shorter side >= the larger output side keeps both
     * decoded sides at or above their targets */
    if (preset == INC_PRESET_RESIZE || preset == INC_PRESET_UNIT) return s;
    if (preset == INC_PRESET_TF) return (int32_t)(((int64_t)s * 8 + 6) / 7); /* ceil(s/0.875) */
    return resize_short_side(preset, s);
}

void inc_prep_plan_make(inc_preset preset, int32_t w, int32_t h, int32_t out_h,
                        int32_t out_w, inc_prep_plan *p) {
    memset(p, 0, sizeof *p);
    p->preset = preset;
    if (preset == INC_PRESET_RESIZE || preset == INC_PRESET_UNIT) {
        p->rw = out_w, p->rh = out_h; /* no crop */
        return;
    }
    if (preset == INC_PRESET_TF) {
        /* tf.image.central_crop(0.875): start = int((side - side * 0.875) / 2) */
        double hd = h, wd = w;
        p->ty = (int32_t)((hd - hd * 0.875) / 2);
        p->tx = (int32_t)((wd - wd * 0.875) / 2);
        p->th = h - 2 * p->ty;
        p->tw = w - 2 * p->tx;
        return;
    }
    /* Resize(shorter side) as torchvision computes it, then CenterCrop. The shorter
     * side comes from the larger output side so the crop always fits. */
    int32_t s = out_h > out_w ? out_h : out_w;
    int32_t target = resize_short_side(preset, s);
    int32_t shorter = w <= h ? w : h, longer = w <= h ? h : w;
    int32_t nl = (int32_t)((double)((int64_t)target * longer) / (double)shorter);
    if (nl < 1) nl = 1;
    p->rw = w <= h ? target : nl;
    p->rh = w <= h ? nl : target;
    p->cx = half_round_even(p->rw - out_w);
    p->cy = half_round_even(p->rh - out_h);
}

inception_status inc_preprocess_u8(const inception_image *img, inc_preset preset,
                                   int32_t out_h, int32_t out_w, uint8_t *dst) {
    inc_prep_plan p;
    inc_prep_plan_make(preset, img->width, img->height, out_h, out_w, &p);
    if (preset == INC_PRESET_TF)
        return inc_error(INCEPTION_ERR_INTERNAL, "tf preset has no 8-bit stage");
    if (p.cx < 0 || p.cy < 0 || p.cx + out_w > p.rw || p.cy + out_h > p.rh)
        return inc_error(INCEPTION_ERR_INTERNAL, "crop %dx%d outside resized %dx%d",
                         (int)out_w, (int)out_h, (int)p.rw, (int)p.rh);
    return inc_resample_pil(img->pixels, img->width, img->height, p.rw, p.rh, p.cx, p.cy,
                            out_w, out_h,
                            preset == INC_PRESET_TIMM ? INC_FILTER_BICUBIC : INC_FILTER_BILINEAR,
                            dst);
}

/* TF's legacy resize_bilinear (align_corners=False, half_pixel_centers=False): source
 * coordinate = dst * (in/out) in float, taps floor() and floor()+1 clamped, on values
 * already converted to [0,1] (convert_image_dtype). No antialiasing. */
static inception_status tf_resize(const inception_image *img, const inc_prep_plan *p,
                                  int32_t out_h, int32_t out_w, float *dst) {
    float sy = (float)p->th / (float)out_h, sx = (float)p->tw / (float)out_w;
    int32_t *x0 = inc_malloc((size_t)out_w * 2 * sizeof(int32_t));
    float *fx = inc_malloc((size_t)out_w * sizeof(float));
    if (!x0 || !fx) {
        inc_free(x0);
        inc_free(fx);
        return inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "tf resize tables");
    }
    for (int32_t x = 0; x < out_w; x++) {
        float in = (float)x * sx;
        int32_t lo = (int32_t)floorf(in);
        x0[2 * x] = lo;
        x0[2 * x + 1] = lo + 1 < p->tw ? lo + 1 : p->tw - 1;
        fx[x] = in - (float)lo;
    }
    const float k = 1.0f / 255.0f;
    size_t stride = (size_t)img->width * 3;
    for (int32_t y = 0; y < out_h; y++) {
        float in = (float)y * sy;
        int32_t y0 = (int32_t)floorf(in);
        int32_t y1 = y0 + 1 < p->th ? y0 + 1 : p->th - 1;
        float dy = in - (float)y0;
        const uint8_t *r0 = img->pixels + (size_t)(y0 + p->ty) * stride + (size_t)p->tx * 3;
        const uint8_t *r1 = img->pixels + (size_t)(y1 + p->ty) * stride + (size_t)p->tx * 3;
        float *d = dst + (size_t)y * out_w * 3;
        for (int32_t x = 0; x < out_w; x++) {
            int32_t a = x0[2 * x] * 3, b = x0[2 * x + 1] * 3;
            for (int c = 0; c < 3; c++) {
                float tl = r0[a + c] * k, tr = r0[b + c] * k;
                float bl = r1[a + c] * k, br = r1[b + c] * k;
                float top = tl + (tr - tl) * fx[x];
                float bot = bl + (br - bl) * fx[x];
                d[3 * x + c] = top + (bot - top) * dy;
            }
        }
    }
    inc_free(x0);
    inc_free(fx);
    return INCEPTION_OK;
}

inception_status inc_preprocess_unit(const inception_image *img, inc_preset preset,
                                     int32_t out_h, int32_t out_w, float *dst) {
    if (preset == INC_PRESET_TF) {
        inc_prep_plan p;
        inc_prep_plan_make(preset, img->width, img->height, out_h, out_w, &p);
        if (p.tw < 1 || p.th < 1)
            return inc_error(INCEPTION_ERR_INPUT_SIZE, "image %dx%d too small to crop",
                             (int)img->width, (int)img->height);
        return tf_resize(img, &p, out_h, out_w, dst);
    }
    size_t n = (size_t)out_h * out_w * 3;
    uint8_t *u8 = inc_malloc(n);
    if (!u8) return inc_error(INCEPTION_ERR_OUT_OF_MEMORY, "preprocess buffer");
    inception_status st = inc_preprocess_u8(img, preset, out_h, out_w, u8);
    if (st == INCEPTION_OK)
        for (size_t i = 0; i < n; i++) dst[i] = (float)u8[i] / 255.0f; /* ToTensor */
    inc_free(u8);
    return st;
}
