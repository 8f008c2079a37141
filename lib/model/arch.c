/* The architecture as data (see arch.h and docs/model-format.md). Every key is optional:
 * a file without them is torchvision's Inception3, and where the tensors settle a question
 * (a 7x7 first layer, a batch-normalised aux fc, a missing fc) they are the default. The
 * stem cannot be seen in the tensors (the three stems have identical shapes), so only the
 * metadata or the load option can choose it. */
#include <stdio.h>
#include <string.h>

#include "model/arch.h"

const char *inc_stem_conv_name(inc_stem_conv c) { return c == INC_STEM_CONV_7X7 ? "7x7" : "3x3"; }

const char *inc_aux_head_name(inc_aux_head a) {
    return a == INC_AUX_BN ? "bn" : a == INC_AUX_PLAIN ? "plain" : "none";
}

static inception_status bad_key(const char *key, const char *value, const char *allowed) {
    return inc_error(INCEPTION_ERR_FORMAT, "metadata %s = '%.64s' is not supported: expected %s",
                     key, value, allowed);
}

static int stem_from_int(int64_t v, inc_stem *out) {
    if (v != INC_STEM_299 && v != INC_STEM_151 && v != INC_STEM_79) return 0;
    *out = (inc_stem)v;
    return 1;
}

inception_status inc_arch_read(const inc_arch_source *src, inc_arch *out) {
    inc_arch a;
    memset(&a, 0, sizeof a);
    const char *v;

    a.stem = INC_STEM_299;
    if ((v = src->stem)) {
        if (!strcmp(v, "299")) a.stem = INC_STEM_299;
        else if (!strcmp(v, "151")) a.stem = INC_STEM_151;
        else if (!strcmp(v, "79")) a.stem = INC_STEM_79;
        else return bad_key("inception.stem", v, "299, 151 or 79");
    }
    if (src->option_stem != 0 && !stem_from_int(src->option_stem, &a.stem))
        return inc_error(INCEPTION_ERR_INVALID_ARGUMENT,
                         "option STEM = %lld: expected 0 (from the file), 299, 151 or 79",
                         (long long)src->option_stem);
    a.first_stride = a.stem == INC_STEM_299 ? 2 : 1;
    a.stem_pool = a.stem != INC_STEM_79;

    int has7 = src->has_conv7x7;
    a.stem_conv = has7 ? INC_STEM_CONV_7X7 : INC_STEM_CONV_3X3;
    if ((v = src->stem_conv)) {
        if (!strcmp(v, "3x3")) a.stem_conv = INC_STEM_CONV_3X3;
        else if (!strcmp(v, "7x7")) a.stem_conv = INC_STEM_CONV_7X7;
        else return bad_key("inception.stem_conv", v, "3x3 or 7x7");
        if (a.stem_conv == INC_STEM_CONV_7X7 && !has7)
            return inc_error(INCEPTION_ERR_MISSING_TENSOR,
                             "metadata inception.stem_conv = '7x7' but tensor "
                             "'Conv2d_1a_7x7.conv.weight' is missing");
    }

    int has_aux = src->has_aux, has_bn = src->has_aux_bn;
    a.aux = !has_aux ? INC_AUX_NONE : has_bn ? INC_AUX_BN : INC_AUX_PLAIN;
    if ((v = src->aux_head)) {
        inc_aux_head want;
        if (!strcmp(v, "plain")) want = INC_AUX_PLAIN;
        else if (!strcmp(v, "bn")) want = INC_AUX_BN;
        else return bad_key("inception.aux_head", v, "plain or bn");
        /* The key describes the head when the file has one; without one it says nothing. */
        if (has_aux) a.aux = want;
        if (has_aux && want == INC_AUX_BN && !has_bn)
            return inc_error(INCEPTION_ERR_MISSING_TENSOR,
                             "metadata inception.aux_head = 'bn' but tensor "
                             "'AuxLogits.fc_bn.running_mean' is missing");
    }

    a.has_fc = src->has_fc;
    snprintf(a.description, sizeof a.description, "stem=%d stem_conv=%s aux=%s%s", (int)a.stem,
             inc_stem_conv_name(a.stem_conv), inc_aux_head_name(a.aux),
             a.has_fc ? "" : " fc=none");
    *out = a;
    return INCEPTION_OK;
}
