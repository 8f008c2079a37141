/* Debugging aid for docs/training.md ("Agreement with PyTorch", the aux head at 299): one
 * 299x299 step of a scope (batch 8, the reference backend unless SCOPE_BACKEND, the weights
 * of tests/train/test_scope.c) with the aux head's tensors written out for
 * tools/probe_scope299.py: the scope input, Mixed_6e's output and its gradient, and per aux
 * layer its output and output gradient, for conv0/conv1 also z, the BN batch mean and
 * variance and dz; then every gradient and running statistic of the scope.
 *     ninja -C build tests/train/probe_scope
 *     build/tests/train/probe_scope [SCOPE [DIR [SCOPE_INPUT.bin]]]
 * DIR (default /tmp/probe299, must exist) gets NAME.bin (raw, little-endian) and idx.txt
 * (NAME f4|f8 SHAPE per line, NHWC). Not a test and not installed: it compiles scope.c in,
 * so that its internal buffers are reachable, and is built only on request. */
#include "train/scope.c"
#include "testmodel.h"
#include "train/trainer_impl.h"

#define K 3
#define N 8
static inc_file_buf ref_buf;
static inc_safetensors ref;
static FILE *idx;
static const char *dir;

static void dumpf(const char *name, const void *p, size_t n, int dbl, const char *shape) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s.bin", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(p, dbl ? 8 : 4, n, f) != n || fclose(f) != 0) {
        fprintf(stderr, "cannot write %s\n", path);
        exit(1);
    }
    fprintf(idx, "%s %s %s\n", name, dbl ? "f8" : "f4", shape);
}
static const float *rec(const char *name, size_t *count) {
    const inc_st_tensor *t = inc_st_find(&ref, name);
    if (!t) return NULL;
    *count = (t->end - t->begin) / (size_t)t->elem_size;
    return (const float *)(const void *)(ref.data + t->begin);
}

