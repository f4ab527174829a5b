package dev.gather.jobs.run;

import dev.gather.jobs.handler.JobContext;
import dev.gather.jobs.handler.JobHandler;

/**
 * What the job lanes send a runner: the handler and the context of one run, and the largest result it may return
 * (in UTF-8 bytes of its JSON): jobs.maxResultBytes for a durable job, whose result is stored; unbounded for a
 * compute call, whose result goes to the waiting client and is kept nowhere.
 */
record RunOrder(JobHandler handler, JobContext context, long maxResultBytes) {
  static final long UNBOUNDED = Long.MAX_VALUE;
}
