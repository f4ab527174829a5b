package dev.gather.jobs.builtin;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gather.Await;
import dev.gather.jobs.handler.JobCancelledException;
import dev.gather.jobs.handler.JobHandler;
import dev.gather.jobs.handler.JobPool;
import dev.gather.jobs.handler.TestJobContexts;
import io.vertx.core.json.JsonObject;
import java.math.BigInteger;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class BuiltinHandlersTest {
  private ExecutorService worker;

  @BeforeEach
  void startWorker() {
    worker = Executors.newSingleThreadExecutor();
  }

  @AfterEach
  void stopWorker() throws InterruptedException {
    worker.shutdownNow();
    assertTrue(worker.awaitTermination(10, TimeUnit.SECONDS), "a handler kept running after its test");
  }

  // cpu.sum

  @Test
  void cpuSumSmallValues() throws Exception {
    assertEquals(new JsonObject().put("n", 0L).put("sum", "0"), cpuSum(0));
    assertEquals("0", cpuSum(1).getString("sum"));
    assertEquals("285", cpuSum(10).getString("sum"));
  }

  @Test
  void cpuSumMatchesBigIntegerLoop() throws Exception {
    long n = 3_000_000;
    BigInteger expected = BigInteger.ZERO;
    for (long i = 0; i < n; i++) {
      BigInteger b = BigInteger.valueOf(i);
      expected = expected.add(b.multiply(b));
    }
    assertEquals(expected.toString(), cpuSum(n).getString("sum"));
  }

  @Test
  void cpuSumPastTwoToTheSixtyFourMatchesClosedForm() throws Exception {
    long n = 100_000_000;
    BigInteger expected = closedForm(n);
    assertTrue(expected.bitLength() > 64, "n must be large enough for the sum to need the carry");
    assertEquals(expected.toString(), cpuSum(n).getString("sum"));
  }

  @Test
  void cpuSumAcceptsIntegralJsonNumbers() {
    CpuSum handler = new CpuSum();
    handler.validate(new JsonObject().put("n", 4_000_000_000L));
    handler.validate(new JsonObject().put("n", 1000.0));
    handler.validate(new JsonObject("{\"n\": 1e3}"));
  }

  @Test
  void cpuSumRejectsBadN() {
    CpuSum handler = new CpuSum();
    String range = "n must be an integer from 0 to 4000000000";
    assertEquals("n is required: an integer from 0 to 4000000000",
        invalid(handler, new JsonObject()));
    assertEquals(range + ", got -1", invalid(handler, new JsonObject().put("n", -1)));
    assertEquals(range + ", got 4000000001", invalid(handler, new JsonObject().put("n", 4_000_000_001L)));
    assertEquals(range + ", got 1.5", invalid(handler, new JsonObject().put("n", 1.5)));
    assertEquals(range + ", got a string", invalid(handler, new JsonObject().put("n", "10")));
    assertEquals(range + ", got a boolean", invalid(handler, new JsonObject().put("n", true)));
    assertTrue(invalid(handler, new JsonObject("{\"n\": 123456789012345678901234567890}")).startsWith(range));
  }

  @Test
  void cpuSumStopsWhenCancelled() throws Exception {
    var cancellable = TestJobContexts.cancellable(new JsonObject().put("n", CpuSum.MAX_N));
    assertCancelledPromptly(() -> new CpuSum().run(cancellable.context()), cancellable);
  }

  // crypto.pbkdf2

  @Test
  void pbkdf2MatchesJce() throws Exception {
    assertMatchesJce("correct horse battery staple", bytes(16, 1), 1000, 256);
    // 512 bits is two HMAC-SHA256 blocks; the non-ASCII password checks the UTF-8 encoding.
    assertMatchesJce("pässwörd €", bytes(32, 7), 4096, 512);
    // A key that ends mid-block.
    assertMatchesJce("x", bytes(64, 3), 1000, 200);
  }

  @Test
  void pbkdf2DefaultsAndRandomSalt() throws Exception {
    JsonObject first = new Pbkdf2Hash().run(TestJobContexts.context(new JsonObject().put("password", "hunter2")));
    JsonObject second = new Pbkdf2Hash().run(TestJobContexts.context(new JsonObject().put("password", "hunter2")));
    assertEquals("PBKDF2WithHmacSHA256", first.getString("algorithm"));
    assertEquals(210_000, first.getInteger("iterations"));
    assertEquals(256, first.getInteger("keyLength"));
    byte[] salt = Base64.getDecoder().decode(first.getString("salt"));
    assertEquals(16, salt.length);
    assertFalse(first.getString("salt").equals(second.getString("salt")), "salts must be random");
    assertArrayEquals(jce("hunter2", salt, 210_000, 256), Base64.getDecoder().decode(first.getString("hash")));
  }

  @Test
  void pbkdf2NeverEchoesThePassword() throws Exception {
    Pbkdf2Hash handler = new Pbkdf2Hash();
    String password = "s3cret-P4ssword";
    JsonObject result = handler.run(TestJobContexts.context(new JsonObject().put("password", password)
        .put("iterations", 1000)));
    assertFalse(result.encode().contains(password));
    assertFalse(result.containsKey("password"));

    String tooLong = "s3cret".repeat(200);
    assertFalse(invalid(handler, new JsonObject().put("password", tooLong)).contains("s3cret"));
    assertFalse(invalid(handler, new JsonObject().put("password", 987654321)).contains("987654321"));
    assertFalse(invalid(handler, new JsonObject().put("password", password).put("salt", "short"))
        .contains(password));
    assertFalse(invalid(handler, new JsonObject().put("password", password).put("keyLength", 100))
        .contains(password));
  }

  @Test
  void pbkdf2RejectsBadInput() {
    Pbkdf2Hash handler = new Pbkdf2Hash();
    JsonObject ok = new JsonObject().put("password", "pw");
    assertTrue(invalid(handler, new JsonObject()).startsWith("password is required"));
    assertTrue(invalid(handler, new JsonObject().put("password", "")).startsWith("password must be a non-empty"));
    assertTrue(invalid(handler, ok.copy().put("salt", b64(bytes(15, 0)))).startsWith("salt must decode to 16 to 64"));
    assertTrue(invalid(handler, ok.copy().put("salt", b64(bytes(65, 0)))).startsWith("salt must decode to 16 to 64"));
    assertTrue(invalid(handler, ok.copy().put("salt", "not base64!")).startsWith("salt must be standard base64"));
    assertEquals("iterations must be an integer from 1000 to 10000000, got 999",
        invalid(handler, ok.copy().put("iterations", 999)));
    assertEquals("keyLength must be an integer from 128 to 512, got 1024",
        invalid(handler, ok.copy().put("keyLength", 1024)));
    assertTrue(invalid(handler, ok.copy().put("keyLength", 130)).contains("multiple of 8"));
  }

  @Test
  void pbkdf2StopsWhenCancelled() throws Exception {
    var cancellable = TestJobContexts.cancellable(new JsonObject().put("password", "pw")
        .put("iterations", 10_000_000).put("keyLength", 512));
    assertCancelledPromptly(() -> new Pbkdf2Hash().run(cancellable.context()), cancellable);
  }

  // sleep

  @Test
  void sleepSleeps() throws Exception {
    JsonObject result = new Sleep().run(TestJobContexts.context(new JsonObject().put("ms", 50)));
    assertTrue(result.getLong("sleptMs") >= 50, result.encode());
    assertEquals(1, result.getInteger("attempt"));
  }

  @Test
  void sleepReturnsEarlyWhenCancelled() throws Exception {
    var cancellable = TestJobContexts.cancellable(new JsonObject().put("ms", 60_000));
    long start = System.nanoTime();
    assertCancelledPromptly(() -> new Sleep().run(cancellable.context()), cancellable);
    assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(5));
  }

  @Test
  void sleepFailsItsFirstAttemptsThenSucceeds() throws Exception {
    JsonObject input = new JsonObject().put("ms", 0).put("fail", "flaky upstream").put("failAttempts", 1);
    RuntimeException failure = assertThrows(RuntimeException.class,
        () -> new Sleep().run(TestJobContexts.context(input, 1)));
    assertEquals("flaky upstream", failure.getMessage());
    assertEquals(2, new Sleep().run(TestJobContexts.context(input, 2)).getInteger("attempt"));
  }

  @Test
  void sleepFailVariants() throws Exception {
    JsonObject always = new JsonObject().put("ms", 0).put("fail", "always");
    assertThrows(RuntimeException.class, () -> new Sleep().run(TestJobContexts.context(always, 5)));
    JsonObject attemptsOnly = new JsonObject().put("ms", 0).put("failAttempts", 2);
    assertThrows(RuntimeException.class, () -> new Sleep().run(TestJobContexts.context(attemptsOnly, 2)));
    assertEquals(3, new Sleep().run(TestJobContexts.context(attemptsOnly, 3)).getInteger("attempt"));
    JsonObject never = new JsonObject().put("ms", 0).put("fail", "x").put("failAttempts", 0);
    assertEquals(1, new Sleep().run(TestJobContexts.context(never, 1)).getInteger("attempt"));
  }

  @Test
  void sleepRejectsBadInput() {
    Sleep handler = new Sleep();
    assertEquals("ms is required: an integer from 0 to 3600000", invalid(handler, new JsonObject()));
    assertEquals("ms must be an integer from 0 to 3600000, got 3600001",
        invalid(handler, new JsonObject().put("ms", 3_600_001)));
    assertEquals("fail must be a string, got a number",
        invalid(handler, new JsonObject().put("ms", 1).put("fail", 1)));
    assertEquals("failAttempts must be an integer from 0 to 2147483647, got -1",
        invalid(handler, new JsonObject().put("ms", 1).put("failAttempts", -1)));
  }

  // users.export: only what needs no running gather

  @Test
  void usersExportValidatesFileName() {
    UsersCsvExport handler = new UsersCsvExport();
    handler.validate(new JsonObject());
    handler.validate(new JsonObject().put("file", "users_2024-01.csv").put("batchSize", 5000));
    for (String bad : new String[] {"", ".hidden", "../etc/passwd", "a/b.csv", "a b.csv", "x".repeat(101)}) {
      assertTrue(invalid(handler, new JsonObject().put("file", bad)).startsWith("file must be a plain file name"), bad);
    }
    assertEquals("batchSize must be an integer from 1 to 5000, got 0",
        invalid(handler, new JsonObject().put("batchSize", 0)));
  }

  @Test
  void csvQuoting() {
    assertEquals("plain", UsersCsvExport.field("plain"));
    assertEquals("\"a,b\"", UsersCsvExport.field("a,b"));
    assertEquals("\"say \"\"hi\"\"\"", UsersCsvExport.field("say \"hi\""));
    assertEquals("\"line\nbreak\"", UsersCsvExport.field("line\nbreak"));
    assertEquals("\"cr\rhere\"", UsersCsvExport.field("cr\rhere"));
  }

  // discovery

  @Test
  void serviceLoaderFindsAllBuiltins() {
    Map<String, JobPool> found = new TreeMap<>();
    for (JobHandler handler : ServiceLoader.load(JobHandler.class)) {
      found.put(handler.name(), handler.pool());
    }
    assertEquals(JobPool.CPU, found.get("cpu.sum"));
    assertEquals(JobPool.CPU, found.get("crypto.pbkdf2"));
    assertEquals(JobPool.BLOCKING, found.get("sleep"));
    assertEquals(JobPool.BLOCKING, found.get("users.export"));
  }

  // helpers

  private static JsonObject cpuSum(long n) throws Exception {
    return new CpuSum().run(TestJobContexts.context(new JsonObject().put("n", n)));
  }

  private static BigInteger closedForm(long n) {
    BigInteger big = BigInteger.valueOf(n);
    return big.subtract(BigInteger.ONE).multiply(big).multiply(big.shiftLeft(1).subtract(BigInteger.ONE))
        .divide(BigInteger.valueOf(6));
  }

  private static String invalid(JobHandler handler, JsonObject input) {
    return assertThrows(IllegalArgumentException.class, () -> handler.validate(input)).getMessage();
  }

  private void assertMatchesJce(String password, byte[] salt, int iterations, int keyBits) throws Exception {
    JsonObject result = new Pbkdf2Hash().run(TestJobContexts.context(new JsonObject()
        .put("password", password).put("salt", b64(salt)).put("iterations", iterations).put("keyLength", keyBits)));
    assertEquals(b64(salt), result.getString("salt"));
    assertEquals(iterations, result.getInteger("iterations"));
    assertEquals(keyBits, result.getInteger("keyLength"));
    byte[] hash = Base64.getDecoder().decode(result.getString("hash"));
    assertEquals(keyBits / 8, hash.length);
    assertArrayEquals(jce(password, salt, iterations, keyBits), hash);
  }

  private static byte[] jce(String password, byte[] salt, int iterations, int keyBits) throws Exception {
    PBEKeySpec spec = new PBEKeySpec(password.toCharArray(), salt, iterations, keyBits);
    return SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256").generateSecret(spec).getEncoded();
  }

  /** Starts the run on another thread, cancels it once it is under way, and expects it to stop within a second. */
  private void assertCancelledPromptly(Callable<JsonObject> run, TestJobContexts.Cancellable cancellable)
      throws Exception {
    AtomicReference<Thread> runner = new AtomicReference<>();
    Future<JsonObject> running = worker.submit(() -> {
      runner.set(Thread.currentThread());
      return run.call();
    });
    Await.until("the run to be under way in its handler", Duration.ofSeconds(5), () -> runner.get() != null
        && Arrays.stream(runner.get().getStackTrace()).map(StackTraceElement::getClassName)
            .anyMatch(frame -> frame.startsWith(CpuSum.class.getPackageName() + ".") && !frame.contains("Test")));
    assertFalse(running.isDone(), "the run finished before it could be cancelled");
    long raised = System.nanoTime();
    assertTrue(cancellable.cancel("cancelled by test"));
    ExecutionException failure = assertThrows(ExecutionException.class, () -> running.get(5, TimeUnit.SECONDS));
    long stopMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - raised);
    assertInstanceOf(JobCancelledException.class, failure.getCause());
    assertEquals("cancelled by test", failure.getCause().getMessage());
    assertTrue(stopMs < 1000, "took " + stopMs + " ms to stop after the cancel");
  }

  private static byte[] bytes(int length, int seed) {
    byte[] b = new byte[length];
    for (int i = 0; i < length; i++) {
      b[i] = (byte) (seed * 31 + i * 7);
    }
    return b;
  }

  private static String b64(byte[] b) {
    return Base64.getEncoder().encodeToString(b);
  }
}
