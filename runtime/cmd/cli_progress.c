/* cli_progress.c - convert's progress on stderr.
 *
 * On a terminal one line is redrawn in place; in a batch log (stderr a
 * file or a pipe, e.g. under Slurm) a redrawn line would be one endless
 * line of carriage returns, so a plain line is printed every few seconds
 * instead.  Both give done / total, the rate so far and the time left.
 * Called by the writer with its lock held, so never concurrently. */
#include "cli_progress.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void cli_progress_init(cli_progress *p) {
  p->tty = isatty(STDERR_FILENO);
  /* CKCONV_PROGRESS_SECONDS: the batch-log interval (tests use 0) */
  const char *s = getenv("CKCONV_PROGRESS_SECONDS");
  p->interval = s && *s ? atof(s) : 5.0;
  if (p->interval < 0) p->interval = 0;
  p->start = now_seconds();
  p->last = p->start;
  p->printed_end = 0;
}

static void eta_text(double seconds, char *buf, size_t n) {
  long s = seconds < 0 ? 0 : (long)(seconds + 0.5);
  if (s >= 3600)
    snprintf(buf, n, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
  else
    snprintf(buf, n, "%ld:%02ld", s / 60, s % 60);
}

void cli_progress_report(void *arg, uint64_t done, uint64_t total) {
  cli_progress *p = arg;
  double t = now_seconds(), elapsed = t - p->start;
  int end = done >= total;
  if (end && p->printed_end) return;
  if (!p->tty && !end && t - p->last < p->interval) return;
  p->last = t;
  /* one unit for both figures, the one that suits the total */
  int big = total >= ((uint64_t)1 << 30);
  double unit = big ? 1073741824.0 : 1048576.0;
  double rate = elapsed > 0 ? (double)done / elapsed : 0; /* bytes/s */
  char eta[32] = "-";
  if (rate > 0 && !end) eta_text((double)(total - done) / rate, eta, sizeof eta);
  else if (end) eta_text(elapsed, eta, sizeof eta);
  fprintf(stderr, "%sckconv: %.2f / %.2f %s (%3.0f%%), %.0f MiB/s, %s %s%s",
          p->tty ? "\r" : "", done / unit, total / unit, big ? "GiB" : "MiB",
          total ? 100.0 * (double)done / (double)total : 100.0,
          rate / (1024.0 * 1024.0), end ? "took" : "ETA", eta,
          p->tty && !end ? "\033[K" : "\n");
  if (end) p->printed_end = 1;
  fflush(stderr);
}
