/* lib/api: the public entry points (the exported C ABI) and the handles behind them.
 * May include lib/graph, lib/image, lib/model, lib/backends, lib/common and include/;
 * never lib/tasks. The handle structs behind the public opaque types live here. */
#ifndef INC_HANDLES_H
#define INC_HANDLES_H

#include <stdatomic.h>

#include "api/options.h"
#include "graph/net.h"
#include "model/model.h"

struct inception_tensor {
    inception_dtype dtype;
    inception_layout layout;
    int32_t rank;
    int32_t owns;     /* 1: data is ours (inc_malloc_aligned) */
    int32_t borrowed; /* 1: belongs to a session; inception_tensor_free ignores it */
    int64_t dims[4];
    void *data;
    size_t bytes;
};

struct inception_model {
    atomic_int refs;
    inc_config cfg;
    const inception_backend *backend;
    inc_net net;
    int32_t synthetic; /* metadata inception.synthetic = "true" */
    inc_calibration *calib; /* int8 nets: the record the scales came from, else NULL */
    char *source_path; /* absolute path of the file it was loaded from, or NULL (memory):
                        * the trainer copies the unfolded trunk tensors from it on save */
};

/* Model references: a session takes one for its lifetime. */
void inc_model_retain(const inception_model *model);
void inc_model_release(const inception_model *model);

/* Sessions: defined in api/session_api.c, used by lib/tasks for classify. */
const inception_model *inc_session_model(const inception_session *session);
/* The session's thread pool (lib/train runs its training work over it between runs). */
struct inc_pool *inc_session_pool(const inception_session *session);
/* The options the session was created with (string keys cleared): classify decodes with
 * their image limits. */
const inception_options *inc_session_options(const inception_session *session);
/* One thread at a time per session: enter before touching the session's state (OK, or
 * BUSY with a message while another thread is inside; calls nest on one thread), leave
 * after the last access. leave returns 1 when inception_session_free() came in meanwhile
 * and the session has just been freed: return inc_session_freed_error() then. */
inception_status inc_session_enter(inception_session *session);
int inc_session_leave(inception_session *session);
inception_status inc_session_freed_error(void);
/* inc_session_fail for a call that has not entered the session: records the message only
 * if no other thread is inside. */
inception_status inc_session_fail_idle(inception_session *session, inception_status status);
/* Copy this thread's last error into the session and return `status`. */
inception_status inc_session_fail(inception_session *session, inception_status status);

/* Fill a tensor struct (no allocation): validates dtype/layout/rank/dims. */
inception_status inc_tensor_init(inception_tensor *t, inception_dtype dtype,
                                 inception_layout layout, const int64_t *dims, int32_t rank);

#endif
