/* inception train: a new classifier head on a folder of images (docs/training.md).
 * stdout: one JSON object per epoch, then a summary object; stderr: a progress bar on a
 * terminal, skipped images, and a human summary with the confusion matrix. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <inception/inception.h>

#include "cli.h"
#include "plot.h"

static int set_number(inception_options *o, inception_option key, const char *flag, const char *v) {
    if (!v) return 1;
    char *end;
    errno = 0;
    double d = strtod(v, &end);
    if (errno || end == v || *end) {
        fprintf(stderr, "%s train: %s: '%s' is not a number\n", cli_prog, flag, v);
        return 0;
    }
    if (inception_options_set_double(o, key, d) != INCEPTION_OK) {
        fprintf(stderr, "%s train: %s: %s\n", cli_prog, flag, inception_last_error());
        return 0;
    }
    return 1;
}

static int set_string(inception_options *o, inception_option key, const char *flag, const char *v) {
    if (!v) return 1;
    if (inception_options_set_string(o, key, v) != INCEPTION_OK) {
        fprintf(stderr, "%s train: %s: %s\n", cli_prog, flag, inception_last_error());
        return 0;
    }
    return 1;
}

static int set_int(inception_options *o, inception_option key, const char *flag, int64_t v) {
    if (inception_options_set_int(o, key, v) != INCEPTION_OK) {
        fprintf(stderr, "%s train: %s: %s\n", cli_prog, flag, inception_last_error());
        return 0;
    }
    return 1;
}

static double info(const inception_trainer *t, inception_trainer_info k) {
    double v = 0;
    inception_trainer_info_double(t, k, &v);
    return v;
}

static char *with_suffix(const char *path, const char *suffix) {
    size_t n = strlen(path) + strlen(suffix) + 1;
    char *p = malloc(n);
    if (p) snprintf(p, n, "%s%s", path, suffix);
    return p;
}

static void progress(int epoch, int epochs, int done, int total, double loss, double val,
                     double rate, double eta) {
    int width = 24, fill = total ? done * width / total : width;
    fprintf(stderr, "\r\033[Kepoch %d/%d [%.*s%*s] %d/%d loss %.4f", epoch, epochs, fill,
            "========================", width - fill, "", done, total, loss);
    if (val >= 0) fprintf(stderr, " val %.3f", val);
    fprintf(stderr, " %.1f img/s ETA %d:%02d", rate, (int)eta / 60, (int)eta % 60);
    fflush(stderr);
}

static void print_confusion(const inception_trainer *t, int k, const int64_t *conf) {
    int w = 5;
    for (int i = 0; i < k; i++) {
        const char *l = "";
        inception_trainer_label(t, i, &l);
        int n = (int)strlen(l);
        if (n > w) w = n > 24 ? 24 : n;
    }
    fprintf(stderr, "confusion matrix (rows: true class, columns: predicted)\n%*s", w + 1, "");
    for (int j = 0; j < k; j++) fprintf(stderr, " %5d", j);
    fputc('\n', stderr);
    for (int i = 0; i < k; i++) {
        const char *l = "";
        inception_trainer_label(t, i, &l);
        fprintf(stderr, "%-*.*s %d", w, w, l, i % 10);
        for (int j = 0; j < k; j++) fprintf(stderr, " %5lld", (long long)conf[(size_t)i * k + j]);
        fputc('\n', stderr);
    }
}

static int run(const cli_args *a) {
    if (a->n_files != 1) {
        fprintf(stderr, "%s train: give exactly one DATA_DIR (a folder per class, or a list file)\n", cli_prog);
        return EXIT_USAGE;
    }
    if (!a->out || !strcmp(a->out, "-")) {
        fprintf(stderr, "%s train: -o OUT.safetensors is required\n", cli_prog);
        return EXIT_USAGE;
    }
    if (a->size_h && a->size_h != a->size_w) {
        fprintf(stderr, "%s train: --size must be square (SxS)\n", cli_prog);
        return EXIT_USAGE;
    }
    char cache_buf[4096];
    const char *model_path;
    inception_model *model = NULL;
    inception_session *session = NULL;
    int rc = cli_open_session(a, INCEPTION_OUTPUT_FEATURES, 0, cache_buf, sizeof cache_buf, &model_path,
                              &model, &session, NULL);
    if (rc != EXIT_OK) return rc;
    inception_session_free(session); /* the trainer makes its own */
    if (cli_is_synthetic(model) && !a->quiet)
        fprintf(stderr, "%s: note: %s has generated (untrained) trunk weights\n", cli_prog, model_path);

    char *cache = a->cache ? NULL : with_suffix(a->out, ".cache");
    char *ckpt = a->resume ? NULL : with_suffix(a->out, ".ckpt");
    const char *ckpt_path = a->resume ? a->resume : ckpt;
    inception_options *o = NULL;
    inception_trainer *t = NULL;
    double *curve = NULL;
    rc = EXIT_USAGE;
    if (inception_options_create(&o) != INCEPTION_OK || (!a->cache && !cache) || (!a->resume && !ckpt)) {
        fprintf(stderr, "%s train: out of memory\n", cli_prog);
        goto done;
    }
    int64_t seed = 0;
    if (a->seed) {
        char *end;
        seed = strtoll(a->seed, &end, 10);
        if (*end || end == a->seed || seed < 0) {
            fprintf(stderr, "%s train: --seed: '%s' is not a non-negative integer\n", cli_prog, a->seed);
            goto done;
        }
    }
    if (!set_string(o, INCEPTION_OPT_TRAIN_DATA, "DATA_DIR", a->files[0]) ||
        !set_int(o, INCEPTION_OPT_THREADS, "--threads", a->threads) ||
        !set_int(o, INCEPTION_OPT_TRAIN_BATCH, "--batch", a->batch) ||
        !set_int(o, INCEPTION_OPT_TRAIN_SEED, "--seed", seed) ||
        (a->size_h && !set_int(o, INCEPTION_OPT_TRAIN_INPUT_SIZE, "--size", a->size_h)) ||
        !set_number(o, INCEPTION_OPT_TRAIN_LR, "--lr", a->lr) ||
        !set_number(o, INCEPTION_OPT_TRAIN_LABEL_SMOOTHING, "--smoothing", a->smoothing) ||
        !set_number(o, INCEPTION_OPT_TRAIN_CLIP_NORM, "--clip", a->clip) ||
        !set_number(o, INCEPTION_OPT_TRAIN_EPSILON, "--epsilon", a->epsilon) ||
        !set_string(o, INCEPTION_OPT_TRAIN_EPSILON_PLACEMENT, "--epsilon-placement", a->eps_placement) ||
        !set_number(o, INCEPTION_OPT_TRAIN_EMA_DECAY, "--ema", a->ema) ||
        !set_number(o, INCEPTION_OPT_TRAIN_VAL_FRACTION, "--val", a->val) ||
        !set_string(o, INCEPTION_OPT_TRAIN_AUGMENT, "--augment", a->augment) ||
        !set_string(o, INCEPTION_OPT_TRAIN_OPTIMIZER, "--optimizer", a->optimizer) ||
        !set_string(o, INCEPTION_OPT_TRAIN_SCOPE, "--scope", a->scope) ||
        !set_string(o, INCEPTION_OPT_TRAIN_HEAD_INIT, "--head-init", a->head_init) ||
        !set_number(o, INCEPTION_OPT_TRAIN_DROPOUT, "--dropout", a->dropout) ||
        !set_number(o, INCEPTION_OPT_TRAIN_AUX_WEIGHT, "--aux-weight", a->aux_weight) ||
        !set_string(o, INCEPTION_OPT_TRAIN_CACHE_DIR, "--cache", a->cache ? a->cache : cache) ||
        (a->backend && !set_string(o, INCEPTION_OPT_BACKEND, "--backend", a->backend)))
        goto done;
    rc = EXIT_SOME_FAILED;
    if (inception_trainer_create(model, o, &t) != INCEPTION_OK) {
        fprintf(stderr, "%s train: %s\n", cli_prog, inception_last_error());
        goto done;
    }
    struct stat sb;
    if (a->resume && stat(a->resume, &sb) == 0) {
        if (inception_trainer_resume(t, a->resume) != INCEPTION_OK) {
            fprintf(stderr, "%s train: --resume: %s\n", cli_prog, inception_trainer_last_error(t));
            goto done;
        }
        if (!a->quiet)
            fprintf(stderr, "%s: resumed from %s at step %.0f\n", cli_prog, a->resume, info(t, INCEPTION_TRAINER_STEP));
    }
    int epochs = a->epochs ? a->epochs : 5, k = (int)info(t, INCEPTION_TRAINER_CLASSES);
    double n_train = info(t, INCEPTION_TRAINER_TRAIN_SIZE), n_val = info(t, INCEPTION_TRAINER_VAL_SIZE);
    int steps = (int)info(t, INCEPTION_TRAINER_STEPS_PER_EPOCH), batch = a->batch;
    if (!a->quiet)
        fprintf(stderr, "%s: %d classes, %.0f training and %.0f validation images, %d steps per epoch\n",
                cli_prog, k, n_train, n_val, steps);
    curve = calloc((size_t)epochs * 3, sizeof *curve);
    if (!curve) goto done;
    for (int i = 0; i < epochs * 3; i++) curve[i] = -1;
    int bar = isatty(2) && !a->quiet;
    double last_val = -1;
    int first = (int)(info(t, INCEPTION_TRAINER_EXAMPLES) / n_train);
    for (int e = first; e < epochs; e++) {
        int done_steps = (int)lround((info(t, INCEPTION_TRAINER_EXAMPLES) - e * n_train) / batch);
        double t0 = cli_now(), loss_sum = 0;
        int counted = 0;
        for (int s = done_steps; s < steps; s++) {
            float loss;
            if (inception_trainer_step(t, &loss) != INCEPTION_OK) {
                if (bar) fputc('\n', stderr);
                fprintf(stderr, "%s train: %s\n", cli_prog, inception_trainer_last_error(t));
                fprintf(stderr, "%s: the last checkpoint is %s\n", cli_prog, ckpt_path);
                goto done;
            }
            loss_sum += loss;
            counted++;
            if (bar) {
                double dt = cli_now() - t0, rate = dt > 0 ? counted * batch / dt : 0;
                double left = (double)(steps - s - 1) + (double)(epochs - e - 1) * steps;
                progress(e + 1, epochs, s + 1, steps, loss_sum / counted, last_val, rate,
                         rate > 0 ? left * batch / rate : 0);
            }
        }
        if (bar) fputs("\r\033[K", stderr);
        double train_s = cli_now() - t0, val_loss = -1, top1 = -1, top5 = -1;
        if (n_val > 0) {
            if (inception_trainer_evaluate_validation(t) != INCEPTION_OK) {
                fprintf(stderr, "%s train: validation: %s\n", cli_prog, inception_trainer_last_error(t));
                goto done;
            }
            val_loss = info(t, INCEPTION_TRAINER_EVAL_LOSS);
            top1 = last_val = info(t, INCEPTION_TRAINER_EVAL_TOP1);
            top5 = info(t, INCEPTION_TRAINER_EVAL_TOP5);
        }
        double train_loss = counted ? loss_sum / counted : info(t, INCEPTION_TRAINER_LAST_LOSS);
        printf("{\"epoch\": %d, \"step\": %.0f, \"train_loss\": %.6f, ", e + 1, info(t, INCEPTION_TRAINER_STEP), train_loss);
        if (n_val > 0) printf("\"val_loss\": %.6f, \"val_top1\": %.6f, \"val_top5\": %.6f, ", val_loss, top1, top5);
        else printf("\"val_loss\": null, \"val_top1\": null, \"val_top5\": null, ");
        printf("\"lr\": %.6g, \"seconds\": %.3f, \"cache_hits\": %.0f, \"cache_misses\": %.0f, ",
               info(t, INCEPTION_TRAINER_LR), cli_now() - t0, info(t, INCEPTION_TRAINER_CACHE_HITS),
               info(t, INCEPTION_TRAINER_CACHE_MISSES));
        /* the aux head: whether the last step included it, and its unweighted loss */
        if (info(t, INCEPTION_TRAINER_AUX_ACTIVE) != 0) printf("\"aux_loss\": %.6f}\n", info(t, INCEPTION_TRAINER_AUX_LOSS));
        else printf("\"aux_loss\": null}\n");
        fflush(stdout);
        (void)train_s;
        curve[e] = train_loss, curve[epochs + e] = val_loss, curve[2 * epochs + e] = top1;
        if (inception_trainer_checkpoint(t, ckpt_path) != INCEPTION_OK)
            fprintf(stderr, "%s train: checkpoint: %s\n", cli_prog, inception_trainer_last_error(t));
    }
    for (int i = 0; i < (int)info(t, INCEPTION_TRAINER_SKIPPED); i++) {
        const char *p, *why;
        if (inception_trainer_skipped(t, i, &p, &why) == INCEPTION_OK)
            fprintf(stderr, "%s: skipped %s: %s\n", cli_prog, p, why);
    }
    if (inception_trainer_save(t, a->out) != INCEPTION_OK) {
        fprintf(stderr, "%s train: %s\n", cli_prog, inception_trainer_last_error(t));
        rc = EXIT_OUTPUT;
        goto done;
    }
    int64_t *conf = calloc((size_t)k * k, sizeof *conf);
    if (conf && n_val > 0 && inception_trainer_confusion(t, conf, (size_t)k * k) == INCEPTION_OK) {
        if (!a->quiet) {
            fprintf(stderr, "%s: saved %s; validation top-1 %.4f (chance %.4f), top-5 %.4f, on %.0f images\n",
                    cli_prog, a->out, info(t, INCEPTION_TRAINER_EVAL_TOP1), 1.0 / k,
                    info(t, INCEPTION_TRAINER_EVAL_TOP5), info(t, INCEPTION_TRAINER_EVAL_COUNT));
            print_confusion(t, k, conf);
        }
        printf("{\"summary\": true, \"output\": ");
        cli_json_string(stdout, a->out);
        printf(", \"val_top1\": %.6f, \"val_top5\": %.6f, \"chance\": %.6f, \"skipped\": %.0f, \"labels\": [",
               info(t, INCEPTION_TRAINER_EVAL_TOP1), info(t, INCEPTION_TRAINER_EVAL_TOP5), 1.0 / k,
               info(t, INCEPTION_TRAINER_SKIPPED));
        for (int i = 0; i < k; i++) {
            const char *l = "";
            inception_trainer_label(t, i, &l);
            if (i) printf(", ");
            cli_json_string(stdout, l);
        }
        printf("], \"confusion\": [");
        for (int i = 0; i < k; i++) {
            printf(i ? ", [" : "[");
            for (int j = 0; j < k; j++) printf(j ? ", %lld" : "%lld", (long long)conf[(size_t)i * k + j]);
            printf("]");
        }
        printf("]}\n");
    } else if (!a->quiet) {
        fprintf(stderr, "%s: saved %s (no validation split)\n", cli_prog, a->out);
    }
    free(conf);
    rc = EXIT_OK;
    if (a->plot && !plot_write_png(a->plot, curve, curve + epochs, curve + 2 * epochs, epochs)) {
        fprintf(stderr, "%s train: cannot write the plot %s\n", cli_prog, a->plot);
        rc = EXIT_OUTPUT;
    }
done:
    free(curve);
    inception_trainer_free(t);
    inception_options_free(o);
    inception_model_free(model);
    free(cache);
    free(ckpt);
    return rc;
}

const cli_command cli_cmd_train = {
    "train",
    "Train a new classifier head on a folder of labelled images (docs/training.md).",
    "DATA_DIR",
    "DATA_DIR holds one folder per class (JPEG/PNG; the sorted folder names are the\n"
    "labels). The paper's recipe by default: RMSProp (decay 0.9, epsilon 1.0), lr 0.045\n"
    "decayed by 0.94 every 2 epochs, label smoothing 0.1, gradient clipping 2.0 and an\n"
    "exponential moving average of the weights (0.9999) used for evaluation and saving.\n"
    "Features are cached next to OUT (OUT.cache); a checkpoint is written every epoch\n"
    "(OUT.ckpt) and --resume continues from one. One JSON line per epoch on stdout.",
    "inception train photos/ --model inception_v3.safetensors -o mine.safetensors\n"
    "inception train photos/ --model M -o out.safetensors --epochs 10 --plot curve.png",
    run,
};
