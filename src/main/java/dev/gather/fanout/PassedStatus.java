package dev.gather.fanout;

import dev.gather.config.SourceConfig;
import dev.gather.failure.Failure;
import dev.gather.failure.FailureKind;
import dev.gather.http.ApiError;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Optional;

/**
 * When the aggregate is a resource, some answers of its required sources are the answer: the upstream said the
 * thing is not there (or not theirs to see), so gather says the same rather than "bad gateway". A required
 * source passes on an upstream status listed in its {@code passStatus}, and a required {@code one: true} SQL
 * source with no row is a 404. The first such source in the aggregate's order decides.
 */
final class PassedStatus {
  static final String TYPE = "upstream-status";

  private PassedStatus() {}

  static Optional<ApiError> of(List<SourceConfig> sources, List<SourceResult> results) {
    for (int i = 0; i < sources.size(); i++) {
      SourceConfig source = sources.get(i);
      Failure failure = results.get(i).failure();
      if (!source.required() || failure == null) {
        continue;
      }
      Integer status = failure.upstreamStatus();
      if (failure.kind() == FailureKind.STATUS && status != null && source.passStatus().contains(status)) {
        return Optional.of(problem(status, source, failure));
      }
      if (source.one() && failure.kind() == FailureKind.NOT_FOUND) {
        return Optional.of(problem(404, source, failure));
      }
    }
    return Optional.empty();
  }

  private static ApiError problem(int status, SourceConfig source, Failure failure) {
    return new ApiError(status, TYPE, "source " + source.name() + ": " + failure.detail(),
        new JsonObject().put("source", source.name()));
  }
}