int main(int argc, char **argv) {
    const char *scope = argc > 1 ? argv[1] : "Mixed_6a";
    dir = argc > 2 ? argv[2] : "/tmp/probe299";
    const char *xin = argc > 3 ? argv[3] : NULL; /* optional: scope input to use instead */
    int SIZE = 299;
    char p[512];
    snprintf(p, sizeof p, "%s/idx.txt", dir);
    idx = fopen(p, "w");
    if (!idx) return fprintf(stderr, "cannot write %s\n", p), 1;
    const char *data = getenv("INCEPTION_TEST_DATA");
    snprintf(p, sizeof p, "%s/train/data/scope299_ref.safetensors", data ? data : "tests");
    if (inc_file_read(p, &ref_buf) || inc_st_parse(ref_buf.data, ref_buf.size, &ref))
        return fprintf(stderr, "cannot read %s\n", p), 1;
    inc_testmodel_opts mo;
    inc_testmodel_opts_default(&mo);
    uint8_t *buf;
    size_t size;
    if (inc_testmodel_build(&mo, &buf, &size)) return 1;
    char model_path[600];
    snprintf(model_path, sizeof model_path, "%s/base.safetensors", dir);
    FILE *fp = fopen(model_path, "wb");
    if (!fp || fwrite(buf, 1, size, fp) != size || fclose(fp) != 0) return fprintf(stderr, "cannot write %s\n", model_path), 1;
    inception_options *lo;
    inception_options_create(&lo);
    inception_options_set_string(lo, INCEPTION_OPT_BACKEND, getenv("SCOPE_BACKEND") ? getenv("SCOPE_BACKEND") : "ref");
    inception_model *model;
    if (inception_model_load_file(model_path, lo, &model)) return 2;
    float *X = malloc((size_t)N * 3 * SIZE * SIZE * sizeof(float));
    inc_testmodel_uniform("input/scope299", 0, X, (size_t)N * 3 * SIZE * SIZE);
    inception_options *o;
    inception_options_create(&o);
    inception_options_set_int(o, INCEPTION_OPT_TRAIN_CLASSES, K);
    inception_options_set_string(o, INCEPTION_OPT_TRAIN_SCOPE, scope);
    inception_options_set_double(o, INCEPTION_OPT_TRAIN_DROPOUT, 0.0);
    inception_options_set_double(o, INCEPTION_OPT_TRAIN_EMA_DECAY, 0.0);
    inception_options_set_int(o, INCEPTION_OPT_THREADS, 1);
    inception_trainer *t;
    if (inception_trainer_create(model, o, &t)) { fprintf(stderr, "%s\n", inception_last_error()); return 3; }
    size_t nw;
    const float *a;
    a = rec("W0", &nw); memcpy(t->params[0].value, a, nw * 4);
    a = rec("b0", &nw); memcpy(t->params[1].value, a, nw * 4);
    for (int32_t i = 2; i < t->n_params; i++) {
        if (!strcmp(t->params[i].name, "AuxLogits.fc.weight")) a = rec("AW0", &nw), memcpy(t->params[i].value, a, nw * 4);
        if (!strcmp(t->params[i].name, "AuxLogits.fc.bias")) a = rec("Ab0", &nw), memcpy(t->params[i].value, a, nw * 4);
    }
    inception_tensor in;
    memset(&in, 0, sizeof in);
    in.dtype = INCEPTION_DTYPE_F32, in.layout = INCEPTION_LAYOUT_NCHW, in.rank = 4;
    in.dims[0] = N, in.dims[1] = 3, in.dims[2] = SIZE, in.dims[3] = SIZE;
    in.data = X, in.bytes = (size_t)N * 3 * SIZE * SIZE * 4;
    const float *x;
    int64_t n, h, w;
    if (inc_trainer_scope_input(t, &in, &x, &n, &h, &w)) return 4;
    inc_scope *s = t->scope;
    size_t xn = (size_t)(n * h * w * s->tens[s->t_in].c);
    float *xc = malloc(xn * 4);
    if (xin) { /* another scope input, NHWC float32 */
        FILE *f = fopen(xin, "rb");
        if (!f || fread(xc, 4, xn, f) != xn) return fprintf(stderr, "cannot read %zu floats from %s\n", xn, xin), 6;
        fclose(f);
    }
    else memcpy(xc, x, xn * 4);
    char sh[128];
    snprintf(sh, sizeof sh, "%lld,%lld,%lld,%lld", (long long)n, (long long)h, (long long)w, (long long)s->tens[s->t_in].c);
    dumpf("x_in", xc, xn, 0, sh);
    if (inc_scope_plan(s, n, h, w, 0)) return 5;
    double loss, aux;
    inc_scope_train(s, t->params, xc, (const int32_t[]){0, 1, 2, 0, 1, 2, 0, 1}, K, 0.1, 0, &loss, &aux);
    printf("loss %.10f aux %.10f\n", loss, aux);
    fprintf(idx, "#loss %.12g %.12g\n", loss, aux);
    for (int32_t i = 0; i < s->n_layers; i++) {
        sc_layer *L = &s->layers[i];
        if (!L->aux) continue;
        const char *nm = L->l->name;
        sc_tensor *X0 = &s->tens[L->src], *Y0 = &s->tens[L->dst];
        char b[160];
        if (L->l->op == INC_OP_AVGPOOL) {
            snprintf(sh, sizeof sh, "%lld,%lld,%lld,%lld", (long long)n, (long long)X0->h, (long long)X0->w, (long long)X0->c);
            dumpf("m6e", X0->act, (size_t)(n * X0->h * X0->w * X0->c), 0, sh);
            dumpf("m6e_grad", X0->grad, (size_t)(n * X0->h * X0->w * X0->c), 0, sh);
        }
        size_t yn = (size_t)(n * Y0->h * Y0->w * Y0->c);
        snprintf(sh, sizeof sh, "%lld,%lld,%lld,%lld", (long long)n, (long long)Y0->h, (long long)Y0->w, (long long)Y0->c);
        snprintf(b, sizeof b, "%s.out", nm); dumpf(b, Y0->act, yn, 0, sh);
        snprintf(b, sizeof b, "%s.dy", nm); dumpf(b, Y0->grad, yn, 0, sh);
        if (L->l->op != INC_OP_CONV) continue;
        int64_t C = L->l->out_c, M = n * L->oh * L->ow;
        snprintf(b, sizeof b, "%s.z", nm); dumpf(b, L->z, (size_t)(M * C), 0, sh);
        snprintf(sh, sizeof sh, "%lld", (long long)C);
        snprintf(b, sizeof b, "%s.mean", nm); dumpf(b, L->mean, (size_t)C, 1, sh);
        double *var = malloc(C * 8);
        for (int64_t c = 0; c < C; c++) var[c] = 1.0 / (L->istd[c] * L->istd[c]) - BN_EPS;
        snprintf(b, sizeof b, "%s.var", nm); dumpf(b, var, (size_t)C, 1, sh);
        free(var);
        /* dz again (the shared buffer was overwritten by later layers) */
        sc_job j = {s, L, t->params, 0, 0, {0}, {0}, {0}, {0}, {0}};
        j.gy = view_of(Y0, n, Y0->grad, L->l->dst_c0, L->l->out_c);
        j.ov = view_of(Y0, n, Y0->act, L->l->dst_c0, L->l->out_c);
        par(s, job_bn_backward, &j);
        snprintf(sh, sizeof sh, "%lld,%lld,%lld,%lld", (long long)n, (long long)L->oh, (long long)L->ow, (long long)C);
        snprintf(b, sizeof b, "%s.dz", nm); dumpf(b, s->dz, (size_t)(M * C), 0, sh);
    }
    for (int32_t i = 0; i < t->n_params; i++) {
        inc_param *q = &t->params[i];
        char b[200];
        sh[0] = 0;
        for (int r = 0; r < q->rank; r++) snprintf(sh + strlen(sh), sizeof sh - strlen(sh), r ? ",%lld" : "%lld", (long long)q->shape[r]);
        snprintf(b, sizeof b, "%s:%s", q->buffer ? "r" : "g", q->name);
        dumpf(b, q->buffer ? q->value : q->grad, q->count, 0, sh);
    }
    fclose(idx);
    return 0;
}
