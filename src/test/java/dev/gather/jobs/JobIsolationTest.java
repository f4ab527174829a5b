package dev.gather.jobs;

import static dev.gather.jobs.JobsTest.job;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gather.Await;
import dev.gather.RunningGather;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** CPU-bound jobs run on worker threads, so the event loops keep answering while they saturate the cores. */
class JobIsolationTest {
  private static final int CPU_JOBS = 4;
  private static final int REQUESTS = 400;

  @Test
  void helloStaysFastWhileFourCpuSumJobsSaturateTheCores() throws Exception {
    // As many CPU workers as jobs, so all four run at once on this machine's cores: the harsher case.
    try (RunningGather app = RunningGather.start(new JsonObject().put("http", new JsonObject().put("accessLog", false))
        .put("jobs", new JsonObject().put("cpuWorkers", CPU_JOBS)))) {
      for (int i = 0; i < 200; i++) { // warm the path up before measuring it
        app.client.get("/").send().await(5, TimeUnit.SECONDS);
      }
      List<String> jobs = new ArrayList<>();
      for (int i = 0; i < CPU_JOBS; i++) {
        jobs.add(app.client.post("/jobs").sendJsonObject(job("cpu.sum", new JsonObject().put("n", 4_000_000_000L)))
            .await(5, TimeUnit.SECONDS).getHeader("Location"));
      }
      awaitBusy(app, CPU_JOBS);

      long[] ms = new long[REQUESTS];
      for (int i = 0; i < REQUESTS; i++) {
        long began = System.nanoTime();
        int status = app.client.get("/").send().await(5, TimeUnit.SECONDS).statusCode();
        ms[i] = (System.nanoTime() - began) / 1_000_000;
        assertEquals(200, status);
      }
      int stillBusy = busy(app);
      Arrays.sort(ms);
      long p50 = ms[REQUESTS / 2];
      long p99 = ms[(int) Math.ceil(REQUESTS * 0.99) - 1];
      System.out.printf("GET / while %d cpu.sum jobs ran: p50 %d ms, p99 %d ms, max %d ms%n", CPU_JOBS, p50, p99,
          ms[REQUESTS - 1]);
      assertEquals(CPU_JOBS, stillBusy, "the jobs were still running when the measurement ended");
      assertTrue(p99 < 50, "p99 " + p99 + " ms");
      for (String location : jobs) {
        assertEquals(202, app.client.delete(location).send().await(5, TimeUnit.SECONDS).statusCode());
      }
    }
  }

  private static void awaitBusy(RunningGather app, int workers) throws Exception {
    Await.until("all " + workers + " cpu jobs to start", Duration.ofSeconds(10), () -> busy(app) >= workers);
  }

  private static int busy(RunningGather app) throws Exception {
    String metrics = app.client.get("/metrics").send().await(5, TimeUnit.SECONDS).bodyAsString();
    for (String line : metrics.split("\n")) {
      if (line.startsWith("gather_job_workers_busy{pool=\"cpu\"}")) {
        return (int) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    return 0;
  }
}
