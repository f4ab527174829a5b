package dev.gather.db.embedded;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Starts the external programs this package needs: the server itself and short commands such as id or initdb. */
final class Commands {
  private Commands() {}

  static ProcessBuilder builder(List<String> command) {
    ProcessBuilder builder = new ProcessBuilder(command)
        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
    // PGDATA, PGPORT, PGOPTIONS etc. from the caller's shell must not redirect our tools.
    builder.environment().keySet().removeIf(name -> name.startsWith("PG"));
    builder.environment().put("LC_ALL", "C");
    return builder;
  }

  /** Returns the combined output, failing on a non-zero exit. */
  static String run(List<String> command, Duration timeout) throws IOException {
    Process process = builder(command).redirectErrorStream(true).start();
    // Read on the side: a command that fills the pipe would otherwise block, and waitFor would never see it end.
    ByteArrayOutputStream output = new ByteArrayOutputStream();
    Thread reader = new Thread(() -> {
      try (InputStream in = process.getInputStream()) {
        in.transferTo(output);
      } catch (IOException ignored) {
        // The process is gone; whatever was read is all there is.
      }
    }, "embedded-postgres-output");
    reader.setDaemon(true);
    reader.start();
    try {
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly();
        throw new IOException(String.join(" ", command) + " timed out after " + timeout.toSeconds() + " s");
      }
      reader.join(TimeUnit.SECONDS.toMillis(5));
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while running " + String.join(" ", command), e);
    }
    String text = output.toString(StandardCharsets.UTF_8);
    if (process.exitValue() != 0) {
      throw new IOException(String.join(" ", command) + " failed with exit code " + process.exitValue()
          + ":\n" + lastLines(text, 40));
    }
    return text;
  }

  /** Error messages quote only the end of an output: that is where PostgreSQL's tools say what went wrong. */
  static String lastLines(String text, int count) {
    String[] lines = text.strip().split("\n");
    return String.join("\n", Arrays.asList(lines).subList(Math.max(0, lines.length - count), lines.length));
  }
}
