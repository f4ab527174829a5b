package dev.gather.failure;

/**
 * Why something gather tried did not work, in the one vocabulary every layer uses: upstream calls, SQL sources,
 * the users and jobs stores, the proxy and the aggregate envelope. {@link #wireName} is what clients see in an
 * aggregate's {@code errors.<source>.kind}; {@link #httpStatus} is read only at the edge ({@code Problems},
 * {@code Envelope}), so nothing below the edge speaks HTTP statuses about its own failures.
 */
public enum FailureKind {
  /** No answer within the time the call had (its own timeout, or what was left of the request's deadline). */
  TIMEOUT("timeout", 504, Retry.ALWAYS, Breaker.FAILURE),
  /** The connection could not be made (refused, unreachable, not within connectTimeoutMs). */
  CONNECT("connect", 502, Retry.ALWAYS, Breaker.FAILURE),
  /** The connection broke during the exchange. */
  IO("io", 502, Retry.ALWAYS, Breaker.FAILURE),
  /**
   * TLS: the server's certificate is not signed by a CA gather trusts (tls.caFile, else the JVM's). Not retried:
   * the next try meets the same certificate; counted against the upstream like a connection it cannot make.
   */
  TLS_UNKNOWN_CA("tls_unknown_ca", 502, Retry.NEVER, Breaker.FAILURE),
  /** TLS: the server's certificate does not name the host gather called (or tls.serverName). */
  TLS_WRONG_HOST("tls_wrong_host", 502, Retry.NEVER, Breaker.FAILURE),
  /** TLS: the server wants a client certificate and refused the one sent, or none was configured (mTLS). */
  TLS_CLIENT_CERTIFICATE("tls_client_certificate", 502, Retry.NEVER, Breaker.FAILURE),
  /**
   * TLS: the server's certificate (or one in its chain) has expired or is not valid yet. Told apart from an
   * unknown CA because the fix differs: renew the certificate (or correct a clock), not trust another CA.
   */
  TLS_EXPIRED("tls_expired", 502, Retry.NEVER, Breaker.FAILURE),
  /** TLS: the handshake failed otherwise (no common protocol or cipher, ...). */
  TLS("tls", 502, Retry.NEVER, Breaker.FAILURE),
  /** The upstream answered with a status that is not a success; retried and counted as its config says. */
  STATUS("status", 502, Retry.BY_STATUS, Breaker.BY_STATUS),
  /** The upstream answered a body that is not JSON. */
  BAD_JSON("bad_json", 502, Retry.NEVER, Breaker.SUCCESS),
  /** The upstream's body was larger than its maxBodyBytes. */
  TOO_LARGE("too_large", 502, Retry.NEVER, Breaker.SUCCESS),
  /** Refused before it was made: a limit on calls in flight and waiting was reached. */
  SHED("shed", 503, Retry.NEVER, Breaker.ABANDONED),
  /** Refused before it was made: the upstream's circuit breaker is open. */
  CIRCUIT_OPEN("circuit_open", 503, Retry.NEVER, Breaker.ABANDONED),
  /** The client went away, so the work was stopped. */
  CANCELLED("cancelled", 502, Retry.NEVER, Breaker.ABANDONED),
  /** A source that needs another one's output could not run, because that one failed. */
  DEPENDENCY("dependency_failed", 502, Retry.NEVER, Breaker.SUCCESS),
  /** The request lacks a parameter a source or template needs. */
  MISSING_PARAMETER("missing_parameter", 400, Retry.NEVER, Breaker.SUCCESS),
  /** A value the client sent does not fit (a SQL parameter's type, a malformed field). */
  BAD_PARAMETER("bad_parameter", 400, Retry.NEVER, Breaker.SUCCESS),
  /** What was asked for does not exist. */
  NOT_FOUND("not_found", 404, Retry.NEVER, Breaker.SUCCESS),
  /** The request conflicts with what is stored (a unique value taken, a state that forbids the change). */
  CONFLICT("conflict", 409, Retry.NEVER, Breaker.SUCCESS),
  /** The database (or another dependency gather cannot do without) is unreachable right now. */
  UNAVAILABLE("unavailable", 503, Retry.ALWAYS, Breaker.FAILURE),
  /** The database refused the query for a reason that is not the client's input. */
  QUERY_FAILED("query_failed", 502, Retry.NEVER, Breaker.SUCCESS),
  /** A source's select (or an aggregate's shape) failed on the data it got, e.g. a function given the wrong type. */
  SHAPE_FAILED("shape_failed", 502, Retry.NEVER, Breaker.SUCCESS);

  /** Whether a failed try of an idempotent call is worth another. */
  public enum Retry { ALWAYS, NEVER, BY_STATUS }

  /** How a try that failed this way counts for its upstream's circuit breaker. */
  public enum Breaker {
    /** The upstream is in trouble. */
    FAILURE,
    /** The upstream did its part (the failure is the caller's or the content's). */
    SUCCESS,
    /** Nothing was learnt about the upstream (the try never went, or was stopped by us). */
    ABANDONED,
    /** A 5xx counts as a failure, anything else as a success. */
    BY_STATUS
  }

  private final String wireName;
  private final int httpStatus;
  private final Retry retry;
  private final Breaker breaker;

  FailureKind(String wireName, int httpStatus, Retry retry, Breaker breaker) {
    this.wireName = wireName;
    this.httpStatus = httpStatus;
    this.retry = retry;
    this.breaker = breaker;
  }

  /** The name clients see, e.g. in {@code errors.<source>.kind} and in metric labels ({@code outcome}). */
  public String wireName() {
    return wireName;
  }

  /** The status an answer gets when a failure of this kind decides it; for the edge only. */
  public int httpStatus() {
    return httpStatus;
  }

  /** Whether a try that failed this way may be tried again; {@code retryOnStatuses} for {@link Retry#BY_STATUS}. */
  public boolean retried(Integer upstreamStatus, java.util.Collection<Integer> retryOnStatuses) {
    return switch (retry) {
      case ALWAYS -> true;
      case NEVER -> false;
      case BY_STATUS -> upstreamStatus != null && retryOnStatuses.contains(upstreamStatus);
    };
  }

  /** How a try that failed this way counts for the circuit breaker, {@link Breaker#BY_STATUS} resolved. */
  public Breaker breakerVerdict(Integer upstreamStatus) {
    if (breaker != Breaker.BY_STATUS) {
      return breaker;
    }
    return upstreamStatus != null && upstreamStatus >= 500 ? Breaker.FAILURE : Breaker.SUCCESS;
  }
}
