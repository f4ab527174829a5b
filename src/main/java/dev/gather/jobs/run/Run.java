package dev.gather.jobs.run;

import dev.gather.jobs.handler.CancelSignal;

/** A run in flight on one runner, a durable job's or a compute call's: the signal that stops it and its deadline. */
class Run {
  /** Weight of the newest run in the moving averages of run times. */
  private static final double RUN_TIME_WEIGHT = 0.05;

  final String kind;
  final CancelSignal signal = new CancelSignal();
  final long started = System.nanoTime();
  final long deadline;
  /** The timer of its timeout (then of its abandonment); cancelled when the runner answers. */
  long timer = -1;
  /** Its outcome was written without it (it would not stop); whatever it returns later is ignored. */
  boolean abandoned;

  Run(String kind, long timeoutNanos) {
    this.kind = kind;
    this.deadline = started + timeoutNanos;
  }

  /** The moving average {@code average} (0: none yet) with one more run of {@code nanos}. */
  static double averaged(double average, long nanos) {
    return average <= 0 ? nanos : average + RUN_TIME_WEIGHT * (nanos - average);
  }

  /** For {@link RunnerWait}: such runs took {@code averageNanos} lately (0: unknown). */
  RunnerWait.InFlight inFlight(double averageNanos) {
    return new RunnerWait.InFlight(started, deadline, averageNanos);
  }
}
