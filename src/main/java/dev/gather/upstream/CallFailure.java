package dev.gather.upstream;

/**
 * A call or source that failed for a reason clients see as {@code kind} in the answer's {@code errors}, with the
 * upstream's status when it answered at all.
 */
public final class CallFailure extends RuntimeException {
  public static final String TIMEOUT = "timeout";
  public static final String CONNECT = "connect";
  public static final String STATUS = "status";
  public static final String BAD_JSON = "bad_json";
  public static final String TOO_LARGE = "too_large";
  public static final String SHED = "shed";
  public static final String IO = "io";
  public static final String CIRCUIT_OPEN = "circuit_open";
  public static final String CANCELLED = "cancelled";

  private final String kind;
  private final Integer status;
  private final CallStats stats;

  public CallFailure(String kind, Integer status, String detail) {
    this(kind, status, detail, CallStats.ONE_TRY);
  }

  private CallFailure(String kind, Integer status, String detail, CallStats stats) {
    super(detail, null, false, false);
    this.kind = kind;
    this.status = status;
    this.stats = stats;
  }

  /** The same failure, told with how the call got there. */
  CallFailure with(CallStats stats) {
    return new CallFailure(kind, status, getMessage(), stats);
  }

  /** The same failure with more said about it. */
  CallFailure explained(String more) {
    return new CallFailure(kind, status, getMessage() + more, stats);
  }

  public CallStats stats() {
    return stats;
  }

  public String kind() {
    return kind;
  }

  /** The status the upstream answered with, or null when it did not answer. */
  public Integer status() {
    return status;
  }
}
