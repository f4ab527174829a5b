package dev.gather.fanout;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.gather.failure.Failure;
import dev.gather.failure.FailureKind;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The aggregate's status policy, as a table: the required sources' failures (kind, and ":ms" when the failure
 * knows when a retry is worth it) give the answer's status and its {@code Retry-After} in ms ("-" for none).
 */
class EnvelopeStatusTest {

  @ParameterizedTest(name = "{0} -> {1}, Retry-After {2}")
  @CsvSource(delimiter = '|', textBlock = """
      ''                                          | 200 | -
      missing_parameter                           | 400 | -
      bad_parameter                               | 400 | -
      timeout; bad_parameter                      | 400 | -
      circuit_open:900; missing_parameter         | 400 | -
      timeout                                     | 504 | -
      shed; timeout; status                       | 504 | -
      circuit_open:900; timeout                   | 504 | -
      shed                                        | 503 | -
      unavailable                                 | 503 | -
      circuit_open:900                            | 503 | 900
      circuit_open:900; circuit_open:2500         | 503 | 2500
      circuit_open:900; shed                      | 503 | -
      circuit_open:900; status                    | 503 | 900
      status                                      | 502 | -
      connect; io; bad_json; too_large            | 502 | -
      dependency_failed; cancelled; query_failed  | 502 | -
      not_found; conflict                         | 502 | -
      """)
  void theWorstRequiredFailureDecidesAndRetryAfterOnlyWhenEveryDecidingFailureKnowsIt(String failures, int status,
      String retryAfter) {
    Envelope.Verdict verdict = Envelope.verdict(parse(failures));
    assertEquals(status, verdict.status());
    assertEquals(retryAfter.equals("-") ? OptionalLong.empty() : OptionalLong.of(Long.parseLong(retryAfter)),
        verdict.retryAfterMs());
  }

  private static List<Failure> parse(String failures) {
    if (failures == null || failures.isBlank()) {
      return List.of();
    }
    return Arrays.stream(failures.split(";")).map(String::trim).map(EnvelopeStatusTest::failure).toList();
  }

  private static Failure failure(String spec) {
    String[] parts = spec.split(":");
    FailureKind kind = Arrays.stream(FailureKind.values()).filter(k -> k.wireName().equals(parts[0])).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("no kind " + parts[0]));
    return new Failure(kind, null, "test", parts.length > 1 ? OptionalLong.of(Long.parseLong(parts[1]))
        : OptionalLong.empty());
  }
}
