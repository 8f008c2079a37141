/* Fuzz target: the safetensors reader (header length, JSON, tensor table) and, when the
 * header parses, the model configuration from __metadata__ and the weight conversion of
 * any small conv/fc tensors the input declares. White-box: links the internal library. */
#include <stdio.h>
#include <string.h>

#include "fuzz.h"
#include "model/model.h"

static const inception_status parse_ok[] = {INCEPTION_OK, INCEPTION_ERR_FORMAT,
                                            INCEPTION_ERR_DTYPE, INCEPTION_ERR_OUT_OF_MEMORY};

/* Convert every small "<prefix>.conv.weight" with its own shape: exercises dtype
 * conversion, the finite-value checks and BatchNorm folding on hostile values. */
static void try_weights(const inc_safetensors *st, const inc_config *cfg) {
    for (size_t i = 0; i < st->n_tensors; i++) {
        const inc_st_tensor *t = &st->tensors[i];
        size_t len = strlen(t->name);
        static const char suffix[] = ".conv.weight";
        size_t sl = sizeof suffix - 1;
        if (len <= sl || len - sl >= 200 || strcmp(t->name + len - sl, suffix) != 0) continue;
        if (t->rank != 4) continue;
        int64_t count = 1;
        int small = 1;
        for (int k = 0; k < 4; k++) {
            if (t->shape[k] < 1 || t->shape[k] > 4096) small = 0;
            else count *= t->shape[k];
            if (count > 4096) small = 0;
        }
        if (!small) continue;
        char prefix[200];
        memcpy(prefix, t->name, len - sl);
        prefix[len - sl] = '\0';
        float *w = FUZZ_SENTINEL, *b = FUZZ_SENTINEL;
        inception_status s = inc_load_conv(st, cfg, prefix, (int32_t)t->shape[1],
                                           (int32_t)t->shape[0], (int32_t)t->shape[2],
                                           (int32_t)t->shape[3], &w, &b);
        fuzz_check("inc_load_conv", s, w == FUZZ_SENTINEL && b == FUZZ_SENTINEL);
        if (s == INCEPTION_OK) {
            inc_free(w);
            inc_free(b);
        }
    }
    const inc_st_tensor *fc = inc_st_find(st, "fc.weight");
    if (fc && cfg->classes <= 16) {
        float *w = FUZZ_SENTINEL, *b = FUZZ_SENTINEL;
        inception_status s = inc_load_fc(st, "fc", 2048, (int32_t)cfg->classes, &w, &b);
        fuzz_check("inc_load_fc", s, w == FUZZ_SENTINEL && b == FUZZ_SENTINEL);
        if (s == INCEPTION_OK) {
            inc_free(w);
            inc_free(b);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    inc_safetensors st;
    memset(&st, 0x5e, sizeof st);
    inception_status s = inc_st_parse(data, size, &st);
    unsigned char untouched[sizeof st];
    memset(untouched, 0x5e, sizeof untouched);
    fuzz_check("inc_st_parse", s, memcmp(&st, untouched, sizeof st) == 0);
    if (!fuzz_status_in(s, parse_ok, sizeof parse_ok / sizeof parse_ok[0]))
        fuzz_fail("inc_st_parse (unexpected status)", s);
    if (s != INCEPTION_OK) return 0;

    /* What the parser promises the rest of the loader. */
    if (st.data < data || st.data + st.data_size != data + size)
        fuzz_fail("inc_st_parse (data section outside the input)", s);
    for (size_t i = 0; i < st.n_tensors; i++) {
        const inc_st_tensor *t = &st.tensors[i];
        if (!t->name || !t->name[0] || t->begin > t->end || t->end > st.data_size ||
            t->rank < 0 || t->rank > INC_MAX_RANK || t->elem_size < 1)
            fuzz_fail("inc_st_parse (tensor entry breaks its invariants)", s);
        if (i > 0 && strcmp(st.tensors[i - 1].name, t->name) >= 0)
            fuzz_fail("inc_st_parse (tensor names not sorted and unique)", s);
        if (inc_st_find(&st, t->name) != t) fuzz_fail("inc_st_find", s);
    }
    for (size_t i = 0; i < st.n_meta; i++)
        if (inc_st_meta_get(&st, st.meta[i].key) != st.meta[i].value)
            fuzz_fail("inc_st_meta_get", s);

    inc_config cfg;
    memset(&cfg, 0, sizeof cfg);
    s = inc_config_read(&st, NULL, &cfg);
    fuzz_check("inc_config_read", s, 1);
    if (s == INCEPTION_OK) {
        /* classes 0 only for a feature extractor (no fc), which has no labels or aux */
        if ((cfg.has_fc ? cfg.classes < 1 || cfg.label_offset >= cfg.classes
                        : cfg.classes != 0 || cfg.label_offset != 0 || cfg.labels || cfg.has_aux) ||
            !cfg.name || !cfg.normalization || (cfg.labels && cfg.n_labels != cfg.classes))
            fuzz_fail("inc_config_read (configuration breaks its invariants)", s);
        for (int64_t i = 0; cfg.labels && i < cfg.n_labels; i++)
            if (!cfg.labels[i] || !cfg.labels[i][0]) fuzz_fail("inc_config_read (label)", s);
        try_weights(&st, &cfg);
        inc_config_free(&cfg);
    }
    inc_st_free(&st);
    return 0;
}
