/* Fuzz target for the model-file layer: safetensors + JSON header, configuration, and
 * weight conversion of whatever conv/fc modules the input names.
 *
 * libFuzzer:  build this file with clang -fsanitize=fuzzer,address -DINC_LIBFUZZER together
 *             with the .c files of lib/model and lib/common (-lz -lm), then run it on a copy
 *             of tests/model/corpus.
 * Replay:     without INC_LIBFUZZER this builds a main() that runs every file (or every
 *             file of every directory) named on the command line, so the corpus doubles as
 *             a regression test. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "model/model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    inc_safetensors st;
    if (inc_st_parse(data, size, &st) != INCEPTION_OK) return 0;
    inception_options opts;
    memset(&opts, 0, sizeof opts);
    opts.pool_include_pad = -1;
    opts.label_offset = -1;
    inc_config cfg;
    int have_cfg = inc_config_read(&st, &opts, &cfg) == INCEPTION_OK;
    inc_config dummy;
    memset(&dummy, 0, sizeof dummy);
    dummy.bn_has_gamma = 1;
    for (size_t i = 0; i < st.n_tensors; i++) {
        const inc_st_tensor *t = &st.tensors[i];
        size_t n = strlen(t->name);
        char prefix[256];
        float *w = NULL, *b = NULL;
        if (n > 12 && n - 12 < sizeof prefix && strcmp(t->name + n - 12, ".conv.weight") == 0 &&
            t->rank == 4 && t->shape[0] <= 4096 && t->shape[1] <= 4096 && t->shape[2] <= 16 &&
            t->shape[3] <= 16 && t->shape[0] > 0 && t->shape[1] > 0 && t->shape[2] > 0 &&
            t->shape[3] > 0) {
            memcpy(prefix, t->name, n - 12);
            prefix[n - 12] = '\0';
            if (inc_load_conv(&st, have_cfg ? &cfg : &dummy, prefix, (int32_t)t->shape[1],
                              (int32_t)t->shape[0], (int32_t)t->shape[2], (int32_t)t->shape[3],
                              &w, &b) == INCEPTION_OK) {
                inc_free(w);
                inc_free(b);
            }
        } else if (n > 7 && n - 7 < sizeof prefix && strcmp(t->name + n - 7, ".weight") == 0 &&
                   t->rank == 2 && t->shape[0] > 0 && t->shape[1] > 0 &&
                   t->shape[0] <= 1 << 20 && t->shape[1] <= 1 << 20) {
            memcpy(prefix, t->name, n - 7);
            prefix[n - 7] = '\0';
            if (inc_load_fc(&st, prefix, (int32_t)t->shape[1], (int32_t)t->shape[0], &w, &b) ==
                INCEPTION_OK) {
                inc_free(w);
                inc_free(b);
            }
        }
    }
    if (have_cfg) inc_config_free(&cfg);
    inc_st_free(&st);
    return 0;
}

#ifndef INC_LIBFUZZER
static int run_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "cannot open %s\n", path);
        return 1;
    }
    size_t cap = 1 << 16, len = 0;
    uint8_t *buf = malloc(cap);
    size_t r;
    while (buf && (r = fread(buf + len, 1, cap - len, f)) > 0) {
        len += r;
        if (len == cap) buf = realloc(buf, cap *= 2);
    }
    fclose(f);
    if (!buf) return 1;
    LLVMFuzzerTestOneInput(buf, len);
    free(buf);
    return 0;
}

int main(int argc, char **argv) {
    int failed = 0, files = 0;
    for (int i = 1; i < argc; i++) {
        struct stat sb;
        if (stat(argv[i], &sb) == 0 && S_ISDIR(sb.st_mode)) {
            DIR *d = opendir(argv[i]);
            struct dirent *e;
            while (d && (e = readdir(d))) {
                if (e->d_name[0] == '.') continue;
                char path[4096];
                snprintf(path, sizeof path, "%s/%s", argv[i], e->d_name);
                failed |= run_file(path);
                files++;
            }
            if (d) closedir(d);
        } else {
            failed |= run_file(argv[i]);
            files++;
        }
    }
    printf("replayed %d inputs\n", files);
    return failed || files == 0;
}
#endif
