import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The bench's time-to-first-event client (bench/run.sh, scenario streamed): `workers` loops, each sending GET `url`
 * with `accept` for `seconds`, one request at a time on its own keep-alive connection; for every answer it takes the
 * time from sending to its first line (the first event of an NDJSON stream; for a plain JSON answer, its end) and to
 * its end. Prints one line: `requests=N errors=E first_p50=… first_p99=… end_p50=… end_p99=…` (ms), and on stderr
 * a diagnostic line that sets each worker's first measured request apart from its later ones.
 *
 * <p>The warm-up runs in this JVM, on the same clients and connections, and its answers are thrown away: a warm-up
 * in a JVM of its own warms the server but leaves the measured run with a cold client (class loading, JIT, a new
 * connection per worker), whose first request per worker took 150–400 ms to its head; with 16 workers and a
 * 500 ms aggregate those 16 samples are 3–6 % of the run and were its p99.
 *
 *   java bench/FirstEvent.java URL ACCEPT WORKERS SECONDS [WARMUP_SECONDS]
 */
public final class FirstEvent {
  public static void main(String[] args) throws Exception {
    URI uri = URI.create(args[0]);
    String accept = args[1];
    int workers = Integer.parseInt(args[2]);
    long warmup = args.length > 4 ? Long.parseLong(args[4]) * 1_000_000_000L : 0;
    long measured = System.nanoTime() + warmup;
    long until = measured + Long.parseLong(args[3]) * 1_000_000_000L;
    ExecutorService pool = Executors.newFixedThreadPool(workers);
    List<Future<List<long[]>>> runs = new ArrayList<>();
    for (int w = 0; w < workers; w++) {
      runs.add(pool.submit(() -> loop(uri, accept, measured, until)));
    }
    List<Long> first = new ArrayList<>();
    List<Long> end = new ArrayList<>();
    List<Long> openingHead = new ArrayList<>();
    List<Long> openingFirst = new ArrayList<>();
    List<Long> laterFirst = new ArrayList<>();
    long errors = 0;
    for (Future<List<long[]>> run : runs) {
      List<long[]> samples = run.get();
      for (int i = 0; i < samples.size(); i++) {
        long[] sample = samples.get(i);
        if (sample[0] < 0) {
          errors++;
        } else {
          first.add(sample[0]);
          end.add(sample[1]);
          (i == 0 ? openingFirst : laterFirst).add(sample[0]);
          if (i == 0) {
            openingHead.add(sample[2]);
          }
        }
      }
    }
    pool.shutdown();
    System.out.printf("requests=%d errors=%d first_p50=%.2f first_p99=%.2f end_p50=%.2f end_p99=%.2f%n",
        first.size(), errors, percentile(first, 50), percentile(first, 99), percentile(end, 50), percentile(end, 99));
    System.err.printf("FirstEvent diagnostics: each worker's first measured request (n=%d): head p50/max %.2f/%.2f ms,"
        + " first line p50/max %.2f/%.2f ms; its later requests (n=%d): first line p50/p99/max %.2f/%.2f/%.2f ms%n",
        openingFirst.size(), percentile(openingHead, 50), percentile(openingHead, 100), percentile(openingFirst, 50),
        percentile(openingFirst, 100), laterFirst.size(), percentile(laterFirst, 50), percentile(laterFirst, 99),
        percentile(laterFirst, 100));
  }

  /**
   * Samples of {first line, end, head} in nanoseconds, of the requests sent from {@code measured} on; {-1, -1, -1}
   * for a failed request or a status other than 200.
   */
  private static List<long[]> loop(URI uri, String accept, long measured, long until) {
    HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(5)).build();
    HttpRequest request = HttpRequest.newBuilder(uri).header("Accept", accept).timeout(Duration.ofSeconds(30)).build();
    List<long[]> samples = new ArrayList<>();
    byte[] chunk = new byte[8192];
    while (System.nanoTime() < until) {
      long sent = System.nanoTime();
      long[] sample;
      try {
        HttpResponse<InputStream> response = client.send(request, HttpResponse.BodyHandlers.ofInputStream());
        long head = System.nanoTime() - sent;
        long firstLine = -1;
        try (InputStream body = response.body()) {
          int n;
          while ((n = body.read(chunk)) >= 0) {
            if (firstLine < 0) {
              for (int i = 0; i < n; i++) {
                if (chunk[i] == '\n') {
                  firstLine = System.nanoTime() - sent;
                  break;
                }
              }
            }
          }
        }
        long ended = System.nanoTime() - sent;
        sample = response.statusCode() == 200 ? new long[] {firstLine < 0 ? ended : firstLine, ended, head}
            : new long[] {-1, -1, -1};
      } catch (Exception e) {
        sample = new long[] {-1, -1, -1};
      }
      if (sent >= measured) {
        samples.add(sample);
      }
    }
    return samples;
  }

  private static double percentile(List<Long> nanos, int p) {
    if (nanos.isEmpty()) {
      return 0;
    }
    List<Long> sorted = new ArrayList<>(nanos);
    Collections.sort(sorted);
    int index = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
    return sorted.get(Math.max(0, index)) / 1e6;
  }
}
