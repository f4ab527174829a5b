package dev.gather.jobs;

/** What the job lanes send a runner: the handler and the context of one run. */
record RunOrder(JobHandler handler, JobContext context) {}
