/* Batches for classify and features: a decode thread reads, decodes and preprocesses the
 * images of batch i+1 into one input tensor while the main thread runs the session on
 * batch i from the other (the session is only ever used by the main thread). Two input
 * tensors and one decoded image at a time bound the memory. Results come back in input
 * order because each batch holds a contiguous run of the inputs. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <inception/inception.h>

#include "cli.h"

enum { EMPTY, FULL };

typedef struct buffer {
    inception_tensor *full; /* [batch, 3, H, W] */
    cli_item *items;
    int n_items, n_images;
    int state, last;
} buffer;

typedef struct pipeline {
    const cli_args *a;
    const inception_model *model;
    const inception_options *dopts;
    const cli_inputs *in;
    int batch, max_items;
    buffer buf[2];
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int cancel;
} pipeline;

static void fill(pipeline *p, buffer *b, size_t *next) {
    b->n_items = b->n_images = 0;
    while (*next < p->in->n && b->n_images < p->batch && b->n_items < p->max_items) {
        cli_item *it = &b->items[b->n_items++];
        it->input = *next;
        it->slot = -1;
        it->message[0] = '\0';
        inception_image *img = NULL;
        const cli_input *in = &p->in->v[*next];
        inception_status st = cli_decode_input(in, p->dopts, p->a->max_stream, &img,
                                               it->message, sizeof it->message);
        if (st == INCEPTION_OK) {
            st = inception_image_preprocess(p->model, img, b->full, b->n_images);
            if (st != INCEPTION_OK)
                snprintf(it->message, sizeof it->message, "%s: %s", in->path,
                         inception_last_error());
        }
        inception_image_free(img);
        it->status = st;
        if (st == INCEPTION_OK) it->slot = b->n_images++;
        (*next)++;
    }
    b->last = *next == p->in->n;
}

static void *decoder(void *arg) {
    pipeline *p = arg;
    size_t next = 0;
    for (int i = 0;; i ^= 1) {
        buffer *b = &p->buf[i];
        pthread_mutex_lock(&p->mu);
        while (b->state != EMPTY && !p->cancel) pthread_cond_wait(&p->cv, &p->mu);
        int cancel = p->cancel;
        pthread_mutex_unlock(&p->mu);
        if (cancel) break;
        fill(p, b, &next);
        pthread_mutex_lock(&p->mu);
        b->state = FULL;
        pthread_cond_broadcast(&p->cv);
        pthread_mutex_unlock(&p->mu);
        if (b->last) break;
    }
    return NULL;
}

