package dev.gather.jobs.handler;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.TreeMap;
import java.util.regex.Pattern;

/** Every job kind this process knows, found once at start with {@link ServiceLoader}. Immutable, so shared by all verticles. */
public final class JobHandlers {
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]{1,100}");

  private final Map<String, JobHandler> byName;

  private JobHandlers(Map<String, JobHandler> byName) {
    this.byName = Map.copyOf(byName);
  }

  /**
   * The handlers on the class path.
   *
   * @throws IllegalStateException naming the classes when two claim one name or a name is malformed
   */
  public static JobHandlers load() {
    return of(ServiceLoader.load(JobHandler.class).stream().map(ServiceLoader.Provider::get).toList());
  }

  public static JobHandlers of(Collection<JobHandler> handlers) {
    Map<String, JobHandler> byName = new TreeMap<>();
    List<String> problems = new ArrayList<>();
    for (JobHandler handler : handlers) {
      String name = handler.name();
      if (name == null || !NAME.matcher(name).matches()) {
        problems.add(handler.getClass().getName() + ": job kind name \"" + name
            + "\" must be 1-100 letters, digits, '.', '-' or '_'");
      } else if (handler.pool() == null) {
        problems.add(handler.getClass().getName() + ": pool() must be CPU or BLOCKING, not null");
      } else {
        JobHandler other = byName.putIfAbsent(name, handler);
        if (other != null) {
          problems.add("job kind \"" + name + "\" is claimed by both " + other.getClass().getName() + " and "
              + handler.getClass().getName());
        }
      }
    }
    if (!problems.isEmpty()) {
      throw new IllegalStateException("job handlers: " + String.join("; ", problems));
    }
    return new JobHandlers(byName);
  }

  public Optional<JobHandler> find(String kind) {
    return Optional.ofNullable(byName.get(kind));
  }

  /** Kind names in order, for error messages and the claim query. */
  public List<String> names() {
    return List.copyOf(new TreeMap<>(byName).keySet());
  }

  public List<String> names(JobPool pool) {
    return names().stream().filter(name -> byName.get(name).pool() == pool).toList();
  }
}
