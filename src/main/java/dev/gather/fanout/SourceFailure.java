package dev.gather.fanout;

/** A source that failed for a reason the envelope reports as {@code kind}. */
final class SourceFailure extends RuntimeException {
  final String kind;
  final Integer status;

  SourceFailure(String kind, Integer status, String detail) {
    super(detail, null, false, false);
    this.kind = kind;
    this.status = status;
  }
}
