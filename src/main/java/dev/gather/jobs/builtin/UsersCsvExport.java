package dev.gather.jobs.builtin;

import dev.gather.db.Page;
import dev.gather.jobs.handler.JobContext;
import dev.gather.jobs.handler.JobHandler;
import dev.gather.jobs.handler.JobPool;
import dev.gather.users.User;
import dev.gather.users.UserRepository;
import io.vertx.core.json.JsonObject;
import java.io.BufferedWriter;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Writes every user to a CSV file in jobs.filesDir, one keyset page at a time, so memory stays at one batch
 * however many users there are. Readers never see a half-written file: it gets its name only when complete.
 */
public final class UsersCsvExport implements JobHandler {
  private static final Pattern FILE_NAME = Pattern.compile("[A-Za-z0-9._-]{1,100}");
  private static final int MAX_BATCH = 5000;
  private static final int DEFAULT_BATCH = 1000;
  private static final long DB_TIMEOUT_MS = 30_000;
  private static final String HEADER = "id,email,name,created_at,updated_at";
  /** RFC 4180 ends records with CRLF; spreadsheet programs expect it. */
  private static final String EOL = "\r\n";
  /** RFC 4180's type, with the header row present (RFC 4180 section 3) and the charset written. */
  private static final String CONTENT_TYPE = "text/csv; charset=utf-8; header=present";

  private record Params(Optional<String> file, int batchSize) {}

  @Override
  public String name() {
    return "users.export";
  }

  @Override
  public JobPool pool() {
    return JobPool.BLOCKING;
  }

  @Override
  public void validate(JsonObject input) {
    params(input);
  }

  @Override
  public JsonObject run(JobContext context) throws Exception {
    Params params = Inputs.forRun(() -> params(context.input()));
    String name = params.file().orElseGet(() -> defaultName(context));
    Path dir = context.filesDir();
    Path target = dir.resolve(name).toAbsolutePath();
    // Same directory, so the final move is a rename; the leading dot keeps it from clashing with any valid name.
    Path temp = Files.createTempFile(dir, "." + name + ".", ".part");
    try {
      long rows = write(temp, params.batchSize(), context);
      context.throwIfCancelled();
      Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
      // "file" and "contentType" are what GET /jobs/{id}/file serves (see JobFiles).
      return new JsonObject().put("file", target.toString()).put("contentType", CONTENT_TYPE).put("rows", rows)
          .put("bytes", Files.size(target));
    } catch (Throwable e) {
      try {
        Files.deleteIfExists(temp);
      } catch (IOException cleanup) {
        e.addSuppressed(cleanup);
      }
      throw e;
    }
  }

  private static long write(Path temp, int batchSize, JobContext context) throws Exception {
    UserRepository users = new UserRepository(context.database(), DB_TIMEOUT_MS);
    long rows = 0;
    try (FileOutputStream file = new FileOutputStream(temp.toFile());
        Writer out = new BufferedWriter(new OutputStreamWriter(file, StandardCharsets.UTF_8), 1 << 16)) {
      out.write(HEADER);
      out.write(EOL);
      long after = 0;
      while (true) {
        context.throwIfCancelled();
        long from = after;
        Page<User> page = context.await(() -> users.list(from, batchSize), DB_TIMEOUT_MS);
        for (User user : page.items()) {
          writeRow(out, user);
          rows++;
        }
        if (page.next().isEmpty()) {
          break;
        }
        after = page.next().get();
      }
      out.flush();
      // Without this a crash right after the rename could leave the final name on an empty or partial file.
      file.getFD().sync();
    }
    return rows;
  }

  private static void writeRow(Writer out, User user) throws IOException {
    out.write(Long.toString(user.id()));
    out.write(',');
    out.write(field(user.email()));
    out.write(',');
    out.write(field(user.name()));
    out.write(',');
    out.write(user.createdAt().toString());
    out.write(',');
    out.write(user.updatedAt().toString());
    out.write(EOL);
  }

  /** RFC 4180: quote a field holding a comma, quote, CR or LF, and double the quotes inside it. */
  static String field(String value) {
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c == ',' || c == '"' || c == '\r' || c == '\n') {
        return '"' + value.replace("\"", "\"\"") + '"';
      }
    }
    return value;
  }

  private static String defaultName(JobContext context) {
    long suffix = context.jobId().isPresent() ? context.jobId().getAsLong() : System.currentTimeMillis();
    return "users-" + suffix + ".csv";
  }

  private static Params params(JsonObject input) {
    Optional<String> file = Inputs.optionalString(input, "file");
    if (file.isPresent() && (!FILE_NAME.matcher(file.get()).matches() || file.get().startsWith("."))) {
      throw new IllegalArgumentException("file must be a plain file name of 1 to 100 characters from A-Z, a-z, 0-9,"
          + " '.', '_' and '-', not starting with '.' (e.g. users.csv); leave it out for users-<job id>.csv");
    }
    int batchSize = (int) Inputs.optionalInteger(input, "batchSize", 1, MAX_BATCH).orElse(DEFAULT_BATCH);
    return new Params(file, batchSize);
  }
}
