package dev.gather.jobs.api;

import dev.gather.http.LiveStreams;
import dev.gather.http.RequestParams;
import dev.gather.jobs.events.JobEvent;
import dev.gather.jobs.events.JobWatchers;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import java.util.List;

/**
 * {@code GET /jobs/{id}/events}: the job's state, progress and result as server-sent events, in order, ending when
 * the job ends. A stream is a snapshot of the job now, then each change as its watchers see it (see
 * {@link JobWatchers}); a client that reconnects gets the job as it is then, so there is nothing to resume and
 * Last-Event-ID is not needed.
 */
public final class JobEventsApi {
  /** A comment line this often keeps proxies from closing a quiet stream and finds clients that went away. */
  static final long KEEP_ALIVE_MS = 15_000;

  private final Vertx vertx;
  private final JobWatchers watchers;
  private final long maxStreamMs;

  /** {@code maxStreamMs}: jobs.maxStreamMs, after which a stream still open is ended. */
  public JobEventsApi(Vertx vertx, JobWatchers watchers, long maxStreamMs) {
    this.vertx = vertx;
    this.watchers = watchers;
    this.maxStreamMs = maxStreamMs;
  }

  public void events(RoutingContext ctx) {
    long id = RequestParams.pathId(ctx);
    watchers.watch(id).onFailure(ctx::fail).onSuccess(watch -> {
      HttpServerResponse response = ctx.response();
      if (response.closed()) {
        watch.close();
        return;
      }
      LiveStreams.start(response, LiveStreams.SERVER_SENT_EVENTS);
      long keepAlive = vertx.setPeriodic(KEEP_ALIVE_MS, t -> response.write(": keep-alive\n\n"));
      long[] expiry = {-1};
      Runnable end = () -> {
        vertx.cancelTimer(keepAlive);
        vertx.cancelTimer(expiry[0]);
        watch.close();
      };
      // A job that never ends (queued for next year, stuck) would hold its watcher slot for as long as the client
      // stays: the stream ends after jobs.maxStreamMs, and a client that still wants it reconnects.
      expiry[0] = vertx.setTimer(maxStreamMs, t -> {
        end.run();
        if (!response.ended() && !response.closed()) {
          response.end();
        }
      });
      response.closeHandler(closed -> end.run());
      Stream stream = new Stream(response);
      watch.listen(events -> {
        stream.send(events);
        if (events.stream().anyMatch(e -> e.name().equals(JobEvent.RESULT))) {
          end.run();
          response.end();
        }
      }, () -> {
        // Deleted while watched (it had finished, and retention or a person removed it): there is no more to tell.
        end.run();
        response.end();
      });
    });
  }

  /** Writes events with ids counting from 1 within the stream, so a client can see it missed none. */
  private static final class Stream {
    private final HttpServerResponse response;
    private long next = 1;

    Stream(HttpServerResponse response) {
      this.response = response;
    }

    void send(List<JobEvent> events) {
      if (response.ended() || response.closed()) {
        return;
      }
      StringBuilder text = new StringBuilder();
      for (JobEvent event : events) {
        // A slow reader gets only what matters when its buffer is full: progress is superseded by the next one.
        if (event.name().equals(JobEvent.PROGRESS) && response.writeQueueFull()) {
          continue;
        }
        text.append("id: ").append(next++).append('\n')
            .append("event: ").append(event.name()).append('\n')
            .append("data: ").append(event.data().encode()).append("\n\n");
      }
      response.write(text.toString());
    }
  }
}
