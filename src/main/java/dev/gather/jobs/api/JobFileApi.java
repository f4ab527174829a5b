package dev.gather.jobs.api;

import dev.gather.failure.Failure;
import dev.gather.failure.FailureKind;
import dev.gather.http.RequestParams;
import dev.gather.jobs.files.JobFiles;
import dev.gather.jobs.queue.Job;
import dev.gather.jobs.queue.JobStatus;
import dev.gather.jobs.queue.JobStore;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.util.regex.Pattern;

/**
 * {@code GET /jobs/{id}/file}: the file a succeeded job wrote (see {@link JobFiles}), streamed from disk with its
 * content type and length. The file is checked and opened on a worker thread (both touch the disk) and sent from
 * that open file, so it cannot change between the check and the send: a later run that replaces it under the same
 * name swaps the directory entry, not what is being sent.
 */
final class JobFileApi {
  /** Names that go into Content-Disposition as they are; others are left out of it rather than escaped. */
  private static final Pattern PLAIN_NAME = Pattern.compile("[A-Za-z0-9._-]{1,200}");

  private final JobStore store;
  private final JobFiles files;

  JobFileApi(JobStore store, JobFiles files) {
    this.store = store;
    this.files = files;
  }

  private record Opened(JobFiles.Found found, RandomAccessFile file) {}

  void get(RoutingContext ctx) {
    long id = RequestParams.pathId(ctx);
    store.get(id)
        .compose(job -> open(ctx.vertx(), job))
        .onSuccess(opened -> send(ctx, opened))
        .onFailure(ctx::fail);
  }

  private Future<Opened> open(Vertx vertx, Job job) {
    if (!JobStatus.SUCCEEDED.equals(job.status())) {
      return Future.failedFuture(new Failure(FailureKind.NOT_FOUND, "job " + job.id() + " is " + job.status()
          + "; a job's file is served once the job has succeeded"));
    }
    return vertx.executeBlocking(() -> {
      try {
        JobFiles.Found found = files.find(job.id(), job.result());
        return new Opened(found, new RandomAccessFile(found.path().toFile(), "r"));
      } catch (JobFiles.NotServable e) {
        throw new Failure(FailureKind.NOT_FOUND, e.getMessage());
      } catch (IOException e) {
        throw new Failure(FailureKind.NOT_FOUND, "job " + job.id() + "'s file cannot be opened: "
            + e.getClass().getSimpleName());
      }
    }, false);
  }

  private void send(RoutingContext ctx, Opened opened) {
    JobFiles.Found found = opened.found();
    ctx.response().putHeader("Content-Type", found.contentType());
    if (PLAIN_NAME.matcher(found.name()).matches()) {
      ctx.response().putHeader("Content-Disposition", "attachment; filename=\"" + found.name() + "\"");
    }
    // Content-Length comes from the open file; sendFile leaves closing it to its caller.
    ctx.response().sendFile(opened.file()).onComplete(done -> {
      close(opened.file());
      if (done.failed() && !ctx.response().headWritten()) {
        ctx.fail(done.cause());
      }
    });
  }

  private static void close(RandomAccessFile file) {
    try {
      file.close();
    } catch (IOException e) {
      // Read-only: nothing was written that closing could lose.
    }
  }
}
