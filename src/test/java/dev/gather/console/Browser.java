package dev.gather.console;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * Debian's headless chromium driven through its chromedriver, both named explicitly so that Selenium Manager
 * never downloads anything. Without them the browser tests are skipped locally and fail under CI, where
 * {@code .ci/run} installs them.
 */
final class Browser implements AutoCloseable {
  static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
  /** Where the README's screenshots live. */
  static final Path SCREENSHOTS = Path.of("docs/console");

  final ChromeDriver driver;
  final WebDriverWait wait;

  private Browser(ChromeDriver driver) {
    this.driver = driver;
    this.wait = new WebDriverWait(driver, Duration.ofSeconds(20), Duration.ofMillis(50));
    // Live pages draw their figures again as events come: an element found a moment ago may have been replaced.
    wait.ignoring(org.openqa.selenium.StaleElementReferenceException.class);
  }

  static Browser open() {
    boolean installed = Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER);
    if (!installed && System.getenv("CI") != null) {
      fail("chromium and chromium-driver are not installed; .ci/run installs them (apt-get install chromium "
          + "chromium-driver)");
    }
    assumeTrue(installed, "chromium and chromium-driver are not installed (apt-get install chromium chromium-driver)");
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toFile());
    options.addArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
        "--window-size=1360,900");
    // The page's console messages, for the failure report of a test that waited in vain.
    org.openqa.selenium.logging.LoggingPreferences logs = new org.openqa.selenium.logging.LoggingPreferences();
    logs.enable(org.openqa.selenium.logging.LogType.BROWSER, java.util.logging.Level.ALL);
    options.setCapability("goog:loggingPrefs", logs);
    ChromeDriverService service = new ChromeDriverService.Builder()
        .usingDriverExecutable(CHROMEDRIVER.toFile())
        .usingAnyFreePort()
        .build();
    return new Browser(new ChromeDriver(service, options));
  }

  WebDriver go(String url) {
    driver.get(url);
    return driver;
  }

  /** Saves what the page shows now as {@code docs/console/<name>.png}. */
  void screenshot(String name) throws IOException {
    File shot = driver.getScreenshotAs(OutputType.FILE);
    Files.createDirectories(SCREENSHOTS);
    Files.copy(shot.toPath(), SCREENSHOTS.resolve(name + ".png"), StandardCopyOption.REPLACE_EXISTING);
  }

  /** What the page logged (errors included) since the last call. */
  String consoleLog() {
    StringBuilder log = new StringBuilder();
    driver.manage().logs().get(org.openqa.selenium.logging.LogType.BROWSER)
        .forEach(entry -> log.append(entry.getLevel()).append(' ').append(entry.getMessage()).append('\n'));
    return log.toString();
  }

  @Override
  public void close() {
    driver.quit();
  }
}
