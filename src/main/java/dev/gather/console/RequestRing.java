package dev.gather.console;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The last requests of each aggregate, for the console's waterfalls: a fixed ring per aggregate, shared by every
 * HTTP instance, written without locks. Requests are recorded only while someone watches (a console page holds a
 * live stream open): otherwise {@link #recording()} is false and an aggregate request pays one volatile read, no
 * allocation, nothing built.
 */
public final class RequestRing {
  private final int capacity;
  private final Map<String, Slots> byAggregate = new ConcurrentHashMap<>();
  private final AtomicLong seq = new AtomicLong();
  private final AtomicInteger watchers = new AtomicInteger();

  public RequestRing(int capacity) {
    this.capacity = capacity;
  }

  /** Whether a request should be recorded: some console page is open. */
  public boolean recording() {
    return watchers.get() > 0;
  }

  /** One more watcher, unless {@code max} already watch. */
  boolean tryWatch(int max) {
    while (true) {
      int now = watchers.get();
      if (now >= max) {
        return false;
      }
      if (watchers.compareAndSet(now, now + 1)) {
        return true;
      }
    }
  }

  void unwatch() {
    watchers.decrementAndGet();
  }

  int watchers() {
    return watchers.get();
  }

  /** Keeps a request, pushing out its aggregate's oldest one when the ring is full. */
  public void record(long atEpochMs, String aggregate, String requestId, int status, boolean complete, long ms,
      List<SourceTiming> sources) {
    long n = seq.incrementAndGet();
    // The aggregates are those of the config, so this map stays as small as the config.
    byAggregate.computeIfAbsent(aggregate, name -> new Slots(capacity))
        .put(new RecordedRequest(n, atEpochMs, aggregate, requestId, status, complete, ms, List.copyOf(sources)));
  }

  /** The aggregate's kept requests, newest first. */
  public List<RecordedRequest> recent(String aggregate) {
    Slots slots = byAggregate.get(aggregate);
    if (slots == null) {
      return List.of();
    }
    List<RecordedRequest> all = slots.all();
    all.sort(Comparator.comparingLong(RecordedRequest::seq).reversed());
    return all;
  }

  /** Every kept request recorded after {@code after} (a {@link RecordedRequest#seq}), oldest first. */
  public List<RecordedRequest> since(long after) {
    List<RecordedRequest> newer = new ArrayList<>();
    for (Slots slots : byAggregate.values()) {
      for (RecordedRequest request : slots.all()) {
        if (request.seq() > after) {
          newer.add(request);
        }
      }
    }
    newer.sort(Comparator.comparingLong(RecordedRequest::seq));
    return newer;
  }

  /** The sequence number of the last request recorded; 0 before any. */
  public long lastSeq() {
    return seq.get();
  }

  private static final class Slots {
    private final AtomicReferenceArray<RecordedRequest> slots;
    private final AtomicLong next = new AtomicLong();

    Slots(int capacity) {
      slots = new AtomicReferenceArray<>(capacity);
    }

    void put(RecordedRequest request) {
      slots.set((int) (next.getAndIncrement() % slots.length()), request);
    }

    List<RecordedRequest> all() {
      List<RecordedRequest> all = new ArrayList<>(slots.length());
      for (int i = 0; i < slots.length(); i++) {
        RecordedRequest request = slots.get(i);
        if (request != null) {
          all.add(request);
        }
      }
      return all;
    }
  }
}
