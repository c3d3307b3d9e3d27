/* cli_progress.h - convert's progress line (cli_progress.c). */
#ifndef CLI_PROGRESS_H
#define CLI_PROGRESS_H

#include <stdint.h>

typedef struct cli_progress {
  int tty;          /* stderr is a terminal: redraw one line */
  double interval;  /* seconds between batch-log lines */
  double start, last;
  int printed_end;
} cli_progress;

void cli_progress_init(cli_progress *p);
/* The writer's report callback; arg is a cli_progress. */
void cli_progress_report(void *arg, uint64_t done, uint64_t total);

#endif
