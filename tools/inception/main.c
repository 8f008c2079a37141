/*
 * inception: command-line front end of libinception. This file dispatches; each
 * subcommand is its own file (classify.c, features.c, info.c, bench.c), helpers are cli.c.
 *   inception classify [--model M] [--top K] [--json] [--threads N] [--backend B] IMAGE...
 *   inception features [--model M] [--format npy|csv] [-o OUT] [--threads N] IMAGE...
 *   inception info MODEL
 *   inception bench [--model M] [--size HxW] [--batch N] [--threads T] [--backend B]
 *                   [--runs R] [--profile]
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
#define CLI_COMMANDS(X) X(classify) X(features) X(info) X(bench)

#define CLI_DECLARE(name) extern const cli_command cli_cmd_##name;
CLI_COMMANDS(CLI_DECLARE)
#define CLI_ROW(name) &cli_cmd_##name,
static const cli_command *const commands[] = {CLI_COMMANDS(CLI_ROW)};
#define N_COMMANDS (sizeof commands / sizeof commands[0])

static void usage(FILE *f) {
    for (size_t i = 0; i < N_COMMANDS; i++) {
        fputs(i ? "       inception " : "usage: inception ", f);
        fputs(commands[i]->usage, f);
    }
    fputs(CLI_LOAD_OPTIONS_USAGE, f);
    fputs("       inception --version | --help\n"
          "The model is --model, else $INCEPTION_MODEL, else\n"
          "$XDG_CACHE_HOME/inception/inception_v3.safetensors (~/.cache if unset).\n", f);
}

static const cli_command *find(const char *name) {
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (!strcmp(commands[i]->name, name)) return commands[i];
    return NULL;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
        usage(stdout);
        return EXIT_OK;
    }
    if (!strcmp(cmd, "--version")) {
        printf("inception %s\n", inception_version_string());
        /* the level a model runs at is per model: `inception info MODEL` shows it */
        printf("backends:");
        for (int32_t i = 0; i < inception_backend_count(); i++)
            printf("%s %s%s", i ? "," : "", inception_backend_name(i),
                   inception_backend_available(inception_backend_name(i)) ? "" : " (not on this CPU)");
        printf("\n");
        return EXIT_OK;
    }
    for (int i = 2; i < argc; i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return EXIT_OK;
        }
    cli_args a;
    if (!cli_parse_args(argc, argv, 2, &a)) {
        free(a.files);
        usage(stderr);
        return EXIT_USAGE;
    }
    const cli_command *c = find(cmd);
    int rc;
    if (c) rc = c->run(&a);
    else {
        fprintf(stderr, "%s: unknown command '%s'\n", cli_prog, cmd);
        usage(stderr);
        rc = EXIT_USAGE;
    }
    free(a.files);
    return rc;
}
