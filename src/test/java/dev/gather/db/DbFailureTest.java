package dev.gather.db;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.gather.failure.Failure;
import dev.gather.failure.FailureKind;
import io.vertx.core.VertxException;
import io.vertx.pgclient.PgException;
import java.net.ConnectException;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class DbFailureTest {
  private static PgException pg(String sqlState) {
    return new PgException("syntax error at or near \"SELEC\" in SELEC secret FROM users", "ERROR", sqlState, null);
  }

  @ParameterizedTest(name = "SQLSTATE {0} is {1}")
  @CsvSource({
      "23505, CONFLICT",
      "57014, TIMEOUT",
      "08006, UNAVAILABLE",
      "08001, UNAVAILABLE",
      "57P01, UNAVAILABLE",
      "42601, QUERY_FAILED",
      "22P02, QUERY_FAILED",
  })
  void aPostgresErrorIsClassifiedByItsSqlState(String sqlState, FailureKind kind) {
    assertEquals(kind, DbFailure.classify(pg(sqlState)).kind());
  }

  @Test
  void theDetailNeverQuotesTheServersMessage() {
    Failure failure = DbFailure.classify(pg("42601"));
    assertEquals("the database rejected the query (SQLSTATE 42601)", failure.detail());
    assertFalse(failure.detail().contains("SELEC"));
  }

  @Test
  void aConnectionThatFailsOutsidePostgresIsUnavailable() {
    assertEquals(FailureKind.UNAVAILABLE, DbFailure.classify(new ConnectException("Connection refused")).kind());
    assertEquals(FailureKind.UNAVAILABLE, DbFailure.classify(new VertxException("Connection is not active now")).kind());
  }

  @Test
  void noAnswerInTimeIsATimeout() {
    assertEquals(FailureKind.TIMEOUT, DbFailure.classify(new TimeoutException("no answer")).kind());
  }

  @Test
  void aStoresOwnVerdictStaysAsItIs() {
    Failure notFound = new Failure(FailureKind.NOT_FOUND, "no user with id 7");
    assertSame(notFound, DbFailure.classify(notFound));
  }
}
