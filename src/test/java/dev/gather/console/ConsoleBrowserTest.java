package dev.gather.console;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gather.Await;
import dev.gather.RunningGather;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgConnectOptions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.ExpectedConditions;

/**
 * The console in a real headless chromium against a running gather whose aggregate has a fast, a slow and a
 * failing source (the failing one behind a circuit breaker that opens after two failures). Each test saves a
 * screenshot into docs/console/ for the README.
 */
class ConsoleBrowserTest {
  private static RunningGather gather;
  private static Browser browser;
  private static String base;

  @BeforeAll
  static void start() {
    int demoPort = RunningGather.freePort();
    String demo = "http://127.0.0.1:" + demoPort;
    JsonObject config = new JsonObject()
        .put("demo", new JsonObject().put("enabled", true).put("host", "127.0.0.1").put("port", demoPort))
        .put("jobs", new JsonObject().put("pollMs", 200))
        .put("console", new JsonObject().put("pushMs", 250))
        .put("upstreams", new JsonObject()
            .put("demo", new JsonObject().put("url", demo).put("retries", 0))
            .put("flaky", new JsonObject().put("url", demo).put("retries", 0)
                .put("circuitBreaker", new JsonObject().put("failures", 2).put("resetMs", 600_000))))
        .put("aggregates", new JsonObject().put("board", new JsonObject()
            .put("path", "/aggregate/board/:id")
            .put("deadlineMs", 3000)
            .put("sources", new JsonObject()
                .put("profile", new JsonObject().put("upstream", "demo").put("path", "/users/{id}").put("required", true))
                .put("friend", new JsonObject().put("upstream", "demo").put("path", "/users/{profile.id}"))
                .put("slow", new JsonObject().put("upstream", "demo").put("path", "/delay/0.6"))
                .put("broken", new JsonObject().put("upstream", "flaky").put("path", "/status/500")))));
    gather = RunningGather.start(config);
    base = "http://127.0.0.1:" + gather.port;
    browser = Browser.open();
  }

  @AfterAll
  static void stop() throws Exception {
    if (browser != null) {
      browser.close();
    }
    if (gather != null) {
      gather.close();
    }
  }

