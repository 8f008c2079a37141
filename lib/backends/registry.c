/* Backend registry: a fixed table, filled once with the built-ins (the static list of
 * descriptors below) and then by inception_backend_register(). Entries are never removed,
 * so pointers into the table stay valid for the life of the process. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "backends/builtin.h"
#include "backends/registry.h"
#include "common/common.h"

#define MAX_BACKENDS 32
#define MAX_NAME 64

typedef struct entry {
    inception_backend table;
    char name[MAX_NAME];
    int32_t score;
    const char *(*isa)(void *user); /* built-ins only; not part of the plug-in ABI */
    inception_backend_train train_store;
    /* &train_store once training ops are attached, else NULL; written once under the lock,
     * read without it. */
    const inception_backend_train *train;
} entry;

static entry entries[MAX_BACKENDS];
static int32_t n_entries;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t once = PTHREAD_ONCE_INIT;

/* The built-in backends, in registration order (ref first: "auto" falls back to it). */
static const inc_backend_desc *const builtins[] = {
    &inc_backend_ref,
#if defined(INC_HAVE_SIMD)
    &inc_backend_simd,
#endif
};

static const entry *find(const char *name);
static inception_status add(const inception_backend *b, const char *(*isa)(void *user));
static inception_status attach_train(const char *name, const inception_backend_train *ops);

static void register_builtins(void) {
    for (size_t i = 0; i < sizeof builtins / sizeof builtins[0]; i++)
        for (size_t j = 0; j < builtins[i]->count; j++) {
            if (add(&builtins[i]->tables[j], builtins[i]->isa) == INCEPTION_OK &&
                builtins[i]->train)
                (void)attach_train(builtins[i]->tables[j].name, &builtins[i]->train[j]);
        }
}

static void ensure_init(void) { pthread_once(&once, register_builtins); }

/* Same checks for built-ins and for inception_backend_register(). */
static inception_status add(const inception_backend *b, const char *(*isa)(void *user)) {
    if (!b) return inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "backend is NULL");
    if (b->abi_version < INCEPTION_BACKEND_ABI_MIN || b->abi_version > INCEPTION_BACKEND_ABI_VERSION)
        return inc_error(INCEPTION_ERR_BACKEND,
                         "backend ABI version %u is outside the supported range %d..%d",
                         b->abi_version, INCEPTION_BACKEND_ABI_MIN, INCEPTION_BACKEND_ABI_VERSION);
    /* Everything up to and including the name must be present. */
    size_t minimum = offsetof(inception_backend, user);
    if (b->struct_size < minimum)
        return inc_error(INCEPTION_ERR_BACKEND, "backend struct_size %u is too small",
                         b->struct_size);
    if (!b->name || !b->name[0])
        return inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "backend has no name");
    if (strlen(b->name) >= MAX_NAME)
        return inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "backend name is longer than %d bytes",
                         MAX_NAME - 1);

    /* Copy what the caller's version of the struct has into a zeroed table of ours. */
    inception_backend t;
    memset(&t, 0, sizeof t);
    size_t n = b->struct_size < sizeof t ? b->struct_size : sizeof t;
    memcpy(&t, b, n);
    t.abi_version = INCEPTION_BACKEND_ABI_VERSION;
    t.struct_size = sizeof t;

    int conv_members = (t.conv_pack != NULL) + (t.conv_release != NULL) + (t.conv_run != NULL);
    if (conv_members != 0 && conv_members != 3)
        return inc_error(INCEPTION_ERR_BACKEND,
                         "backend '%s': conv_pack, conv_release and conv_run must all be set or all be NULL",
                         b->name);

    const inception_backend *ref = &inc_ref_table;
    if (t.conv_pack == NULL) {
        t.conv_pack = ref->conv_pack;
        t.conv_release = ref->conv_release;
        t.conv_run = ref->conv_run;
        t.conv_scratch = ref->conv_scratch;
    }
    if (!t.max_pool) t.max_pool = ref->max_pool;
    if (!t.avg_pool) t.avg_pool = ref->avg_pool;
    if (!t.global_avg_pool) t.global_avg_pool = ref->global_avg_pool;
    if (!t.softmax) t.softmax = ref->softmax;

    int32_t score = t.probe ? t.probe(t.user) : 1;

    pthread_mutex_lock(&lock);
    inception_status st = INCEPTION_OK;
    if (find(b->name)) {
        st = inc_error(INCEPTION_ERR_BACKEND, "a backend named '%s' is already registered",
                       b->name);
    } else if (n_entries == MAX_BACKENDS) {
        st = inc_error(INCEPTION_ERR_BACKEND, "too many backends (%d)", MAX_BACKENDS);
    } else {
        entry *e = &entries[n_entries];
        e->table = t;
        strcpy(e->name, b->name);
        e->table.name = e->name;
        e->score = score;
        e->isa = isa;
        /* Publish only after the entry is complete: readers scan without the lock. */
        __atomic_store_n(&n_entries, n_entries + 1, __ATOMIC_RELEASE);
    }
    pthread_mutex_unlock(&lock);
    return st;
}

