package dev.gather.plan;

import dev.gather.config.AggregateConfig;
import dev.gather.config.SourceConfig;
import dev.gather.config.UpstreamConfig;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * How one aggregate runs, as {@code AggregateRun} runs it: every source starts as soon as the sources it waits
 * for have finished, and each call gets the smaller of its own timeout and what is left of the deadline. Stages
 * group the sources by how long a chain of waits lies before them (stage 1 waits for nothing), so the sources of
 * a stage run concurrently. The worst case assumes every call takes its whole timeout: it shows which sources
 * the deadline can cut short, or leave unstarted.
 */
public final class ExecutionPlan {

  /** One source's place in the plan; times are ms after the request arrived, in the worst case. */
  public record Step(SourceConfig source, int stage, String call, long timeoutMs, String timeoutKey,
      String resilience, long worstStartMs, long worstEndMs) {
    public boolean neverStarts(long deadlineMs) {
      return worstStartMs >= deadlineMs;
    }
  }

  private final AggregateConfig aggregate;
  private final List<Step> steps;
  private final List<String> longestChain;
  private final long longestChainMs;

  private ExecutionPlan(AggregateConfig aggregate, List<Step> steps, List<String> longestChain, long longestChainMs) {
    this.aggregate = aggregate;
    this.steps = steps;
    this.longestChain = longestChain;
    this.longestChainMs = longestChainMs;
  }

  /** {@code queryTimeoutMs} bounds SQL sources as {@code db.queryTimeoutMs} does. */
  public static ExecutionPlan of(AggregateConfig aggregate, Map<String, UpstreamConfig> upstreams,
      long queryTimeoutMs) {
    Map<String, Step> byName = new HashMap<>();
    Map<String, Long> chainMs = new HashMap<>();
    Map<String, String> chainBefore = new HashMap<>();
    List<Step> steps = new ArrayList<>();
    long deadline = aggregate.deadlineMs();
    for (SourceConfig source : aggregate.sources()) { // dependency order: what it waits for is placed already
      int stage = 1;
      long start = 0;
      long chain = 0;
      for (String dependency : source.dependencies()) {
        Step before = byName.get(dependency);
        if (before == null) {
          continue; // a config with this mistake does not load; nothing to plan
        }
        stage = Math.max(stage, before.stage() + 1);
        start = Math.max(start, before.worstEndMs());
        if (chainMs.get(dependency) > chain) {
          chain = chainMs.get(dependency);
          chainBefore.put(source.name(), dependency);
        }
      }
      Step step = step(aggregate.name(), source, stage, start, deadline, upstreams, queryTimeoutMs);
      byName.put(source.name(), step);
      chainMs.put(source.name(), chain + step.timeoutMs());
      steps.add(step);
    }
    // The deepest chain of waits (most timeouts first among equals): what a deadline has to cover.
    String last = null;
    for (Step step : steps) {
      String name = step.source().name();
      if (last == null || step.stage() > byName.get(last).stage()
          || step.stage() == byName.get(last).stage() && chainMs.get(name) > chainMs.get(last)) {
        last = name;
      }
    }
    List<String> chain = new ArrayList<>();
    for (String at = last; at != null; at = chainBefore.get(at)) {
      chain.add(0, at);
    }
    return new ExecutionPlan(aggregate, List.copyOf(steps), List.copyOf(chain), last == null ? 0 : chainMs.get(last));
  }

  private static Step step(String aggregate, SourceConfig source, int stage, long start, long deadline,
      Map<String, UpstreamConfig> upstreams, long queryTimeoutMs) {
    String call;
    long timeout;
    String timeoutKey;
    String resilience = "";
    if (source.upstream().isPresent()) {
      UpstreamConfig upstream = upstreams.get(source.upstream().get());
      call = source.method() + " " + source.upstream().get() + " " + source.path().text();
      boolean own = source.timeoutMs() != SourceConfig.UPSTREAM_TIMEOUT;
      timeout = own ? source.timeoutMs() : upstream.timeoutMs();
      timeoutKey = own ? "aggregates." + aggregate + ".sources." + source.name() + ".timeoutMs"
          : "upstreams." + upstream.name() + ".timeoutMs";
      resilience = resilience(upstream, source.method());
    } else {
      call = "query " + source.query().orElse("?");
      timeout = queryTimeoutMs;
      timeoutKey = "db.queryTimeoutMs";
    }
    if (source.forEach().isPresent()) {
      var each = source.forEach().get();
      String list = each.source().map(s -> s + "." + String.join(".", each.path())).orElse(each.parameter());
      call += source.batch().map(b -> ", one call per " + b.max() + " items of " + list + " (in ?" + b.param()
          + "=, concurrently)").orElse(", once per item of " + list + " (concurrently)")
          + (source.maxItems() == SourceConfig.DEFAULT_MAX_ITEMS ? "" : ", at most " + source.maxItems() + " items");
    }
    long end = start >= deadline ? start : start + Math.min(timeout, deadline - start);
    return new Step(source, stage, call, timeout, timeoutKey, resilience, start, end);
  }

