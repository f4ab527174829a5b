package dev.gather.jobs.run;

import dev.gather.config.ConfigKey;
import dev.gather.jobs.handler.PermanentJobFailure;

/**
 * The bound on a stored result (jobs.maxResultBytes), checked on the runner's worker thread where the result is
 * encoded anyway. A result over it fails the job for good rather than being retried: a handler that returned too
 * much will most likely return as much again, and each retry would redo all its work for nothing.
 */
final class ResultLimit {
  private ResultLimit() {}

  /** @throws PermanentJobFailure when {@code json} takes more than {@code maxBytes} bytes in UTF-8 */
  static void check(String json, long maxBytes) {
    // A UTF-16 char is at most 3 bytes in UTF-8 (a surrogate pair, two chars, is 4): short results need no count.
    if (json.length() <= maxBytes / 3) {
      return;
    }
    long bytes = utf8Bytes(json);
    if (bytes > maxBytes) {
      throw new PermanentJobFailure("result too large: " + bytes + " bytes of JSON, more than "
          + ConfigKey.JOBS_MAX_RESULT_BYTES.path() + " (" + maxBytes + "); write large output to a file in "
          + ConfigKey.JOBS_FILES_DIR.path() + " and return its name as \"file\" (GET /jobs/{id}/file serves it), "
          + "or raise " + ConfigKey.JOBS_MAX_RESULT_BYTES.path());
    }
  }

  static long utf8Bytes(String s) {
    long bytes = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x80) {
        bytes += 1;
      } else if (c < 0x800) {
        bytes += 2;
      } else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
        bytes += 4;
        i++;
      } else {
        bytes += 3; // a lone surrogate: 3 is the most any encoder writes for it, so the bound still holds
      }
    }
    return bytes;
  }
}