static int32_t count(void) { return __atomic_load_n(&n_entries, __ATOMIC_ACQUIRE); }

static const entry *find(const char *name) {
    int32_t n = count();
    for (int32_t i = 0; i < n; i++)
        if (strcmp(entries[i].name, name) == 0) return &entries[i];
    return NULL;
}

const char *inc_backend_isa(const inception_backend *table) {
    int32_t n = count();
    for (int32_t i = 0; i < n; i++)
        if (&entries[i].table == table)
            return entries[i].isa ? entries[i].isa(table->user) : "unknown";
    return "unknown";
}

inception_status inc_backend_select(const char *name, const inception_backend **out) {
    ensure_init();
    if (!name || strcmp(name, "auto") == 0) {
        const char *env = getenv("INCEPTION_BACKEND");
        if (env && env[0] && strcmp(env, "auto") != 0) {
            name = env;
        } else {
            const entry *best = NULL;
            int32_t n = count();
            for (int32_t i = 0; i < n; i++)
                if (entries[i].score > 0 && (!best || entries[i].score > best->score))
                    best = &entries[i];
            *out = &best->table; /* ref always scores 1 */
            return INCEPTION_OK;
        }
    }
    const entry *e = find(name);
    if (!e) return inc_error(INCEPTION_ERR_NOT_FOUND, "no backend named '%s'", name);
    if (e->score <= 0)
        return inc_error(INCEPTION_ERR_BACKEND, "backend '%s' cannot run on this machine", name);
    *out = &e->table;
    return INCEPTION_OK;
}

INCEPTION_API inception_status inception_backend_register(const inception_backend *backend) {
    inc_error_clear();
    ensure_init();
    return add(backend, NULL);
}

/* A scratch query for a kernel that declared none. */
static size_t no_scratch_data(void *user, const inception_conv_desc *desc,
                              const inception_view *dy, const inception_view *dx, int32_t parts) {
    return 0;
}

static size_t no_scratch_weights(void *user, const inception_conv_desc *desc,
                                 const inception_view *x, const inception_view *dy,
                                 int32_t parts) {
    return 0;
}

/* Same checks for built-ins and for inception_backend_register_train(). A kernel and its
 * scratch query go together: a NULL kernel takes ref's pair (its scratch could be smaller
 * than ref's kernel needs), a kernel without a query needs no scratch. */