  private static String resilience(UpstreamConfig upstream, String method) {
    List<String> parts = new ArrayList<>();
    if (upstream.retry().retries(method)) {
      parts.add("up to " + (upstream.retry().retries() + 1) + " tries of at most " + upstream.retry().tryTimeoutMs()
          + " ms each, within the timeout");
    }
    if (upstream.hedge().adaptive()) {
      parts.add("a second copy after the upstream's p95");
    } else {
      upstream.hedge().afterMs().ifPresent(ms -> parts.add("a second copy after " + ms + " ms"));
    }
    return String.join("; ", parts);
  }

  public List<Step> steps() {
    return steps;
  }

  /** Stage number to the sources in it, in the aggregate's order. */
  public Map<Integer, List<String>> stages() {
    Map<Integer, List<String>> stages = new TreeMap<>();
    steps.forEach(s -> stages.computeIfAbsent(s.stage(), n -> new ArrayList<>()).add(s.source().name()));
    return stages;
  }

  /** The deepest chain of waits (the most timeouts among equals), first source first. */
  public List<String> longestChain() {
    return longestChain;
  }

  public String render() {
    long deadline = aggregate.deadlineMs();
    StringBuilder out = new StringBuilder();
    out.append("aggregate ").append(aggregate.name()).append(": ").append(aggregate.method()).append(' ')
        .append(aggregate.path()).append(", deadline ").append(deadline).append(" ms\n");
    stages().forEach((stage, names) -> out.append("  stage ").append(stage).append(": ")
        .append(String.join(", ", names)).append(names.size() > 1 ? " (concurrently)" : "").append('\n'));
    int width = steps.stream().mapToInt(s -> s.source().name().length()).max().orElse(0);
    for (Step step : steps) {
      SourceConfig source = step.source();
      out.append("  ").append(String.format("%-" + width + "s", source.name())).append("  waits for ")
          .append(source.dependencies().isEmpty() ? "nothing" : String.join(", ", source.dependencies()))
          .append("; ").append(step.call()).append(source.required() ? ", required" : ", optional")
          .append(source.when().map(when -> ", only when " + when.text()).orElse(""))
          .append(source.fallback().map(value -> ", else " + value).orElse(""))
          .append("\n  ").append(" ".repeat(width)).append("  timeout ").append(step.timeoutMs()).append(" ms (")
          .append(step.timeoutKey()).append(')');
      if (!step.resilience().isEmpty()) {
        out.append("; ").append(step.resilience());
      }
      out.append("; worst case ");
      if (step.neverStarts(deadline)) {
        out.append("never starts: the deadline passes while it waits");
      } else {
        out.append(step.worstStartMs()).append('-').append(step.worstEndMs()).append(" ms");
        long left = deadline - step.worstStartMs();
        if (left < step.timeoutMs()) {
          out.append(", cut to the ").append(left).append(" ms left of the deadline");
        }
      }
      out.append('\n');
    }
    out.append("  longest chain: ").append(String.join(" -> ", longestChain)).append(", ").append(longestChainMs)
        .append(" ms of timeouts");
    out.append(longestChainMs > deadline
        ? " against a " + deadline + " ms deadline: the deadline, not the timeouts, bounds it\n"
        : " within the " + deadline + " ms deadline (" + (deadline - longestChainMs) + " ms to spare)\n");
    out.append("  answer at the latest ").append(steps.stream().mapToLong(Step::worstEndMs).max().orElse(0))
        .append(" ms after the request arrives\n");
    return out.toString();
  }

  /** Every aggregate's plan, in name order. */
  public static String renderAll(Map<String, AggregateConfig> aggregates, Map<String, UpstreamConfig> upstreams,
      long queryTimeoutMs) {
    StringBuilder out = new StringBuilder();
    new TreeMap<>(aggregates).values().forEach(a -> out.append(of(a, upstreams, queryTimeoutMs).render()));
    return out.toString();
  }

}
