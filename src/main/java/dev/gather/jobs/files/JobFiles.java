package dev.gather.jobs.files;

import io.vertx.core.http.MimeMapping;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The files that jobs write to jobs.filesDir. A job names its file in its result: {@code "file"} (a path, absolute
 * or relative to the directory; users.export stores the absolute one) and, optionally, {@code "contentType"}.
 * Nothing outside the directory is ever served or deleted, whatever a result says: a handler's result is data, and
 * a job whose input chose the name (or a symbolic link placed in the directory) must not reach other files.
 * The methods that touch the disk block: callers run them on a worker thread.
 */
public final class JobFiles {
  public static final String FILE_FIELD = "file";
  public static final String CONTENT_TYPE_FIELD = "contentType";
  private static final String DEFAULT_CONTENT_TYPE = "application/octet-stream";
  /** type/subtype with optional parameters, no line breaks: it goes into a response header as it is. */
  private static final Pattern CONTENT_TYPE = Pattern.compile("[\\w.+-]+/[\\w.+-]+(;[ \\x21-\\x7e]*)?");

  private final Path dir;

  /** {@code dir}: jobs.filesDir, absolute and normalised (as the config gives it). */
  public JobFiles(Path dir) {
    this.dir = dir;
  }

  /** A file a job produced, checked to be a regular file inside the directory. */
  public record Found(Path path, long bytes, String contentType, String name) {}

  /** Why there is nothing to serve; its message is the problem's detail. */
  public static final class NotServable extends Exception {
    NotServable(String message) {
      super(message, null, false, false);
    }
  }

  /** The file a result names, as recorded; empty when it names none. */
  public static Optional<String> named(JsonObject result) {
    return result != null && result.getValue(FILE_FIELD) instanceof String file && !file.isEmpty()
        ? Optional.of(file) : Optional.empty();
  }

  /** Blocking. The file {@code result} names, if it is inside the directory and there. */
  public Found find(long jobId, JsonObject result) throws NotServable {
    String recorded = named(result).orElseThrow(() -> new NotServable("job " + jobId + " wrote no file (its result has no \""
        + FILE_FIELD + "\")"));
    Path path = inside(recorded).orElseThrow(() -> new NotServable("job " + jobId + "'s file is not in jobs.filesDir of"
        + " this gather; files are served only from there (replicas should share one jobs.filesDir)"));
    try {
      // The real path, links resolved, must still be inside the real directory: a link cannot lead out of it.
      Path real = path.toRealPath();
      if (!real.startsWith(dir.toRealPath())) {
        throw new NotServable("job " + jobId + "'s file leads outside jobs.filesDir; it is not served");
      }
      BasicFileAttributes attributes = Files.readAttributes(real, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      if (!attributes.isRegularFile()) {
        throw new NotServable("job " + jobId + "'s file is not a regular file; it is not served");
      }
      String name = real.getFileName().toString();
      return new Found(real, attributes.size(), contentType(result, name), name);
    } catch (NoSuchFileException e) {
      throw new NotServable("job " + jobId + "'s file is gone (deleted, or written on a replica with another jobs.filesDir)");
    } catch (IOException e) {
      throw new NotServable("job " + jobId + "'s file cannot be read: " + e.getClass().getSimpleName());
    }
  }

  /**
   * Blocking. Deletes the file a deleted job named, if it is inside the directory (a link is removed, never what
   * it points to) and was not modified after {@code finished}, when the newest job naming it ended: a later write is
   * another job's. True when it was deleted.
   */
  public boolean deleteIfNotModifiedAfter(String recorded, java.time.Instant finished) throws IOException {
    Optional<Path> path = inside(recorded);
    if (path.isEmpty()) {
      return false;
    }
    try {
      BasicFileAttributes attributes = Files.readAttributes(path.get(), BasicFileAttributes.class,
          LinkOption.NOFOLLOW_LINKS);
      if (attributes.lastModifiedTime().toInstant().isAfter(finished)) {
        return false;
      }
    } catch (java.nio.file.NoSuchFileException e) {
      return false;
    }
    return Files.deleteIfExists(path.get());
  }

  /** The path, resolved against the directory and normalised, when it lies inside it ("..", absolute elsewhere: no). */
  Optional<Path> inside(String recorded) {
    try {
      Path path = dir.resolve(recorded).normalize();
      return path.startsWith(dir) && !path.equals(dir) ? Optional.of(path) : Optional.empty();
    } catch (java.nio.file.InvalidPathException e) {
      return Optional.empty();
    }
  }

  /** The type the result gives when it is a well-formed one, else the one its name's extension implies. */
  static String contentType(JsonObject result, String name) {
    if (result.getValue(CONTENT_TYPE_FIELD) instanceof String type && CONTENT_TYPE.matcher(type).matches()) {
      return type;
    }
    String byName = MimeMapping.mimeTypeForFilename(name);
    return byName == null ? DEFAULT_CONTENT_TYPE : byName;
  }
}
