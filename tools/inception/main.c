/*
 * inception: command-line front end of libinception. This file dispatches; each
 * subcommand is its own file (classify.c, features.c, info.c, bench.c), the option table
 * is options.c, shared helpers are cli.c, inputs.c and pipeline.c.
 *   inception CMD [OPTIONS] ARGS...      inception CMD --help      inception help [CMD]
 *   inception --version                  inception help --man (the man page, troff)
 * docs/cli.md documents the output formats (the JSON schema is stable) and exit codes.
 * Uses only the public API.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <inception/inception.h>

#include "cli.h"

/* The subcommands, in the order usage lists them. Adding one: X(name) here, a file
 * name.c defining `const cli_command cli_cmd_name`, and that file in meson.build. */
#define CLI_COMMANDS(X) X(classify) X(features) X(info) X(bench) X(train) X(explain) X(quantize)

#define CLI_DECLARE(name) extern const cli_command cli_cmd_##name;
CLI_COMMANDS(CLI_DECLARE)
#define CLI_ROW(name) &cli_cmd_##name,
static const cli_command *const commands[] = {CLI_COMMANDS(CLI_ROW)};
#define N_COMMANDS (sizeof commands / sizeof commands[0])

static void usage(FILE *f) {
    fprintf(f, "usage: %s COMMAND [OPTIONS] ARGS...\n\nCommands:\n", cli_prog);
    for (size_t i = 0; i < N_COMMANDS; i++)
        fprintf(f, "  %-10s %s\n", commands[i]->name, commands[i]->summary);
    fprintf(f, "  %-10s %s\n", "help", "help [COMMAND]: a command's options, defaults, example");
    fputs("\n'inception COMMAND --help' lists its options; 'inception --version' shows the\n"
          "library, backend, ISA level and threads. The model is --model, else\n"
          "$INCEPTION_MODEL, else $XDG_CACHE_HOME/inception/inception_v3.safetensors\n"
          "(~/.cache if unset). Options take values as '--opt value' or '--opt=value'.\n", f);
}

static const cli_command *find(const char *name) {
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (!strcmp(commands[i]->name, name)) return commands[i];
    return NULL;
}

/* The library version always; the backend, ISA and threads when a model can be found
 * (they are chosen per model at load, so the answer comes from loading it). */
static int version(void) {
    printf("inception %s (libinception %s, model format %u)\n", INCEPTION_VERSION_STRING,
           inception_version_string(), (unsigned)inception_model_format_version());
    printf("backends:");
    for (int32_t i = 0; i < inception_backend_count(); i++) {
        const char *b = inception_backend_name(i);
        printf(" %s%s", b, inception_backend_available(b) ? "" : " (not on this CPU)");
    }
    printf("\nthreads: %d (one per online core unless --threads)\n", cli_thread_count(0));
    char cache[4096];
    const char *path = cli_resolve_model(NULL, cache, sizeof cache, 1);
    inception_model *m = NULL;
    if (path && inception_model_load_file(path, NULL, &m) == INCEPTION_OK) {
        const char *b = "?";
        inception_model_info_string(m, INCEPTION_INFO_BACKEND, &b);
        const char *isa = cli_isa(m);
        printf("backend: %s, isa: %s (for %s)\n", b, isa ? isa : "(not reported)", path);
        inception_model_free(m);
    } else {
        printf("backend: auto (the ISA level is chosen at model load: see 'inception info "
               "--model M')\n");
    }
    return ferror(stdout) ? EXIT_OUTPUT : EXIT_OK;
}

static int help(int argc, char **argv) {
    if (argc < 3) {
        usage(stdout);
        return EXIT_OK;
    }
    if (!strcmp(argv[2], "--man")) {
        cli_print_man(stdout, commands, N_COMMANDS, inception_version_string());
        return ferror(stdout) ? EXIT_OUTPUT : EXIT_OK;
    }
    const cli_command *c = find(argv[2]);
    if (!c) {
        fprintf(stderr, "%s: unknown command '%s'\n", cli_prog, argv[2]);
        usage(stderr);
        return EXIT_USAGE;
    }
    cli_print_help(stdout, c);
    return ferror(stdout) ? EXIT_OUTPUT : EXIT_OK;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
        usage(stdout);
        return EXIT_OK;
    }
    if (!strcmp(cmd, "help")) return help(argc, argv);
    if (!strcmp(cmd, "--version") || !strcmp(cmd, "-V")) return version();
    const cli_command *c = find(cmd);
    if (!c) {
        fprintf(stderr, "%s: unknown command '%s'\n", cli_prog, cmd);
        usage(stderr);
        return EXIT_USAGE;
    }
    cli_args a;
    int want_help = 0;
    int rc = cli_parse_args(c->name, argc, argv, 2, &a, &want_help);
    if (rc == EXIT_OK && want_help) {
        cli_print_help(stdout, c);
        rc = ferror(stdout) ? EXIT_OUTPUT : EXIT_OK;
    } else if (rc == EXIT_OK) {
        rc = c->run(&a);
    }
    cli_args_free(&a);
    return rc;
}
