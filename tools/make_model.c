/*
 * inception-make-model: write a complete Inception-v3 safetensors file (~95 MB) with
 * deterministic synthetic weights, so the library and its tools can run without real
 * pretrained weights. The weights are meaningless for classification (the file says so in
 * inception.synthetic); their definition is in docs/golden.md.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testmodel.h"

static void usage(FILE *f) {
    fprintf(f,
            "usage: inception-make-model OUT.safetensors [--seed N] [--classes N (0: no fc)]\n"
            "                            [--no-aux] [--no-gamma] [--f16]\n"
            "                            [--stem 299|151|79] [--stem-conv 3x3|7x7] [--aux-bn]\n"
            "                            [--bn-stats FILE] [--meta KEY=VALUE]...\n"
            "Writes Inception-v3 weights generated from a documented PRNG (not trained).\n"
            "  --classes N       fc width, 1..100000 (default 1000; 1001 = background class)\n"
            "  --stem S          receptive-field stem of the paper's Table 2 (default 299)\n"
            "  --stem-conv 7x7   Inception-v2's single 7x7/2 first layer (Table 3)\n"
            "  --aux-bn          BN-auxiliary: BatchNorm1d on the aux head's fc output\n"
            "  --bn-stats FILE   BatchNorm running statistics from FILE (docs/golden.md)\n");
}

int main(int argc, char **argv) {
    inc_testmodel_opts o;
    inc_testmodel_opts_default(&o);
    const char *out_path = NULL;
    const char **meta = calloc((size_t)argc * 2 + 1, sizeof *meta);
    size_t n_meta = 0;
    if (!meta) return 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            free(meta);
            return 0;
        } else if (strcmp(a, "--seed") == 0 && i + 1 < argc) {
            char *end;
            errno = 0;
            o.seed = strtoull(argv[++i], &end, 0);
            if (errno || *end || argv[i][0] == '-') {
                fprintf(stderr, "inception-make-model: bad seed '%s'\n", argv[i]);
                free(meta);
                return 2;
            }
        } else if (strcmp(a, "--classes") == 0 && i + 1 < argc) {
            char *end;
            long v = strtol(argv[++i], &end, 10);
            if (*end || v < 0 || v > 100000) {
                fprintf(stderr, "inception-make-model: --classes must be in [0, 100000] (0: no "
                                "fc, a feature-extractor trunk)\n");
                free(meta);
                return 2;
            }
            o.classes = (int32_t)v;
        } else if (strcmp(a, "--stem") == 0 && i + 1 < argc) {
            const char *v = argv[++i];
            o.stem = !strcmp(v, "299") ? 299 : !strcmp(v, "151") ? 151 : !strcmp(v, "79") ? 79 : 0;
            if (!o.stem) {
                fprintf(stderr, "inception-make-model: --stem must be 299, 151 or 79\n");
                free(meta);
                return 2;
            }
        } else if (strcmp(a, "--stem-conv") == 0 && i + 1 < argc) {
            const char *v = argv[++i];
            o.stem_conv = !strcmp(v, "3x3") ? 3 : !strcmp(v, "7x7") ? 7 : 0;
            if (!o.stem_conv) {
                fprintf(stderr, "inception-make-model: --stem-conv must be 3x3 or 7x7\n");
                free(meta);
                return 2;
            }
        } else if (strcmp(a, "--aux-bn") == 0) {
            o.aux_bn = 1;
        } else if (strcmp(a, "--bn-stats") == 0 && i + 1 < argc) {
            o.bn_stats = argv[++i];
        } else if (strcmp(a, "--no-aux") == 0) {
            o.aux = 0;
        } else if (strcmp(a, "--no-gamma") == 0) {
            o.bn_gamma = 0;
        } else if (strcmp(a, "--f16") == 0) {
            o.f16 = 1;
        } else if (strcmp(a, "--meta") == 0 && i + 1 < argc) {
            char *kv = argv[++i];
            char *eq = strchr(kv, '=');
            if (!eq || eq == kv) {
                fprintf(stderr, "inception-make-model: --meta wants KEY=VALUE\n");
                free(meta);
                return 2;
            }
            *eq = '\0';
            meta[n_meta++] = kv;
            meta[n_meta++] = eq + 1;
        } else if (a[0] != '-' && !out_path) {
            out_path = a;
        } else {
            usage(stderr);
            free(meta);
            return 2;
        }
    }
    if (!out_path) {
        usage(stderr);
        free(meta);
        return 2;
    }
    o.extra_meta = meta;

    uint8_t *buf = NULL;
    size_t size = 0;
    if (o.aux_bn && !o.aux) {
        fprintf(stderr, "inception-make-model: --aux-bn needs the aux head (drop --no-aux)\n");
        free(meta);
        return 2;
    }
    if (inc_testmodel_build(&o, &buf, &size) != 0) {
        if (o.bn_stats)
            fprintf(stderr, "inception-make-model: cannot use %s: not a BatchNorm statistics "
                    "file for this variant (or out of memory)\n", o.bn_stats);
        else
            fprintf(stderr, "inception-make-model: out of memory\n");
        free(meta);
        return 1;
    }
    free(meta);
    FILE *f = fopen(out_path, "wb");
    if (!f) {
        fprintf(stderr, "inception-make-model: cannot create %s: %s\n", out_path,
                strerror(errno));
        free(buf);
        return 1;
    }
    size_t wrote = fwrite(buf, 1, size, f);
    int bad = wrote != size;
    if (fclose(f) != 0) bad = 1;
    free(buf);
    if (bad) {
        fprintf(stderr, "inception-make-model: write to %s failed: %s\n", out_path,
                strerror(errno));
        remove(out_path);
        return 1;
    }
    printf("wrote %s (%zu bytes, seed %llu, %d classes%s%s%s, stem %d, stem conv %s%s)\n",
           out_path, size, (unsigned long long)o.seed, o.classes,
           o.aux && o.classes > 0 ? (o.aux_bn ? ", BN-auxiliary head" : ", aux head") : "",
           o.bn_gamma ? "" : ", no BN gamma", o.f16 ? ", F16" : "", o.stem,
           o.stem_conv == 7 ? "7x7" : "3x3", o.bn_stats ? ", BN statistics from file" : "");
    return 0;
}
