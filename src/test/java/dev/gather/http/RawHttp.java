package dev.gather.http;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** Reads HTTP/1.1 answers off a raw socket with a deadline, as a test needs to judge them. */
public final class RawHttp {
  /** One answer: its status, headers (lower-case names) and body; or none when the connection closed first. */
  public record Answer(int status, Map<String, String> headers, String body) {
    public String header(String name) {
      return headers.get(name.toLowerCase(Locale.ROOT));
    }
  }

  /** What came back within the deadline: the final answer (null if none), and whether the connection closed. */
  public record Outcome(Answer answer, boolean closed, boolean timedOut) {}

  private final Socket socket;
  private final InputStream in;
  private final ByteArrayOutputStream buffered = new ByteArrayOutputStream();
  private boolean eof;

  public RawHttp(Socket socket) throws IOException {
    this.socket = socket;
    this.in = socket.getInputStream();
  }

  /**
   * Reads the next final (non-1xx) answer, then, when {@code thenClose}, waits for the connection to close;
   * all by {@code deadlineNanos} (System.nanoTime()).
   */
  public Outcome read(long deadlineNanos, boolean thenClose) throws IOException {
    Answer answer;
    do {
      answer = answer(deadlineNanos);
    } while (answer != null && answer.status() < 200);
    if (answer == null) {
      return new Outcome(null, eof, !eof);
    }
    if (thenClose) {
      while (!eof && fill(deadlineNanos)) {
        buffered.reset();
      }
    }
    return new Outcome(answer, eof, false);
  }

  /**
   * Watches the connection until {@code deadlineNanos}: true when nothing came and it stayed open, false when it
   * was closed or sent something. A window to observe, not a pause: a test asserts what happened in it.
   */
  public boolean quietUntil(long deadlineNanos) throws IOException {
    return !fill(deadlineNanos) && !eof;
  }

  private Answer answer(long deadlineNanos) throws IOException {
    int headEnd;
    while ((headEnd = indexOf(buffered.toByteArray(), "\r\n\r\n")) < 0) {
      if (!fill(deadlineNanos)) {
        return null;
      }
    }
    byte[] all = buffered.toByteArray();
    String head = new String(all, 0, headEnd, StandardCharsets.ISO_8859_1);
    String[] lines = head.split("\r\n");
    int status = Integer.parseInt(lines[0].split(" ")[1]);
    Map<String, String> headers = new LinkedHashMap<>();
    for (int i = 1; i < lines.length; i++) {
      int colon = lines[i].indexOf(':');
      headers.put(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).trim());
    }
    int bodyStart = headEnd + 4;
    byte[] body;
    if (status < 200 || status == 204 || status == 304) {
      body = new byte[0];
    } else if (headers.containsKey("content-length")) {
      int length = Integer.parseInt(headers.get("content-length"));
      while (buffered.size() < bodyStart + length) {
        if (!fill(deadlineNanos)) {
          return null;
        }
      }
      all = buffered.toByteArray();
      body = java.util.Arrays.copyOfRange(all, bodyStart, bodyStart + length);
      bodyStart += length;
    } else if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
      while (indexOf(buffered.toByteArray(), "\r\n0\r\n\r\n") < 0 && !bodyIsLastChunk(bodyStart)) {
        if (!fill(deadlineNanos)) {
          return null;
        }
      }
      all = buffered.toByteArray();
      int end = Math.max(indexOf(all, "\r\n0\r\n\r\n") + 7, bodyStart + 5);
      body = java.util.Arrays.copyOfRange(all, bodyStart, end);
      bodyStart = end;
    } else {
      while (fill(deadlineNanos)) {
        // read until the connection closes
      }
      all = buffered.toByteArray();
      body = java.util.Arrays.copyOfRange(all, bodyStart, all.length);
      bodyStart = all.length;
    }
    all = buffered.toByteArray();
    buffered.reset();
    buffered.write(all, bodyStart, all.length - bodyStart);
    return new Answer(status, headers, new String(body, StandardCharsets.UTF_8));
  }

  private boolean bodyIsLastChunk(int bodyStart) {
    byte[] all = buffered.toByteArray();
    return all.length >= bodyStart + 5 && new String(all, bodyStart, 5, StandardCharsets.ISO_8859_1).equals("0\r\n\r\n");
  }

  /** Reads what is there; false at EOF or past the deadline. */
  private boolean fill(long deadlineNanos) throws IOException {
    if (eof) {
      return false;
    }
    long leftMs = (deadlineNanos - System.nanoTime()) / 1_000_000;
    if (leftMs <= 0) {
      return false;
    }
    socket.setSoTimeout((int) leftMs);
    byte[] chunk = new byte[8192];
    try {
      int n = in.read(chunk);
      if (n < 0) {
        eof = true;
        return false;
      }
      buffered.write(chunk, 0, n);
      return true;
    } catch (SocketTimeoutException e) {
      return false;
    } catch (SocketException e) { // reset by the server: closed
      eof = true;
      return false;
    }
  }

  private static int indexOf(byte[] bytes, String text) {
    byte[] needle = text.getBytes(StandardCharsets.ISO_8859_1);
    outer:
    for (int i = 0; i <= bytes.length - needle.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (bytes[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }
}
