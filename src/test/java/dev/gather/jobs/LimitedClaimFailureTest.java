package dev.gather.jobs;

import static dev.gather.jobs.JobsTest.awaitJob;
import static dev.gather.jobs.JobsTest.job;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.gather.RunningGather;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.PgConnection;
import io.vertx.sqlclient.Transaction;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A pool that runs limited and plain kinds claims the limited ones first; when that claim fails (here its
 * cross-process lock is held by someone else until the claim times out), the plain kinds still get their claim
 * rather than waiting for the next poll, which here would be a minute away and would fail the same way.
 */
class LimitedClaimFailureTest {
  @Test
  void aFailedClaimOfTheLimitedKindsLeavesThePlainKindsOfTheirPoolTheirClaim() throws Exception {
    // leaseMs bounds the limited claim's wait (lease + 1 s): short here, so the failure comes quickly.
    JsonObject config = new JsonObject().put("jobs", new JsonObject().put("pollMs", 60_000).put("leaseMs", 1000)
        .put("kinds", new JsonObject().put("test.limited", new JsonObject()
            .put("concurrency", new JsonObject().put("limit", 2)))));
    Vertx vertx = Vertx.vertx();
    try (RunningGather app = RunningGather.start(config)) {
      PgConnection holder = PgConnection.connect(vertx, PgConnectOptions.fromUri(app.databaseUrl))
          .await(10, TimeUnit.SECONDS);
      Transaction held = holder.begin().await(10, TimeUnit.SECONDS);
      // The lock claim_limited_lock.sql takes for test.limited (test.limited and sleep both run on the blocking pool).
      holder.query("SELECT pg_advisory_xact_lock(hashtextextended('gather_job_kind:test.limited', 0))").execute()
          .await(10, TimeUnit.SECONDS);
      try {
        String location = app.client.post("/jobs").sendJsonObject(job("sleep", new JsonObject().put("ms", 0)))
            .await(10, TimeUnit.SECONDS).getHeader("Location");
        JsonObject done = awaitJob(app, location, j -> "succeeded".equals(j.getString("status")));
        assertEquals(1, done.getInteger("attempts"), done.encode());
      } finally {
        held.rollback().await(10, TimeUnit.SECONDS);
        holder.close().await(10, TimeUnit.SECONDS);
      }
    } finally {
      vertx.close().await(10, TimeUnit.SECONDS);
    }
  }
}
