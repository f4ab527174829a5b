package dev.gather.fanout;

import dev.gather.failure.Failure;
import dev.gather.upstream.Answer;
import java.util.Map;
import java.util.OptionalLong;
import java.util.SortedMap;

/**
 * A forEach source that got data for some of its items and not for others (a batch answer without them, a
 * batch call that failed): the {@link Answer} is the list with {@code null} where an item has no data, and each
 * such item's own failure is kept by its index. Its kind is the first failed item's, its detail counts them.
 * The source reports the error (so the answer is not complete) and keeps the data of the items that came.
 */
final class ItemFailures extends Failure {
  /** How many failed items the detail names before it only counts. */
  private static final int NAMED = 3;

  private final Answer answer;
  private final SortedMap<Integer, Failure> items;
  private final int total;

  ItemFailures(Answer answer, SortedMap<Integer, Failure> items, int total) {
    super(items.get(items.firstKey()).kind(), answer.status(), detail(items, total), OptionalLong.empty());
    this.answer = answer;
    this.items = items;
    this.total = total;
  }

  private static String detail(SortedMap<Integer, Failure> items, int total) {
    StringBuilder detail = new StringBuilder().append(items.size()).append(" of ").append(total)
        .append(total == 1 ? " item" : " items").append(" failed: ");
    int named = 0;
    for (Map.Entry<Integer, Failure> item : items.entrySet()) {
      if (named == NAMED) {
        detail.append("; …");
        break;
      }
      detail.append(named == 0 ? "" : "; ").append("item ").append(item.getKey()).append(": ")
          .append(item.getValue().detail());
      named++;
    }
    return detail.toString();
  }

  /** The list, with null at each failed item. */
  Answer answer() {
    return answer;
  }

  /** Each failed item's failure, by its index in the list. */
  SortedMap<Integer, Failure> items() {
    return items;
  }

  /** The same failures over {@code replaced} (the list after the source's select). */
  ItemFailures with(Answer replaced) {
    return new ItemFailures(replaced, items, total);
  }
}
