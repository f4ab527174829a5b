package dev.gather.logging;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * What gather writes to standard output, kept for a test to read while it still reaches the real output (so the
 * run's report shows the lines). Logback's console appender writes to whatever {@code System.out} is at the time
 * of each write, so capturing from {@link #capture} on sees every line.
 */
public final class StandardOutput implements AutoCloseable {
  private final PrintStream original = System.out;
  private final ByteArrayOutputStream written = new ByteArrayOutputStream();

  private StandardOutput() {
    System.setOut(new PrintStream(new Tee(), true, StandardCharsets.UTF_8));
  }

  public static StandardOutput capture() {
    return new StandardOutput();
  }

  /** The complete lines written so far (the last one may still be being written, so it waits for its newline). */
  public List<String> lines() {
    String text;
    synchronized (written) {
      text = written.toString(StandardCharsets.UTF_8);
    }
    int end = text.lastIndexOf('\n');
    return end < 0 ? List.of() : text.substring(0, end).lines().filter(l -> !l.isBlank()).toList();
  }

  /** Back to the real standard output. */
  @Override
  public void close() {
    System.setOut(original);
  }

  private final class Tee extends OutputStream {
    @Override
    public void write(int b) {
      synchronized (written) {
        written.write(b);
      }
      original.write(b);
    }

    @Override
    public void write(byte[] b, int off, int len) {
      synchronized (written) {
        written.write(b, off, len);
      }
      original.write(b, off, len);
    }
  }
}
