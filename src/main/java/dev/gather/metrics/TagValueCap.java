package dev.gather.metrics;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.config.MeterFilter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A second line of defence behind labels that are bounded where they are made: per meter name and tag key, the
 * first {@code max} distinct values are kept and every later one is reported as {@value #OTHER}, so that no
 * mistake in a label can grow {@code /metrics} without bound. Filters run once per new meter id, not per
 * recording.
 */
public final class TagValueCap implements MeterFilter {
  public static final String OTHER = "_other";
  private final int max;
  private final Map<String, Set<String>> seen = new ConcurrentHashMap<>();

  public TagValueCap(int max) {
    this.max = max;
  }

  @Override
  public Meter.Id map(Meter.Id id) {
    List<Tag> tags = null;
    List<Tag> original = id.getTags();
    for (int i = 0; i < original.size(); i++) {
      Tag tag = original.get(i);
      if (!admits(id.getName(), tag)) {
        if (tags == null) {
          tags = new ArrayList<>(original);
        }
        tags.set(i, Tag.of(tag.getKey(), OTHER));
      }
    }
    return tags == null ? id : id.replaceTags(tags);
  }

  private boolean admits(String name, Tag tag) {
    Set<String> values = seen.computeIfAbsent(name + ' ' + tag.getKey(), key -> ConcurrentHashMap.newKeySet());
    if (values.contains(tag.getValue())) {
      return true;
    }
    synchronized (values) {
      if (values.size() < max) {
        values.add(tag.getValue());
      }
      return values.contains(tag.getValue());
    }
  }
}
