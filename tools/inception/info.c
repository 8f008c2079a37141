/* inception info: what a model file holds (configuration, sizes, checksum). */
#include <inttypes.h>
#include <stdio.h>

#include <inception/inception.h>

#include "cli.h"

static int run(const cli_args *a) {
    if (a->n_files != 1) {
        fprintf(stderr, "%s info: give exactly one MODEL file\n", cli_prog);
        return EXIT_USAGE;
    }
    const char *path = a->files[0];
    inception_model *m = cli_load_model(path, NULL);
    if (!m) return EXIT_MODEL;
    int64_t v[14] = {0};
    for (int k = INCEPTION_INFO_CLASSES; k <= INCEPTION_INFO_SYNTHETIC; k++)
        inception_model_info_int(m, (inception_model_info)k, &v[k]);
    const char *s[5] = {"", "", "", "", ""};
    for (int k = INCEPTION_INFO_BACKEND; k <= INCEPTION_INFO_NAME; k++)
        if (inception_model_info_string(m, (inception_model_info_str)k, &s[k]) != INCEPTION_OK)
            s[k] = "?";
    printf("file:              %s\n", path);
    printf("name:              %s\n", s[INCEPTION_INFO_NAME][0] ? s[INCEPTION_INFO_NAME] : "-");
    printf("backend:           %s\n", s[INCEPTION_INFO_BACKEND]);
    printf("preset:            %s\n", s[INCEPTION_INFO_PRESET]);
    printf("normalization:     %s\n", s[INCEPTION_INFO_NORMALIZATION]);
    const char *arch = "?";
    inception_model_info_string(m, INCEPTION_INFO_ARCHITECTURE, &arch);
    printf("architecture:      %s\n", arch);
    printf("input:             %" PRId64 "x%" PRId64 " (minimum %" PRId64 ")\n",
           v[INCEPTION_INFO_INPUT_HEIGHT], v[INCEPTION_INFO_INPUT_WIDTH],
           v[INCEPTION_INFO_MIN_INPUT_SIZE]);
    printf("classes:           %" PRId64 " (label offset %" PRId64 ")\n",
           v[INCEPTION_INFO_CLASSES], v[INCEPTION_INFO_LABEL_OFFSET]);
    printf("labels:            %s\n", v[INCEPTION_INFO_HAS_LABELS]
                                          ? "from the file's metadata"
                                          : "built-in ImageNet-1k names");
    printf("features:          %" PRId64 "\n", v[INCEPTION_INFO_FEATURES]);
    printf("parameters:        %" PRId64 "\n", v[INCEPTION_INFO_PARAMETERS]);
    printf("aux head:          %s\n", v[INCEPTION_INFO_HAS_AUX] ? "yes" : "no");
    printf("avgpool with pad:  %s\n", v[INCEPTION_INFO_POOL_INCLUDE_PAD] ? "yes" : "no");
    printf("batchnorm gamma:   %s\n", v[INCEPTION_INFO_BN_HAS_GAMMA] ? "yes" : "no");
    printf("crc32:             %08" PRIx64 "\n", v[INCEPTION_INFO_CRC32]);
    printf("synthetic:         %s\n", v[INCEPTION_INFO_SYNTHETIC]
                                          ? "yes (generated weights: labels are meaningless)"
                                          : "no");
    inception_model_free(m);
    return ferror(stdout) ? EXIT_OUTPUT : EXIT_OK;
}

const cli_command cli_cmd_info = {
    "info",
    "info MODEL\n",
    run,
};