  @Test
  void theWaterfallShowsTheSlowSourceAsTheLongestBar() throws Exception {
    openLive("#/aggregates");
    browser.wait.until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("[data-aggregate=board] svg.graph")));
    int status = gather.client.get("/aggregate/board/1").send().await(10, TimeUnit.SECONDS).statusCode();
    assertEquals(200, status);
    WebElement waterfall = browser.wait.until(ExpectedConditions.presenceOfElementLocated(
        By.cssSelector("[data-aggregate=board] .waterfall")));
    List<WebElement> bars = waterfall.findElements(By.cssSelector("g.row"));
    assertEquals(4, bars.size(), "a bar per source");
    WebElement longest = bars.stream()
        .max(Comparator.comparingDouble(bar -> Double.parseDouble(
            bar.findElement(By.cssSelector("rect")).getAttribute("width"))))
        .orElseThrow();
    assertEquals("slow", longest.getAttribute("data-source"));
    browser.screenshot("aggregates");
  }

  @Test
  void theTryFormCallsTheAggregateWithItsParametersAndShowsTheAnswer() throws Exception {
    openLive("#/aggregates");
    browser.wait.until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("[data-aggregate=board] form.try")));
    // Filled and submitted in one script call: the live page may redraw between separate calls.
    browser.wait.until(driver -> Boolean.TRUE.equals(((org.openqa.selenium.JavascriptExecutor) driver).executeScript(
        "const f = document.querySelector('[data-aggregate=board] form.try'); if (!f) return false;"
            + "f.querySelector('input[name=id]').value = '3'; f.requestSubmit(); return true;")));
    Object answer = browser.wait.until(driver -> ((org.openqa.selenium.JavascriptExecutor) driver).executeScript(
        "const r = document.querySelector('[data-aggregate=board] .try-result');"
            + "return r && r.querySelector('pre') ? r.textContent : null;"));
    String shown = String.valueOf(answer);
    assertTrue(shown.startsWith("GET /aggregate/board/3 → 200"), shown);
    assertTrue(shown.contains("\"profile\""), "the answer's JSON is shown: " + shown);
  }

  @Test
  void anOpenBreakerShowsAsOpen() throws Exception {
    Await.until("the flaky upstream's breaker to open", Duration.ofSeconds(20), () -> {
      gather.client.get("/aggregate/board/2").send().await(10, TimeUnit.SECONDS);
      JsonObject upstreams = gather.client.get("/console/api/upstreams").send().await(5, TimeUnit.SECONDS)
          .bodyAsJsonObject();
      return upstreams.getJsonArray("upstreams").stream().map(JsonObject.class::cast)
          .anyMatch(u -> u.getString("name").equals("flaky") && u.getJsonObject("breaker").getString("state").equals("open"));
    });
    openLive("#/upstreams");
    // Read in one script call: the live page redraws its rows, so an element found in one call may be gone by the
    // next (StaleElementReferenceException).
    Object breaker = browser.wait.until(driver -> ((org.openqa.selenium.JavascriptExecutor) driver).executeScript(
        "const b = document.querySelector('tr[data-upstream=flaky] td.breaker .badge');"
            + "return b && b.textContent === 'open' && b.classList.contains('open') ? b.textContent : null;"));
    assertEquals("open", breaker);
    Object demo = browser.wait.until(driver -> ((org.openqa.selenium.JavascriptExecutor) driver).executeScript(
        "const c = document.querySelector('tr[data-upstream=demo] td.breaker'); return c ? c.textContent : null;"));
    assertEquals("none", demo, "an upstream without a breaker says so");
    browser.screenshot("upstreams");
  }

  @Test
  void cancellingARunningJobFromItsPageEndsItCancelledInTheDatabase() throws Exception {
    long id = enqueue(new JsonObject().put("kind", "sleep").put("input", new JsonObject().put("ms", 120_000)));
    Await.until("job " + id + " to run", Duration.ofSeconds(20), () -> "running".equals(job(id).getString("status")));
    openLive("#/jobs/" + id);
    // The page follows the job live and may draw it again between finding the button and clicking it.
    browser.wait.until(driver -> {
      driver.findElement(By.id("cancel")).click();
      return true;
    });
    browser.wait.until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("table.job[data-status=cancelled]")));
    assertEquals("cancelled", statusInDatabase(id));
    browser.screenshot("job");
  }

  @Test
  void aJobInputWithMarkupRendersAsText() throws Exception {
    String markup = "<script>window.pwned = 1</script><img src=x onerror=window.pwned=2>";
    long id = enqueue(new JsonObject().put("kind", "sleep")
        .put("input", new JsonObject().put("ms", 0).put("note", markup).put("fail", markup)).put("maxAttempts", 1));
    Await.until("job " + id + " to fail", Duration.ofSeconds(20), () -> "failed".equals(job(id).getString("status")));
    openLive("#/jobs/" + id);
    WebElement input = browser.wait.until(ExpectedConditions.presenceOfElementLocated(By.id("job-input")));
    assertTrue(input.getText().contains(markup), "the input shows its markup as characters: " + input.getText());
    assertTrue(browser.driver.findElement(By.id("job-error")).getText().contains(markup));
    assertTrue(browser.driver.findElements(By.cssSelector("main script, main img")).isEmpty(), "no element was made");
    assertNull(browser.driver.executeScript("return window.pwned === undefined ? null : window.pwned;"));
    browser.screenshot("job-markup");
  }

  @Test
  void theOverviewShowsRatesPerAggregateAndTheDatabase() throws Exception {
    gather.client.get("/aggregate/board/3").send().await(10, TimeUnit.SECONDS);
    openLive("#/");
    browser.wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("main"), "migrated"));
    // The meters are sampled every 5 s: the request shows once a sample has taken it in.
    browser.wait.until(driver -> !driver.findElement(By.cssSelector("tr[data-name=board] td.num")).getText()
        .equals("0.00"));
    browser.screenshot("overview");
  }

  @Test
  void theJobsPageListsJobsAndTheirCountsByKind() throws Exception {
    long id = enqueue(new JsonObject().put("kind", "sleep").put("input", new JsonObject().put("ms", 1))
        .put("runAt", java.time.OffsetDateTime.now().plusHours(1).toString()));
    openLive("#/jobs");
    browser.wait.until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("tr[data-job='" + id + "']")));
    browser.wait.until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("tr[data-kind=sleep]")));
    browser.screenshot("jobs");
  }

  @Test
  void pausingAKindFromTheJobsPageHoldsItsJobsAndResumingRunsThem() throws Exception {
    openLive("#/jobs");
    clickWhenShown("tr[data-kind='cpu.sum'] button", "Pause");
    Await.until("cpu.sum to be paused in the database", Duration.ofSeconds(10), () -> kind("cpu.sum").getBoolean("paused"));
    long id = enqueue(new JsonObject().put("kind", "cpu.sum").put("input", new JsonObject().put("n", 10)));
    browser.wait.until(driver -> "paused".equals(((org.openqa.selenium.JavascriptExecutor) driver).executeScript(
        "const c = document.querySelector(\"tr[data-kind='cpu.sum'] td.paused\"); return c && c.textContent;")));
    // The kinds table refreshes itself (every 5 s) and then counts the job the paused kind holds.
    browser.wait.until(driver -> "1".equals(((org.openqa.selenium.JavascriptExecutor) driver).executeScript(
        "const c = document.querySelector(\"tr[data-kind='cpu.sum'] td.num\"); return c && c.textContent;")));
    browser.screenshot("jobs-paused");
    assertEquals("queued", job(id).getString("status"), "a paused kind is not claimed");

    clickWhenShown("tr[data-kind='cpu.sum'] button", "Resume");
    Await.until("the job to run once its kind is resumed", Duration.ofSeconds(15),
        () -> job(id).getString("status").equals("succeeded"));
    assertEquals(false, kind("cpu.sum").getBoolean("paused"));
  }

  @Test
  void aJobThatWroteAFileOffersItOnItsPage() throws Exception {
    long id = enqueue(new JsonObject().put("kind", "users.export").put("input", new JsonObject().put("file", "console-" + System.nanoTime() + ".csv")));
    Await.until("the export to succeed", Duration.ofSeconds(20), () -> job(id).getString("status").equals("succeeded"));
    openLive("#/jobs/" + id);
    Object link = browser.wait.until(driver -> ((org.openqa.selenium.JavascriptExecutor) driver).executeScript(
        "const a = document.querySelector('a.file'); return a && a.textContent;"));
    assertEquals("Download the file", link);
    // What the link fetches, with the page's own credentials: the CSV the job wrote.
    Object csv = ((org.openqa.selenium.JavascriptExecutor) browser.driver).executeAsyncScript(
        "const done = arguments[arguments.length - 1];"
            + "fetch('/jobs/" + id + "/file').then(r => r.text()).then(done, e => done('failed: ' + e));");
    assertTrue(String.valueOf(csv).startsWith("id,email,name"), String.valueOf(csv));
  }

  /** Clicks the element once it shows {@code text}, in one script call (the live page redraws its rows). */
  private static void clickWhenShown(String selector, String text) {
    browser.wait.until(driver -> Boolean.TRUE.equals(((org.openqa.selenium.JavascriptExecutor) driver).executeScript(
        "const b = document.querySelector(arguments[0]);"
            + "if (b && b.textContent === arguments[1]) { b.click(); return true; } return false;", selector, text)));
  }

  private static JsonObject kind(String name) throws Exception {
    JsonObject kinds = gather.client.get("/jobs/kinds").send().await(5, TimeUnit.SECONDS).bodyAsJsonObject();
    return kinds.getJsonArray("items").stream().map(JsonObject.class::cast)
        .filter(k -> k.getString("kind").equals(name)).findFirst().orElseThrow();
  }

  /** Opens a console page and waits for its live stream. */
  private static void openLive(String hash) {
    browser.go(base + "/console" + hash);
    try {
      browser.wait.until(ExpectedConditions.textToBe(By.id("live"), "live"));
    } catch (org.openqa.selenium.TimeoutException e) {
      throw new AssertionError("the page did not go live; it logged:\n" + browser.consoleLog(), e);
    }
  }

  private static long enqueue(JsonObject job) throws Exception {
    var response = gather.client.post("/jobs").sendJsonObject(job).await(10, TimeUnit.SECONDS);
    assertEquals(202, response.statusCode(), response.bodyAsString());
    return response.bodyAsJsonObject().getLong("id");
  }

  private static JsonObject job(long id) throws Exception {
    return gather.client.get("/jobs/" + id).send().await(5, TimeUnit.SECONDS).bodyAsJsonObject();
  }

  private static String statusInDatabase(long id) throws Exception {
    PgConnectOptions db = PgConnectOptions.fromUri(gather.databaseUrl);
    String url = "jdbc:postgresql://" + db.getHost() + ":" + db.getPort() + "/" + db.getDatabase();
    try (Connection connection = DriverManager.getConnection(url, db.getUser(), db.getPassword());
        PreparedStatement select = connection.prepareStatement("SELECT status FROM jobs WHERE id = ?")) {
      select.setLong(1, id);
      try (ResultSet row = select.executeQuery()) {
        row.next();
        return row.getString(1);
      }
    }
  }

}