static inception_status attach_train(const char *name, const inception_backend_train *ops) {
    if (!name || !ops)
        return inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "backend name and training ops are required");
    if (ops->abi_version < INCEPTION_BACKEND_TRAIN_ABI_MIN ||
        ops->abi_version > INCEPTION_BACKEND_TRAIN_ABI_VERSION)
        return inc_error(INCEPTION_ERR_BACKEND,
                         "training ops ABI version %u is outside the supported range %d..%d",
                         ops->abi_version, INCEPTION_BACKEND_TRAIN_ABI_MIN,
                         INCEPTION_BACKEND_TRAIN_ABI_VERSION);
    size_t header = offsetof(inception_backend_train, user) + sizeof(void *);
    if (ops->struct_size < header)
        return inc_error(INCEPTION_ERR_BACKEND,
                         "training ops struct_size %u is smaller than its header (%zu bytes)",
                         ops->struct_size, header);

    inception_backend_train t;
    memset(&t, 0, sizeof t);
    memcpy(&t, ops, ops->struct_size < sizeof t ? ops->struct_size : sizeof t);
    t.abi_version = INCEPTION_BACKEND_TRAIN_ABI_VERSION;
    t.struct_size = sizeof t;
    const inception_backend_train *ref = &inc_ref_train;
    if (!t.conv_backward_data) {
        t.conv_backward_data = ref->conv_backward_data;
        t.conv_backward_data_scratch = ref->conv_backward_data_scratch;
    } else if (!t.conv_backward_data_scratch) {
        t.conv_backward_data_scratch = no_scratch_data;
    }
    if (!t.conv_backward_weights) {
        t.conv_backward_weights = ref->conv_backward_weights;
        t.conv_backward_weights_scratch = ref->conv_backward_weights_scratch;
    } else if (!t.conv_backward_weights_scratch) {
        t.conv_backward_weights_scratch = no_scratch_weights;
    }
    if (!t.max_pool_backward) t.max_pool_backward = ref->max_pool_backward;
    if (!t.avg_pool_backward) t.avg_pool_backward = ref->avg_pool_backward;

    pthread_mutex_lock(&lock);
    inception_status st = INCEPTION_OK;
    entry *e = (entry *)find(name);
    if (!e) {
        st = inc_error(INCEPTION_ERR_NOT_FOUND, "no backend named '%s'", name);
    } else if (e->train) {
        st = inc_error(INCEPTION_ERR_BACKEND, "backend '%s' already has training ops", name);
    } else {
        e->train_store = t;
        __atomic_store_n(&e->train, &e->train_store, __ATOMIC_RELEASE);
    }
    pthread_mutex_unlock(&lock);
    return st;
}

const inception_backend_train *inc_backend_train_ops(const inception_backend *table) {
    ensure_init();
    /* ref is the first entry and has its table: one pointer means "ref's" everywhere */
    const inception_backend_train *ref = __atomic_load_n(&entries[0].train, __ATOMIC_ACQUIRE);
    if (!ref) ref = &inc_ref_train;
    int32_t n = count();
    for (int32_t i = 0; i < n; i++)
        if (&entries[i].table == table) {
            const inception_backend_train *t = __atomic_load_n(&entries[i].train, __ATOMIC_ACQUIRE);
            return t ? t : ref;
        }
    return ref;
}

INCEPTION_API inception_status inception_backend_register_train(const char *name,
                                                                const inception_backend_train *ops) {
    inc_error_clear();
    ensure_init();
    return attach_train(name, ops);
}

INCEPTION_API inception_status inception_backend_get(const char *name,
                                                     const inception_backend **out) {
    inc_error_clear();
    if (!name || !out) return inc_error(INCEPTION_ERR_INVALID_ARGUMENT, "name and out are required");
    ensure_init();
    const entry *e = find(name);
    if (!e) return inc_error(INCEPTION_ERR_NOT_FOUND, "no backend named '%s'", name);
    *out = &e->table;
    return INCEPTION_OK;
}

INCEPTION_API int32_t inception_backend_count(void) {
    ensure_init();
    return count();
}

INCEPTION_API const char *inception_backend_name(int32_t index) {
    ensure_init();
    if (index < 0 || index >= count()) return NULL;
    return entries[index].name;
}

INCEPTION_API int32_t inception_backend_available(const char *name) {
    if (!name) return 0;
    ensure_init();
    const entry *e = find(name);
    return e && e->score > 0;
}
