package dev.gather.jobs.queue;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.pubsub.PgSubscriber;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * LISTENs on one dedicated connection and republishes on the local event bus: new due jobs (to wake idle
 * fetchers), cancel requests (to stop a running job wherever it runs) and changes of watched jobs (for their
 * watchers in the HTTP verticles). The connection is re-made for as long
 * as gather runs; after every (re)subscription a wake is published, since notifications sent while the
 * connection was down are lost and the fetchers must look for themselves.
 */
public final class JobNotifications {
  private static final Logger LOG = LoggerFactory.getLogger(JobNotifications.class);
  private static final long RECONNECT_MS = 1000;

  private final Vertx vertx;
  private final PgSubscriber subscriber;
  private long retryTimer = -1;
  private boolean closed;

  public JobNotifications(Vertx vertx, PgConnectOptions target) {
    this.vertx = vertx;
    this.subscriber = PgSubscriber.subscriber(vertx, new PgConnectOptions(target).setReconnectAttempts(0))
        .reconnectPolicy(retries -> RECONNECT_MS);
    subscriber.channel(JobStore.WAKE_CHANNEL)
        .subscribeHandler(subscribed -> vertx.eventBus().publish(JobRequests.WAKE, ""))
        .handler(kind -> vertx.eventBus().publish(JobRequests.WAKE, kind));
    subscriber.channel(JobStore.CANCEL_CHANNEL)
        .handler(id -> vertx.eventBus().publish(JobRequests.CANCEL_RUNNING, Long.parseLong(id)));
    // Changes of watched jobs, for the HTTP verticles' watchers (GET /jobs/{id}/events, Prefer: wait).
    subscriber.channel(JobStore.EVENTS_CHANNEL)
        .handler(id -> vertx.eventBus().publish(JobRequests.CHANGED, Long.parseLong(id)));
  }

  /** Starts listening; a database that is down now is retried in the background, like migrations. */
  public void start() {
    subscriber.connect().onFailure(e -> {
      if (!closed) {
        LOG.warn("job notifications not listening yet ({}); retrying in {} ms", e.getMessage(), RECONNECT_MS);
        retryTimer = vertx.setTimer(RECONNECT_MS, t -> start());
      }
    });
  }

  public Future<Void> close() {
    closed = true;
    vertx.cancelTimer(retryTimer);
    return subscriber.close();
  }
}
