/* The loss/accuracy chart of `inception train --plot` (plot.c). */
#ifndef INCEPTION_CLI_PLOT_H
#define INCEPTION_CLI_PLOT_H

/* n points per curve (a negative value is a missing point); 1 on success. */
int plot_write_png(const char *path, const double *train_loss, const double *val_loss,
                   const double *val_top1, int n);

#endif
