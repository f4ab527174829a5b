package dev.gather.deploy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/** docker/Dockerfile read into its stages and instructions: just enough of the format for the deployment checks. */
final class Dockerfile {
  record Instruction(int line, String keyword, String arguments) {}

  record Stage(String image, String name, List<Instruction> instructions) {
    List<Instruction> all(String keyword) {
      return instructions.stream().filter(i -> i.keyword().equals(keyword)).toList();
    }

    Optional<Instruction> last(String keyword) {
      List<Instruction> found = all(keyword);
      return found.isEmpty() ? Optional.empty() : Optional.of(found.get(found.size() - 1));
    }

    /** Every ENV of the stage, in order (later ones win), key=value or key value form. */
    Map<String, String> env() {
      Map<String, String> env = new LinkedHashMap<>();
      for (Instruction i : all("ENV")) {
        List<String> words = words(i.arguments());
        if (words.size() >= 2 && !words.get(0).contains("=")) {
          env.put(words.get(0), i.arguments().substring(i.arguments().indexOf(words.get(0)) + words.get(0).length()).trim());
          continue;
        }
        for (String word : words) {
          int eq = word.indexOf('=');
          if (eq <= 0) {
            throw new IllegalStateException("Dockerfile line " + i.line() + ": cannot read ENV " + i.arguments());
          }
          env.put(word.substring(0, eq), word.substring(eq + 1));
        }
      }
      return env;
    }
  }

  final List<Stage> stages;

  private Dockerfile(List<Stage> stages) {
    this.stages = stages;
  }

  static Dockerfile read(Path file) throws IOException {
    List<String> lines = Files.readAllLines(file);
    List<Stage> stages = new ArrayList<>();
    List<Instruction> current = null;
    StringBuilder pending = new StringBuilder();
    int start = 0;
    for (int n = 0; n < lines.size(); n++) {
      String line = lines.get(n);
      String trimmed = line.trim();
      if (pending.length() == 0 && (trimmed.isEmpty() || trimmed.startsWith("#"))) {
        continue;
      }
      if (pending.length() > 0 && trimmed.startsWith("#")) {
        continue; // a comment inside a continued instruction
      }
      if (pending.length() == 0) {
        start = n + 1;
      }
      if (trimmed.endsWith("\\")) {
        pending.append(trimmed, 0, trimmed.length() - 1).append(' ');
        continue;
      }
      pending.append(trimmed);
      String text = pending.toString().trim();
      pending.setLength(0);
      int space = text.indexOf(' ');
      String keyword = (space < 0 ? text : text.substring(0, space)).toUpperCase(Locale.ROOT);
      String arguments = space < 0 ? "" : text.substring(space + 1).trim();
      if (keyword.equals("FROM")) {
        List<String> words = words(arguments);
        String name = words.size() >= 3 && words.get(1).equalsIgnoreCase("AS") ? words.get(2) : null;
        current = new ArrayList<>();
        stages.add(new Stage(words.get(0), name, current));
      } else if (current != null) {
        current.add(new Instruction(start, keyword, arguments));
      }
    }
    return new Dockerfile(stages);
  }

  Stage last() {
    return stages.get(stages.size() - 1);
  }

  Optional<Stage> stage(String name) {
    return stages.stream().filter(s -> name.equals(s.name())).findFirst();
  }

  /** Shell-like words: whitespace separates, double quotes group (and are removed). */
  static List<String> words(String text) {
    List<String> words = new ArrayList<>();
    StringBuilder word = new StringBuilder();
    boolean quoted = false;
    boolean any = false;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '"') {
        quoted = !quoted;
        any = true;
      } else if (Character.isWhitespace(c) && !quoted) {
        if (any) {
          words.add(word.toString());
          word.setLength(0);
          any = false;
        }
      } else {
        word.append(c);
        any = true;
      }
    }
    if (any) {
      words.add(word.toString());
    }
    return words;
  }
}
