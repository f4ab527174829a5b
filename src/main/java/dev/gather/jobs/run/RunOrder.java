package dev.gather.jobs.run;

import dev.gather.jobs.handler.JobContext;
import dev.gather.jobs.handler.JobHandler;

/** What the job lanes send a runner: the handler and the context of one run. */
record RunOrder(JobHandler handler, JobContext context) {}
