package dev.gather.jobs.builtin;

import dev.gather.jobs.handler.JobContext;
import dev.gather.jobs.handler.JobHandler;
import dev.gather.jobs.handler.JobPool;
import io.vertx.core.json.JsonObject;
import java.math.BigInteger;

/** The tutorials' {@code cpu_bound_task}: the sum of i*i for i in [0, n), exactly. */
public final class CpuSum implements JobHandler {
  /** Keeps every i*i below 2^64, so one unsigned long holds it and only the running sum needs 128 bits. */
  static final long MAX_N = 4_000_000_000L;

  /** About a millisecond of work between looks at the signal: prompt to cancel, too rare to cost anything. */
  private static final long CHECK_MASK = (1L << 20) - 1;

  @Override
  public String name() {
    return "cpu.sum";
  }

  @Override
  public JobPool pool() {
    return JobPool.CPU;
  }

  @Override
  public void validate(JsonObject input) {
    n(input);
  }

  @Override
  public JsonObject run(JobContext context) {
    long n = Inputs.forRun(() -> n(context.input()));
    // A string, since the sum passes 2^53 and JSON clients would silently round it.
    return new JsonObject().put("n", n).put("sum", sumOfSquares(n, context).toString());
  }

  private static long n(JsonObject input) {
    return Inputs.requiredInteger(input, "n", 0, MAX_N);
  }

  /** Two longs with an unsigned carry instead of a BigInteger per step: no allocation in the hot loop. */
  static BigInteger sumOfSquares(long n, JobContext context) {
    long low = 0;
    long high = 0;
    for (long i = 0; i < n; i++) {
      if ((i & CHECK_MASK) == 0) {
        context.throwIfCancelled();
      }
      long square = i * i;
      low += square;
      if (Long.compareUnsigned(low, square) < 0) {
        high++;
      }
    }
    return BigInteger.valueOf(high).shiftLeft(Long.SIZE).add(new BigInteger(Long.toUnsignedString(low)));
  }
}
