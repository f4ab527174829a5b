package dev.gather.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gather.config.HostsConfig;
import dev.gather.time.ManualClock;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class HostPickerTest {
  private static final int EJECT_MS = 1_000;
  private static final int MAX_EJECT_MS = 3_500;

  private final ManualClock clock = new ManualClock();

  private HostPicker picker(int hosts, HostsConfig.Balance balance, int ejectAfter, int maxEjectedPercent) {
    List<URI> urls = new ArrayList<>();
    for (int i = 0; i < hosts; i++) {
      urls.add(URI.create("http://h" + i + ":80"));
    }
    return new HostPicker(urls, new HostsConfig(balance, ejectAfter, EJECT_MS, MAX_EJECT_MS, maxEjectedPercent,
        Optional.empty(), 5_000, 1_000, 10_000, 20, 50), clock);
  }

  private HostPicker threeHosts() {
    return picker(3, HostsConfig.Balance.LEAST_IN_FLIGHT, 2, 50);
  }

  /** Tries that each end at once, with the outcome given per host ("S" or "F"); returns the hosts picked. */
  private static String calls(HostPicker picker, int count, String outcomeByHost) {
    StringBuilder picked = new StringBuilder();
    for (int i = 0; i < count; i++) {
      HostPicker.Host host = picker.pick(Set.of());
      picked.append(host.index);
      picker.ended(host, outcomeByHost.charAt(host.index) == 'F' ? HostPicker.Outcome.FAILURE
          : HostPicker.Outcome.SUCCESS);
    }
    return picked.toString();
  }

  /** Fails {@code host} enough times in a row to be ejected (with ejectAfterFailures 2). */
  private static void failTwice(HostPicker picker, int host) {
    for (int i = 0; i < 2; i++) {
      HostPicker.Host h = picker.hosts().get(host);
      h.inFlight++;
      picker.ended(h, HostPicker.Outcome.FAILURE);
    }
  }

  private static String states(HostPicker picker) {
    StringBuilder states = new StringBuilder();
    for (HostPicker.Host host : picker.hosts()) {
      states.append(picker.state(host).name().charAt(0));
    }
    return states.toString();
  }

  @ParameterizedTest(name = "{0} with {1} hosts in flight → {2}")
  @CsvSource({
      "least-in-flight, '',     012012",
      "least-in-flight, 0,      121212",
      "least-in-flight, 00,     121212",
      "least-in-flight, 001,    222222",
      "round-robin,     '',     012012",
      "round-robin,     00,     012012",
  })
  void picksTheLeastBusyHostTakingTiesInTurnOrSimplyTheNextInTurn(String balance, String busy, String expected) {
    HostPicker picker = picker(3, balance.equals("round-robin") ? HostsConfig.Balance.ROUND_ROBIN
        : HostsConfig.Balance.LEAST_IN_FLIGHT, 5, 50);
    for (char host : busy.toCharArray()) {
      picker.hosts().get(host - '0').inFlight++;
    }

    assertEquals(expected, calls(picker, 6, "SSS"));
  }

  @ParameterizedTest(name = "ejectAfterFailures={1}: {0} → {2}")
  @CsvSource({
      "FFFF,  5, UUU",
      "FFFFF, 5, EUU",
      "FFFFSFFFF, 5, UUU",
      "FFFFSFFFFF, 5, EUU",
      "F, 1, EUU",
  })
  void ejectsAHostThatFailsSoManyTimesInARow(String outcomes, int ejectAfter, String expected) {
    HostPicker picker = picker(3, HostsConfig.Balance.LEAST_IN_FLIGHT, ejectAfter, 50);
    HostPicker.Host first = picker.hosts().get(0);
    for (char outcome : outcomes.toCharArray()) {
      first.inFlight++;
      picker.ended(first, outcome == 'F' ? HostPicker.Outcome.FAILURE : HostPicker.Outcome.SUCCESS);
    }

    assertEquals(expected, states(picker));
  }

  @Test
  void failuresThatAreNotTheHostsFaultNeitherCountNorBreakTheRow() {
    HostPicker picker = threeHosts();
    HostPicker.Host first = picker.hosts().get(0);
    for (HostPicker.Outcome outcome : List.of(HostPicker.Outcome.FAILURE, HostPicker.Outcome.NEITHER,
        HostPicker.Outcome.FAILURE)) {
      first.inFlight++;
      picker.ended(first, outcome);
    }

    assertEquals("EUU", states(picker));
  }

  @Test
  void anEjectedHostGetsNoTriesUntilItsTimeHasPassedThenComesBack() {
    HostPicker picker = threeHosts();
    failTwice(picker, 1);

    assertEquals("020202", calls(picker, 6, "SSS"));
    clock.advance(EJECT_MS - 1);
    assertEquals("EJECTED", picker.state(picker.hosts().get(1)).name());
    assertEquals(1, picker.msUntilBack(picker.hosts().get(1)));

    clock.advance(1);

    assertEquals("UUU", states(picker));
    assertEquals(Set.of('0', '1', '2'), chars(calls(picker, 6, "SSS")));
  }

  @ParameterizedTest(name = "ejection {0} lasts {1} ms")
  @CsvSource({"1, 1000", "2, 2000", "3, 3000", "4, 3500", "5, 3500"})
  void eachEjectionLastsLongerThanTheOneBeforeUpToMaxEjectMs(int ejection, long ms) {
    HostPicker picker = threeHosts();
    HostPicker.Host host = picker.hosts().get(0);
    for (int i = 1; i < ejection; i++) {
      failTwice(picker, 0);
      clock.advance(picker.msUntilBack(host));
      picker.pick(Set.of()).inFlight--; // a pick brings back the hosts whose time has passed
    }

    failTwice(picker, 0);

    assertEquals(ms, picker.msUntilBack(host));
  }

  @Test
  void aHostThatStayedInForMaxEjectMsStartsOverAtEjectMs() {
    HostPicker picker = threeHosts();
    HostPicker.Host host = picker.hosts().get(0);
    failTwice(picker, 0);
    clock.advance(EJECT_MS);
    picker.pick(Set.of()).inFlight--;
    failTwice(picker, 0);
    assertEquals(2 * EJECT_MS, picker.msUntilBack(host));
    clock.advance(2 * EJECT_MS);
    picker.pick(Set.of()).inFlight--;

    clock.advance(MAX_EJECT_MS);
    failTwice(picker, 0);

    assertEquals(EJECT_MS, picker.msUntilBack(host));
  }

  @ParameterizedTest(name = "{0} hosts, maxEjectedPercent {1}: all failing → {2}")
  @CsvSource({"3, 50, EUU", "4, 50, EEUU", "3, 100, EEE", "3, 0, UUU", "2, 50, EU", "1, 50, U"})
  void neverEjectsMoreThanMaxEjectedPercentOfTheHostsAtOnce(int hosts, int percent, String expected) {
    HostPicker picker = picker(hosts, HostsConfig.Balance.LEAST_IN_FLIGHT, 2, percent);
    for (int host = 0; host < hosts; host++) {
      failTwice(picker, host);
    }

    assertEquals(expected, states(picker));
  }

  @Test
  void aHostKeptInForLackOfRoomIsEjectedOnItsNextFailureOnceRoomHasFreed() {
    HostPicker picker = threeHosts();
    failTwice(picker, 0);
    failTwice(picker, 1);
    assertEquals("EUU", states(picker));

    clock.advance(EJECT_MS);
    failTwice(picker, 1);

    assertEquals("UEU", states(picker));
  }

  private static final int OUTLIER_WINDOW_MS = 10_000;

  /**
   * Ejection by failure share only: the consecutive-failures rule is set out of reach, and an ejection outlasts
   * the rounds of a test.
   */
  private HostPicker rateJudged(int hosts, int minRequests, int maxEjectedPercent) {
    return rateJudged(hosts, minRequests, maxEjectedPercent, 60_000);
  }

  private HostPicker rateJudged(int hosts, int minRequests, int maxEjectedPercent, int ejectMs) {
    List<URI> urls = new ArrayList<>();
    for (int i = 0; i < hosts; i++) {
      urls.add(URI.create("http://h" + i + ":80"));
    }
    return new HostPicker(urls, new HostsConfig(HostsConfig.Balance.LEAST_IN_FLIGHT, 1_000_000, ejectMs,
        ejectMs, maxEjectedPercent, Optional.empty(), 5_000, 1_000, OUTLIER_WINDOW_MS, minRequests, 50), clock);
  }

  /**
   * {@code rounds} rounds 100 ms apart, each ending one try on every host not ejected; host i fails its given
   * percentage of them, spread evenly (never so many in a row that the row alone would matter).
   */
  private void rounds(HostPicker picker, int rounds, int... failPercents) {
    for (int round = 0; round < rounds; round++) {
      for (int i = 0; i < failPercents.length; i++) {
        HostPicker.Host host = picker.hosts().get(i);
        if (picker.state(host) == HostPicker.State.EJECTED) {
          continue;
        }
        boolean fails = (round + 1) * failPercents[i] / 100 > round * failPercents[i] / 100;
        host.inFlight++;
        picker.ended(host, fails ? HostPicker.Outcome.FAILURE : HostPicker.Outcome.SUCCESS);
      }
      clock.advance(100);
    }
  }

  @ParameterizedTest(name = "failing {0} % over {1} tries each (outlierMinRequests {2}, maxEjectedPercent {3}) → {4}")
  @CsvSource({
      "'60,5,5',    40, 20, 50,  EUU",
      "'60,0,0',    40, 20, 50,  EUU",
      "'5,60,5',    40, 20, 50,  UEU",
      "'60,60,60',  40, 20, 50,  UUU",
      "'100,100',   40, 20, 50,  UU",
      "'60,40,40',  40, 20, 50,  UUU",
      "'40,5,5',    40, 20, 50,  UUU",
      "'60,5,5',    15, 20, 50,  UUU",
      "'60,5,5',    40, 50, 50,  UUU",
      "'60,60,5,5', 40, 20, 25,  EUUU",
      "'60,60,5,5', 40, 20, 50,  EEUU",
      "'60,5,5',    40, 20, 0,   UUU",
  })
  void ejectsAHostWhoseFailureShareIsFarAboveTheOthers(String failPercents, int tries, int minRequests,
      int maxEjectedPercent, String expected) {
    int[] percents = java.util.Arrays.stream(failPercents.split(",")).mapToInt(Integer::parseInt).toArray();
    HostPicker picker = rateJudged(percents.length, minRequests, maxEjectedPercent);

    rounds(picker, tries, percents);

    assertEquals(expected, states(picker));
  }

  @ParameterizedTest(name = "a pause of {0} ms between two halves of 15 tries → {1}")
  @CsvSource({"0, EUU", "10000, UUU"})
  void triesThatHaveLeftTheOutlierWindowNoLongerCount(long pauseMs, String expected) {
    HostPicker picker = rateJudged(3, 20, 50);
    rounds(picker, 15, 60, 5, 5);
    clock.advance(pauseMs);

    rounds(picker, 15, 60, 5, 5);

    assertEquals(expected, states(picker));
  }

  @Test
  void aHostEjectedForItsFailureShareComesBackJudgedOnlyByItsNewTries() {
    HostPicker picker = rateJudged(3, 20, 50, EJECT_MS); // back well within the window of its old tries
    rounds(picker, 25, 60, 5, 5);
    assertEquals("EUU", states(picker));
    clock.advance(picker.msUntilBack(picker.hosts().get(0)));
    picker.pick(Set.of()).inFlight--;

    rounds(picker, 19, 60, 5, 5);

    assertEquals("UUU", states(picker));
    assertEquals(1, picker.ejections(picker.hosts().get(0)));
  }

  @Test
  void aRetryPrefersAHostNotTriedYet() {
    HostPicker picker = threeHosts();
    HostPicker.Host first = picker.pick(Set.of());
    picker.ended(first, HostPicker.Outcome.FAILURE);

    HostPicker.Host second = picker.pick(Set.of(first));
    picker.ended(second, HostPicker.Outcome.FAILURE);
    HostPicker.Host third = picker.pick(Set.of(first, second));

    assertEquals(3, Set.of(first, second, third).size());
    assertEquals(3, chars(calls(picker, 0, "SSS") + first.index + second.index + third.index).size());
  }

  @Test
  void aRetryGoesBackToATriedHostWhenNoOtherIsUsable() {
    HostPicker picker = picker(2, HostsConfig.Balance.LEAST_IN_FLIGHT, 2, 50);
    failTwice(picker, 1);
    HostPicker.Host first = picker.pick(Set.of());
    picker.ended(first, HostPicker.Outcome.FAILURE);

    assertEquals(0, picker.pick(Set.of(first)).index);
  }

  @Test
  void whenEveryHostIsLeftOutAllAreUsedAgain() {
    HostPicker picker = picker(2, HostsConfig.Balance.LEAST_IN_FLIGHT, 2, 50);
    failTwice(picker, 0);
    picker.checked(picker.hosts().get(1), false);

    assertEquals("ED", states(picker));
    assertEquals(Set.of('0', '1'), chars(calls(picker, 4, "SS")));
  }

  @Test
  void aHostTheHealthCheckFindsDownIsLeftOutUntilItIsFoundUp() {
    HostPicker picker = threeHosts();
    picker.checked(picker.hosts().get(2), false);

    assertEquals("010101", calls(picker, 6, "SSS"));

    picker.checked(picker.hosts().get(2), true);

    assertEquals(Set.of('0', '1', '2'), chars(calls(picker, 6, "SSS")));
  }

  private static final URI NAMED = URI.create("http://svc.internal:8080");

  /** An upstream whose one URL names a host that DNS resolves (resolveEveryMs), ejecting after 2 failures. */
  private HostPicker resolving(int maxEjectedPercent) {
    return new HostPicker(List.of(NAMED), new HostsConfig(HostsConfig.Balance.LEAST_IN_FLIGHT, 2, EJECT_MS,
        MAX_EJECT_MS, maxEjectedPercent, Optional.empty(), 5_000, 1_000, 10_000, 20, 50, 1_000), clock);
  }

  private static List<String> labels(HostPicker picker) {
    return picker.hosts().stream().map(h -> h.label).toList();
  }

  @Test
  void aResolvedNameBecomesOneHostPerAddressEachCarryingTheName() {
    HostPicker picker = resolving(50);
    assertEquals(List.of("svc.internal:8080"), labels(picker));

    HostPicker.Change change = picker.resolved(NAMED, List.of("10.0.0.1", "10.0.0.2", "fd00::3"));

    assertEquals(List.of("10.0.0.1:8080", "10.0.0.2:8080", "[fd00::3]:8080"), labels(picker));
    assertEquals(List.of("svc.internal:8080"), change.removed().stream().map(h -> h.label).toList());
    assertEquals(3, change.added().size());
    picker.hosts().forEach(host -> assertEquals("svc.internal", host.name()));
    assertEquals("fd00::3", picker.hosts().get(2).host); // what the connection goes to: no brackets
    assertEquals(Set.of('0', '1', '2'), chars(positions(picker, 6)));
  }

  @Test
  void aNewAnswerAddsTheAddressesThatCameAndRemovesThoseThatWentWhileTheHostsThatStayKeepTheirState() {
    HostPicker picker = resolving(50);
    picker.resolved(NAMED, List.of("10.0.0.1", "10.0.0.2", "10.0.0.3"));
    HostPicker.Host first = picker.hosts().get(0);
    failTwice(picker, 0);
    assertEquals("EUU", states(picker));

    HostPicker.Change change = picker.resolved(NAMED, List.of("10.0.0.1", "10.0.0.3", "10.0.0.4"));

    assertEquals(List.of("10.0.0.1:8080", "10.0.0.3:8080", "10.0.0.4:8080"), labels(picker));
    assertEquals(List.of("10.0.0.2:8080"), change.removed().stream().map(h -> h.label).toList());
    assertEquals(List.of("10.0.0.4:8080"), change.added().stream().map(h -> h.label).toList());
    assertEquals(first, picker.hosts().get(0));
    assertEquals("EUU", states(picker));
    assertEquals(EJECT_MS, picker.msUntilBack(first));
    assertEquals(1, picker.ejections(first));
  }

  @Test
  void theSameAddressesInAnotherOrderChangeNothing() {
    HostPicker picker = resolving(50);
    picker.resolved(NAMED, List.of("10.0.0.1", "10.0.0.2"));
    List<HostPicker.Host> before = picker.hosts();

    assertTrue(picker.resolved(NAMED, List.of("10.0.0.2", "10.0.0.1")).none());
    assertEquals(before, picker.hosts());
  }

  @Test
  void noAddressesKeepTheLastKnownHosts() {
    HostPicker picker = resolving(50);
    assertTrue(picker.resolved(NAMED, List.of()).none());
    assertEquals(List.of("svc.internal:8080"), labels(picker));
    picker.resolved(NAMED, List.of("10.0.0.1", "10.0.0.2"));

    assertTrue(picker.resolved(NAMED, List.of()).none());

    assertEquals(List.of("10.0.0.1:8080", "10.0.0.2:8080"), labels(picker));
  }

  @Test
  void aTryInFlightOnAHostThatLeftEndsWithoutTouchingTheHostsThatAreLeft() {
    HostPicker picker = resolving(50);
    picker.resolved(NAMED, List.of("10.0.0.1", "10.0.0.2"));
    HostPicker.Host leaving = picker.pick(Set.of());
    picker.resolved(NAMED, List.of(leaving.host.equals("10.0.0.1") ? "10.0.0.2" : "10.0.0.1", "10.0.0.3"));
    assertTrue(!picker.hosts().contains(leaving));

    picker.ended(leaving, HostPicker.Outcome.FAILURE);
    picker.ended(leaving, HostPicker.Outcome.FAILURE); // late news of a gone host: counted on it alone

    assertEquals("UU", states(picker));
    picker.hosts().forEach(host -> assertEquals(0, picker.inFlight(host)));
    assertEquals(Set.of('0', '1'), chars(positions(picker, 4)));
  }

  @ParameterizedTest(name = "{0} addresses, maxEjectedPercent 50: all failing → {1}")
  @CsvSource({"2, EU", "4, EEUU"})
  void theShareOfHostsThatMayBeEjectedFollowsTheSetAsItChanges(int addresses, String expected) {
    HostPicker picker = resolving(50);
    List<String> all = new ArrayList<>();
    for (int i = 1; i <= addresses; i++) {
      all.add("10.0.0." + i);
    }
    picker.resolved(NAMED, all);

    for (int host = 0; host < addresses; host++) {
      failTwice(picker, host);
    }

    assertEquals(expected, states(picker));
  }

  @Test
  void anAddressThatIsAlreadyAHostThroughAnotherUrlIsNotAddedTwice() {
    URI literal = URI.create("http://10.0.0.1:8080");
    HostPicker picker = new HostPicker(List.of(literal, NAMED), new HostsConfig(HostsConfig.Balance.LEAST_IN_FLIGHT,
        2, EJECT_MS, MAX_EJECT_MS, 50, Optional.empty(), 5_000, 1_000, 10_000, 20, 50, 1_000), clock);

    picker.resolved(NAMED, List.of("10.0.0.1", "10.0.0.2"));

    assertEquals(List.of("10.0.0.1:8080", "10.0.0.2:8080"), labels(picker));
    assertEquals(null, picker.hosts().get(0).resolvedFrom);
  }

  /** Tries that each end at once in success; returns the positions in the current set of the hosts picked. */
  private static String positions(HostPicker picker, int count) {
    StringBuilder picked = new StringBuilder();
    for (int i = 0; i < count; i++) {
      HostPicker.Host host = picker.pick(Set.of());
      picked.append(picker.hosts().indexOf(host));
      picker.ended(host, HostPicker.Outcome.SUCCESS);
    }
    return picked.toString();
  }

  private static Set<Character> chars(String text) {
    Set<Character> set = new java.util.TreeSet<>();
    text.chars().forEach(c -> set.add((char) c));
    return set;
  }
}
