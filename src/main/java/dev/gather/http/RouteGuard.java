package dev.gather.http;

import dev.gather.config.AggregateConfig;
import dev.gather.config.RouteGroup;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import java.util.Optional;

/**
 * Something that stands in front of routes by group: authentication, rate limits. The router asks each guard,
 * once per route when it is built, for the handlers that route runs before its own; a guard with nothing to do
 * for a route returns none, so an open route pays nothing for it.
 */
public interface RouteGuard {
  List<Handler<RoutingContext>> handlers(RouteGroup group, Optional<AggregateConfig> aggregate);
}
