package dev.gather.db;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;

/**
 * How other verticles ask the database verticle for something. Every request has a timeout a little longer
 * than the database's own statement timeout, so a lost reply can never hang an HTTP request.
 */
public final class DbClient {
  private static final long REPLY_SLACK_MS = 1000;

  private final EventBus bus;
  private final DeliveryOptions options;

  public DbClient(Vertx vertx, long queryTimeoutMs) {
    this.bus = vertx.eventBus();
    this.options = new DeliveryOptions().setSendTimeout(queryTimeoutMs + REPLY_SLACK_MS);
  }

  public <T> Future<T> request(String address, Object body) {
    return bus.<T>request(address, body, options).map(Message::body);
  }

  /** A request that must be answered within {@code timeoutMs}, for callers with a deadline of their own. */
  public <T> Future<T> request(String address, Object body, long timeoutMs) {
    return bus.<T>request(address, body, new DeliveryOptions().setSendTimeout(Math.max(1, timeoutMs))).map(Message::body);
  }
}
