/* inception info: what a model file holds (configuration, sizes, checksum). */
#include <inttypes.h>
#include <stdio.h>

#include <inception/inception.h>

#include "cli.h"

static int run(const cli_args *a) {
    if (a->n_files > 1 || (a->n_files == 1 && a->model)) {
        fprintf(stderr, "%s info: give one model, as --model M or as MODEL\n", cli_prog);
        return EXIT_USAGE;
    }
    char cache[4096];
    const char *path = cli_resolve_model(a->n_files ? a->files[0] : a->model, cache,
                                         sizeof cache, 0);
    if (!path) return EXIT_MODEL;
    inception_options *o = cli_make_options(a);
    if (!o) return EXIT_USAGE;
    inception_model *m = cli_load_model(path, o);
    inception_options_free(o);
    if (!m) return EXIT_MODEL;
    int64_t v[INCEPTION_INFO_PARAMETERS_WITH_AUX + 1] = {0};
    for (int k = INCEPTION_INFO_CLASSES; k <= INCEPTION_INFO_PARAMETERS_WITH_AUX; k++)
        inception_model_info_int(m, (inception_model_info)k, &v[k]);
    const char *s[INCEPTION_INFO_ISA + 1] = {"", "", "", "", "", ""};
    for (int k = INCEPTION_INFO_BACKEND; k <= INCEPTION_INFO_ISA; k++)
        if (inception_model_info_string(m, (inception_model_info_str)k, &s[k]) != INCEPTION_OK)
            s[k] = "?";
    int has_fc = v[INCEPTION_INFO_HAS_FC] != 0;
    /* The library's built-in names answer only for an ImageNet-1k head (see inception.h). */
    const char *unused = NULL;
    int builtin = !v[INCEPTION_INFO_HAS_LABELS] && has_fc &&
                  inception_model_label(m, v[INCEPTION_INFO_LABEL_OFFSET], &unused) == INCEPTION_OK;
    printf("file:              %s\n", path);
    printf("name:              %s\n", s[INCEPTION_INFO_NAME][0] ? s[INCEPTION_INFO_NAME] : "-");
    printf("library:           %s\n", inception_version_string());
    printf("backend:           %s (isa %s)\n", s[INCEPTION_INFO_BACKEND], s[INCEPTION_INFO_ISA]);
    printf("threads:           %d%s\n", cli_thread_count(a->threads),
           a->threads ? "" : " (default: online cores; --threads)");
    printf("preset:            %s\n", s[INCEPTION_INFO_PRESET]);
    printf("normalization:     %s\n", s[INCEPTION_INFO_NORMALIZATION]);
    const char *arch = "?";
    inception_model_info_string(m, INCEPTION_INFO_ARCHITECTURE, &arch);
    printf("architecture:      %s\n", arch);
    printf("input:             %" PRId64 "x%" PRId64 " (minimum %" PRId64 ")\n",
           v[INCEPTION_INFO_INPUT_HEIGHT], v[INCEPTION_INFO_INPUT_WIDTH],
           v[INCEPTION_INFO_MIN_INPUT_SIZE]);
    printf("classifier (fc):   %s\n", has_fc ? "yes" : "no (a feature extractor: features only)");
    printf("classes:           %" PRId64 " (label offset %" PRId64 ")\n",
           v[INCEPTION_INFO_CLASSES], v[INCEPTION_INFO_LABEL_OFFSET]);
    printf("labels:            %s\n", v[INCEPTION_INFO_HAS_LABELS] ? "yes (the file's or --labels)"
                                    : !has_fc  ? "no (no classifier)"
                                    : builtin ? "no; built-in ImageNet-1k names for this ImageNet-1k head"
                                              : "no (results show class numbers; --labels FILE)");
    printf("features:          %" PRId64 "\n", v[INCEPTION_INFO_FEATURES]);
    printf("parameters:        %" PRId64 " (%" PRId64 " with the aux head)\n",
           v[INCEPTION_INFO_PARAMETERS], v[INCEPTION_INFO_PARAMETERS_WITH_AUX]);
    printf("aux head:          %s\n", v[INCEPTION_INFO_HAS_AUX] ? "yes" : "no");
    printf("avgpool with pad:  %s\n", v[INCEPTION_INFO_POOL_INCLUDE_PAD] ? "yes" : "no");
    printf("batchnorm gamma:   %s\n", v[INCEPTION_INFO_BN_HAS_GAMMA] ? "yes" : "no");
    printf("crc32:             %08" PRIx64 "\n", v[INCEPTION_INFO_CRC32]);
    printf("synthetic:         %s\n", v[INCEPTION_INFO_SYNTHETIC]
                                          ? "yes (generated weights: labels are meaningless)"
                                          : "no");
    int64_t q = 0, ql = 0, qi = 0;
    const char *method = "", *level = "";
    inception_model_info_int(m, INCEPTION_INFO_QUANTIZED, &q);
    inception_model_info_int(m, INCEPTION_INFO_QUANTIZED_LAYERS, &ql);
    inception_model_info_int(m, INCEPTION_INFO_CALIBRATION_IMAGES, &qi);
    inception_model_info_string(m, INCEPTION_INFO_CALIBRATION_METHOD, &method);
    inception_model_info_string(m, INCEPTION_INFO_INT8_LEVEL, &level);
    if (q)
        printf("precision:         int8 (%" PRId64 " convolutions on %s kernels; calibrated "
               "with %s on %" PRId64 " images)\n", ql, level, method, qi);
    else
        printf("precision:         float\n");
    inception_model_free(m);
    return ferror(stdout) ? EXIT_OUTPUT : EXIT_OK;
}

const cli_command cli_cmd_info = {
    "info",
    "Print the library version, backend, ISA level, threads and the model's configuration.",
    "[MODEL]",
    "The model is MODEL, else --model, else $INCEPTION_MODEL, else the cache file. Shows\n"
    "name, backend the weights were packed for and the instruction set it runs, worker\n"
    "threads, preset, normalisation, input size, classes and label offset, labels,\n"
    "feature width, parameters, aux head, pooling rule, CRC-32 and whether the weights\n"
    "are synthetic.",
    "inception info\n"
    "inception info --model inception_v3.safetensors --backend ref",
    run,
};
