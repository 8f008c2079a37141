/* The inputs of classify and features: operands, directories (-r), --files-from lists and
 * stdin; and decoding one of them. The library reads regular files only (by design); the
 * tool reads stdin, pipes and process substitution itself into a bounded buffer. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <inception/inception.h>

#include "cli.h"

static int push(cli_inputs *in, const char *path, const char *error) {
    if (in->n == in->cap) {
        size_t cap = in->cap ? in->cap * 2 : 64;
        cli_input *v = realloc(in->v, cap * sizeof *v);
        if (!v) return 0;
        in->v = v;
        in->cap = cap;
    }
    char *p = strdup(path);
    if (!p) return 0;
    in->v[in->n].path = p;
    in->v[in->n].error = error;
    in->n++;
    return 1;
}

void cli_inputs_free(cli_inputs *in) {
    for (size_t i = 0; i < in->n; i++) free(in->v[i].path);
    free(in->v);
    memset(in, 0, sizeof *in);
}

static int is_stdin(const char *p) { return !strcmp(p, "-"); }

/* Recursion picks images by extension (not by content), so other files are skipped
 * without being opened. */
static int image_name(const char *name) {
    const char *dot = strrchr(name, '.');
    return dot && (!strcasecmp(dot, ".jpg") || !strcasecmp(dot, ".jpeg") ||
                   !strcasecmp(dot, ".png"));
}

static int cmp_name(const void *x, const void *y) {
    return strcmp(*(char *const *)x, *(char *const *)y);
}

/* Depth first, entries of each directory in byte order of their names; symbolic links to
 * directories are not followed (no cycles), links to files are. */
static int walk(cli_inputs *in, const char *dir, int *found, int depth) {
    if (depth > 64) {
        fprintf(stderr, "%s: %s: directories nested more than 64 deep; not descending\n",
                cli_prog, dir);
        return 1;
    }
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "%s: cannot read directory %s: %s\n", cli_prog, dir, strerror(errno));
        return 1;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 32;
            char **v = realloc(names, cap * sizeof *v);
            if (!v) { rc = -2; break; }
            names = v;
        }
        if (!(names[n] = strdup(e->d_name))) { rc = -2; break; }
        n++;
    }
    closedir(d);
    if (rc == 0 && n > 1) qsort(names, n, sizeof *names, cmp_name);
    size_t dl = strlen(dir);
    int slash = dl > 0 && dir[dl - 1] == '/';
    for (size_t i = 0; rc >= 0 && i < n; i++) {
        size_t len = dl + 1 + strlen(names[i]) + 1;
        char *p = malloc(len);
        if (!p) { rc = -2; break; }
        snprintf(p, len, "%s%s%s", dir, slash ? "" : "/", names[i]);
        struct stat lsb, sb;
        if (lstat(p, &lsb) == 0 && S_ISDIR(lsb.st_mode)) {
            int r = walk(in, p, found, depth + 1);
            if (r != 0) rc = r;
        } else if (image_name(names[i]) && stat(p, &sb) == 0 && !S_ISDIR(sb.st_mode)) {
            if (!push(in, p, NULL)) rc = -2;
            (*found)++;
        }
        free(p);
    }
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(names);
    return rc; /* 0 fine, 1 some directory could not be read (said why), -2 out of memory */
}

static const char *const dir_without_r =
    "is a directory (give -r to read the images under it)";

/* One path from the command line or a list. */
static int add_path(const cli_args *a, cli_inputs *in, const char *p, int *some_failed) {
    struct stat sb;
    if (!is_stdin(p) && stat(p, &sb) == 0 && S_ISDIR(sb.st_mode)) {
        if (!a->recursive) return push(in, p, dir_without_r) ? 0 : -2;
        int found = 0;
        int r = walk(in, p, &found, 0);
        if (r == -2) return -2;
        if (r != 0) *some_failed = 1;
        if (found == 0 && r == 0) {
            fprintf(stderr, "%s: %s: no *.jpg, *.jpeg or *.png files under it\n", cli_prog, p);
            *some_failed = 1;
        }
        return 0;
    }
    if (is_stdin(p)) {
        if (in->stdin_used) {
            fprintf(stderr, "%s: standard input ('-') can be read only once\n", cli_prog);
            return -1;
        }
        in->stdin_used = 1;
    }
    return push(in, p, NULL) ? 0 : -2;
}

