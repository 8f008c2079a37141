/* C helpers of the Go Trainer (train.go): wrap a Go float32 slice in a tensor, use it and
 * drop the wrap within one cgo call, so C never keeps a Go pointer (cgo's rule). The
 * trainer keeps its own error message, so no thread-local message is involved. */
#include <inception/inception.h>
#include <stdint.h>

static inception_status wrap(int layout, int64_t n, int64_t c, float *data, inception_tensor **t) {
    int64_t dims[2] = {n, c};
    return inception_tensor_wrap(INCEPTION_DTYPE_F32, (inception_layout)layout, dims, 2, data,
                                 (size_t)(n * c) * sizeof(float), t);
}

inception_status incgo_train_features(inception_trainer *tr, int64_t n, float *data,
                                      const int32_t *labels, float *loss, int evaluate) {
    inception_tensor *t = NULL;
    inception_status st = wrap(INCEPTION_LAYOUT_NC, n, 2048, data, &t);
    if (st) return st;
    st = evaluate ? inception_trainer_evaluate(tr, t, labels) : inception_trainer_train_batch(tr, t, labels, loss);
    inception_tensor_free(t);
    return st;
}

inception_status incgo_train_logits(inception_trainer *tr, int64_t n, float *data, float *out,
                                    size_t count) {
    inception_tensor *t = NULL;
    inception_status st = wrap(INCEPTION_LAYOUT_NC, n, 2048, data, &t);
    if (st) return st;
    st = inception_trainer_logits(tr, t, out, count);
    inception_tensor_free(t);
    return st;
}