int cli_pipeline_run(const cli_args *a, const inception_model *model,
                     const inception_options *dopts, const cli_inputs *in, cli_batch_fn fn,
                     void *ctx, cli_pipeline_stats *stats) {
    memset(stats, 0, sizeof *stats);
    pipeline p = {.a = a, .model = model, .dopts = dopts, .in = in};
    p.batch = a->batch < 1 ? 1 : a->batch;
    if ((size_t)p.batch > in->n) p.batch = in->n ? (int)in->n : 1; /* no tensor larger than the work */
    /* A batch also ends after this many inputs, so a run of bad files stays bounded. */
    p.max_items = 4 * p.batch + 16;
    int rc = EXIT_OK;
    for (int i = 0; i < 2; i++) {
        p.buf[i].items = calloc((size_t)p.max_items, sizeof(cli_item));
        if (!p.buf[i].items ||
            inception_model_create_input(model, p.batch, INCEPTION_LAYOUT_NCHW,
                                         &p.buf[i].full) != INCEPTION_OK) {
            fprintf(stderr, "%s: cannot make a batch of %d inputs: %s\n", cli_prog, p.batch,
                    p.buf[i].items ? inception_last_error() : "out of memory");
            rc = EXIT_SOME_FAILED;
        }
    }
    pthread_mutex_init(&p.mu, NULL);
    pthread_cond_init(&p.cv, NULL);
    pthread_t thread;
    int started = 0;
    cli_progress bar;
    cli_progress_start(&bar, a, in->n);
    double t0 = cli_now();
    if (rc == EXIT_OK) {
        if (pthread_create(&thread, NULL, decoder, &p) != 0) {
            fprintf(stderr, "%s: cannot start the decode thread\n", cli_prog);
            rc = EXIT_SOME_FAILED;
        } else {
            started = 1;
        }
    }
    cli_progress_update(&bar, 0);
    for (int i = 0; started; i ^= 1) {
        buffer *b = &p.buf[i];
        pthread_mutex_lock(&p.mu);
        while (b->state != FULL) pthread_cond_wait(&p.cv, &p.mu);
        pthread_mutex_unlock(&p.mu);
        cli_batch batch = {.input = b->full, .n_images = b->n_images, .items = b->items,
                           .n_items = b->n_items};
        inception_tensor *view = NULL;
        if (b->n_images > 0 && b->n_images < p.batch) {
            /* the last, short batch: the same memory with a smaller N */
            int64_t dims[4];
            for (int32_t d = 0; d < 4; d++) dims[d] = inception_tensor_dim(b->full, d);
            dims[0] = b->n_images;
            size_t bytes = inception_tensor_byte_size(b->full) / (size_t)p.batch *
                           (size_t)b->n_images;
            if (inception_tensor_wrap(INCEPTION_DTYPE_F32, INCEPTION_LAYOUT_NCHW, dims, 4,
                                      inception_tensor_data(b->full), bytes,
                                      &view) != INCEPTION_OK) {
                for (int k = 0; k < b->n_items; k++)
                    if (b->items[k].status == INCEPTION_OK) {
                        b->items[k].status = INCEPTION_ERR_OUT_OF_MEMORY;
                        snprintf(b->items[k].message, CLI_MSG_MAX, "%s: %s",
                                 in->v[b->items[k].input].path, inception_last_error());
                    }
                batch.n_images = 0;
            }
            batch.input = view;
        }
        cli_progress_clear(&bar);
        int r = fn(ctx, &batch);
        inception_tensor_free(view);
        for (int k = 0; k < b->n_items; k++)
            if (b->items[k].status != INCEPTION_OK) stats->failed++;
        stats->done += (size_t)b->n_items;
        cli_progress_update(&bar, stats->done);
        int last = b->last;
        pthread_mutex_lock(&p.mu);
        b->state = EMPTY;
        if (r != EXIT_OK) p.cancel = 1;
        pthread_cond_broadcast(&p.cv);
        pthread_mutex_unlock(&p.mu);
        if (r != EXIT_OK) {
            rc = r;
            break;
        }
        if (last) break;
    }
    if (started) pthread_join(thread, NULL);
    cli_progress_clear(&bar);
    stats->seconds = cli_now() - t0;
    pthread_cond_destroy(&p.cv);
    pthread_mutex_destroy(&p.mu);
    for (int i = 0; i < 2; i++) {
        inception_tensor_free(p.buf[i].full);
        free(p.buf[i].items);
    }
    return rc;
}

const inception_tensor *cli_batch_run(inception_session *s, cli_batch *b,
                                      const cli_inputs *in, inception_output output) {
    if (b->n_images == 0) return NULL;
    const inception_tensor *out = NULL;
    inception_status st = inception_session_run(s, b->input);
    if (st == INCEPTION_OK) st = inception_session_output(s, output, &out);
    if (st == INCEPTION_OK) return out;
    const char *msg = inception_session_last_error(s);
    if (!*msg) msg = inception_last_error();
    for (int i = 0; i < b->n_items; i++)
        if (b->items[i].status == INCEPTION_OK) {
            b->items[i].status = st;
            snprintf(b->items[i].message, CLI_MSG_MAX, "%s: %s", in->v[b->items[i].input].path,
                     msg);
        }
    return NULL;
}