/* One path per line; empty lines are skipped, a final CR is dropped (CRLF lists). */
static int read_list(const cli_args *a, cli_inputs *in, const char *list, int *some_failed) {
    FILE *f;
    if (is_stdin(list)) {
        if (in->stdin_used) {
            fprintf(stderr, "%s: standard input ('-') can be read only once\n", cli_prog);
            return -1;
        }
        in->stdin_used = 1;
        f = stdin;
    } else if (!(f = fopen(list, "r"))) {
        fprintf(stderr, "%s: cannot read --files-from %s: %s\n", cli_prog, list,
                strerror(errno));
        return -1;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int rc = 0;
    while (rc == 0 && (len = getline(&line, &cap, f)) >= 0) {
        if (len > 0 && line[len - 1] == '\n') line[--len] = '\0';
        if (len > 0 && line[len - 1] == '\r') line[--len] = '\0';
        if (len == 0) continue;
        rc = add_path(a, in, line, some_failed);
    }
    if (rc == 0 && ferror(f)) {
        fprintf(stderr, "%s: error reading --files-from %s\n", cli_prog, list);
        rc = -1;
    }
    free(line);
    if (f != stdin) fclose(f);
    return rc;
}

int cli_inputs_collect(const cli_args *a, cli_inputs *in, int *some_failed) {
    memset(in, 0, sizeof *in);
    *some_failed = 0;
    int rc = 0;
    for (int i = 0; rc == 0 && i < a->n_files; i++)
        rc = add_path(a, in, a->files[i], some_failed);
    for (int i = 0; rc == 0 && i < a->lists.n; i++)
        rc = read_list(a, in, a->lists.v[i], some_failed);
    if (rc == -2) {
        fprintf(stderr, "%s: out of memory listing the inputs\n", cli_prog);
        return EXIT_SOME_FAILED;
    }
    if (rc) return EXIT_USAGE;
    if (in->n == 0 && !*some_failed) {
        fprintf(stderr, "%s %s: no images given (see '%s %s --help')\n", cli_prog, a->command,
                cli_prog, a->command);
        return EXIT_USAGE;
    }
    return EXIT_OK;
}

/* Read a stream to its end into memory, refusing more than `limit` bytes. */
static inception_status read_stream(int fd, const char *name, int64_t limit, uint8_t **data,
                                    size_t *size, char *buf, size_t n) {
    size_t cap = 1 << 16, len = 0;
    uint8_t *p = malloc(cap);
    if (!p) {
        snprintf(buf, n, "%s: out of memory reading it", name);
        return INCEPTION_ERR_OUT_OF_MEMORY;
    }
    for (;;) {
        if (len == cap) {
            if ((int64_t)cap > limit) break;
            size_t nc = cap * 2;
            uint8_t *q = realloc(p, nc);
            if (!q) {
                free(p);
                snprintf(buf, n, "%s: out of memory reading it", name);
                return INCEPTION_ERR_OUT_OF_MEMORY;
            }
            p = q;
            cap = nc;
        }
        ssize_t r = read(fd, p + len, cap - len);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) {
            int err = errno;
            free(p);
            snprintf(buf, n, "%s: read failed: %s", name, strerror(err));
            return INCEPTION_ERR_IO;
        }
        if (r == 0) break;
        len += (size_t)r;
        if ((int64_t)len > limit) break;
    }
    if ((int64_t)len > limit) {
        free(p);
        snprintf(buf, n,
                 "%s: more than %lld bytes (the limit for stdin and pipes; raise it with "
                 "--max-stream-bytes)", name, (long long)limit);
        return INCEPTION_ERR_IO;
    }
    *data = p;
    *size = len;
    return INCEPTION_OK;
}

inception_status cli_decode_input(const cli_input *in, const inception_options *o,
                                  int64_t max_stream, inception_image **img, char *buf,
                                  size_t n) {
    if (in->error) {
        snprintf(buf, n, "%s: %s", in->path, in->error);
        return INCEPTION_ERR_IO;
    }
    struct stat sb;
    int std = is_stdin(in->path);
    if (!std && (stat(in->path, &sb) != 0 || S_ISREG(sb.st_mode))) {
        /* regular files (and missing ones, for the library's message) */
        inception_status st = inception_image_decode_file(in->path, o, img);
        if (st != INCEPTION_OK) snprintf(buf, n, "%s", inception_last_error());
        return st;
    }
    int fd = std ? 0 : open(in->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(buf, n, "cannot open '%s': %s", in->path, strerror(errno));
        return INCEPTION_ERR_IO;
    }
    const char *name = std ? "standard input" : in->path;
    uint8_t *data = NULL;
    size_t size = 0;
    inception_status st = read_stream(fd, name, max_stream, &data, &size, buf, n);
    if (!std) close(fd);
    if (st != INCEPTION_OK) return st;
    st = inception_image_decode_memory(data, size, o, img);
    if (st != INCEPTION_OK) snprintf(buf, n, "%s: %s", name, inception_last_error());
    free(data);
    return st;
}
