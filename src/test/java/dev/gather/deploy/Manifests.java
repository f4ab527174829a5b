package dev.gather.deploy;

import dev.gather.config.ConfigKey;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.yaml.snakeyaml.Yaml;

/**
 * The deployment files as data: docker/compose.yaml, the k8s/ manifests, and the configuration that gather would
 * actually run with in each (config file, then the image's environment, then the container's), built exactly as
 * ConfigLoader layers them, so that GatherConfig.from, the real validator, can judge it.
 */
final class Manifests {
  static final Path ROOT = Path.of("").toAbsolutePath();
  static final Path DOCKER = ROOT.resolve("docker");
  static final Path K8S = ROOT.resolve("k8s");
  static final Path BASE = K8S.resolve("base");

  private Manifests() {}

  // ---- YAML as maps and lists ----

  static List<Object> yamlDocuments(Path file) throws IOException {
    List<Object> docs = new ArrayList<>();
    try (Reader in = Files.newBufferedReader(file)) {
      for (Object doc : new Yaml().loadAll(in)) {
        if (doc != null) {
          docs.add(doc);
        }
      }
    }
    return docs;
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> map(Object value) {
    return value instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
  }

  @SuppressWarnings("unchecked")
  static List<Object> list(Object value) {
    return value instanceof List<?> l ? (List<Object>) l : List.of();
  }

  /** {@code at(obj, "spec", "template", "spec")}: nested maps, an empty map where a level is missing. */
  static Map<String, Object> at(Map<String, Object> node, String... keys) {
    Map<String, Object> current = node;
    for (String key : keys) {
      current = map(current.get(key));
    }
    return current;
  }

  static String text(Object value) {
    return value == null ? null : String.valueOf(value);
  }

  static List<Path> files(Path dir) throws IOException {
    try (Stream<Path> walk = Files.walk(dir)) {
      return walk.filter(Files::isRegularFile).sorted().toList();
    }
  }

  // ---- Kubernetes ----

  /** Every object of the files the base kustomization lists, in order. */
  static List<Map<String, Object>> baseObjects() throws IOException {
    List<Map<String, Object>> objects = new ArrayList<>();
    for (Object resource : list(kustomization(BASE).get("resources"))) {
      for (Object doc : yamlDocuments(BASE.resolve(String.valueOf(resource)))) {
        objects.add(map(doc));
      }
    }
    return objects;
  }

  static Map<String, Object> kustomization(Path dir) throws IOException {
    return map(yamlDocuments(dir.resolve("kustomization.yaml")).get(0));
  }

  static Map<String, Object> object(List<Map<String, Object>> objects, String kind, String name) {
    return objects.stream()
        .filter(o -> kind.equals(o.get("kind")) && name.equals(at(o, "metadata").get("name")))
        .findFirst()
        .orElseThrow(() -> new AssertionError("k8s/base has no " + kind + " named " + name));
  }

  static Map<String, Object> podSpec(Map<String, Object> deployment) {
    return at(deployment, "spec", "template", "spec");
  }

  static Map<String, Object> container(Map<String, Object> deployment, String name) {
    return list(podSpec(deployment).get("containers")).stream().map(Manifests::map)
        .filter(c -> name.equals(c.get("name")))
        .findFirst()
        .orElseThrow(() -> new AssertionError("Deployment " + at(deployment, "metadata").get("name")
            + " has no container named " + name));
  }

  /** A probe's or Service's port, by name or number, as the container's port number. */
  static int containerPort(Map<String, Object> container, Object port) {
    if (port instanceof Integer number) {
      return number;
    }
    return list(container.get("ports")).stream().map(Manifests::map)
        .filter(p -> String.valueOf(port).equals(p.get("name")))
        .map(p -> (Integer) p.get("containerPort"))
        .findFirst()
        .orElseThrow(() -> new AssertionError("container " + container.get("name") + " has no port named " + port));
  }

  /** The value after {@code flag} in a command or argument list, e.g. the FILE of {@code --conf FILE}. */
  static Optional<String> argument(List<Object> args, String flag) {
    for (int i = 0; i + 1 < args.size(); i++) {
      if (flag.equals(String.valueOf(args.get(i)))) {
        return Optional.of(String.valueOf(args.get(i + 1)));
      }
    }
    return Optional.empty();
  }

  /**
   * The environment the gather container gets from its manifest; a Secret's value comes from
   * k8s/secret.example.yaml, which documents the Secret an operator creates.
   */
  static Map<String, String> kubernetesEnv(Map<String, Object> container) throws IOException {
    Map<String, String> env = new LinkedHashMap<>();
    for (Object item : list(container.get("env"))) {
      Map<String, Object> e = map(item);
      String name = String.valueOf(e.get("name"));
      if (e.containsKey("value")) {
        env.put(name, text(e.get("value")));
        continue;
      }
      Map<String, Object> secretRef = at(e, "valueFrom", "secretKeyRef");
      if (!secretRef.isEmpty()) {
        env.put(name, exampleSecretValue(String.valueOf(secretRef.get("name")), String.valueOf(secretRef.get("key"))));
        continue;
      }
      throw new AssertionError("env " + name + " of container " + container.get("name")
          + ": only value and secretKeyRef are understood by this test");
    }
    return env;
  }

  static String exampleSecretValue(String secret, String key) throws IOException {
    for (Object doc : yamlDocuments(K8S.resolve("secret.example.yaml"))) {
      Map<String, Object> o = map(doc);
      if ("Secret".equals(o.get("kind")) && secret.equals(at(o, "metadata").get("name"))) {
        Object value = at(o, "stringData").get(key);
        if (value != null) {
          return String.valueOf(value);
        }
      }
    }
    throw new AssertionError("k8s/secret.example.yaml documents no key " + key + " of Secret " + secret);
  }

  /** The config file the gather container reads: --conf, the volume mounted there, the generated ConfigMap. */
  static Path kubernetesConfigFile(Map<String, Object> deployment, Map<String, Object> container) throws IOException {
    String conf = argument(list(container.get("args")), "--conf")
        .orElseThrow(() -> new AssertionError("the gather container's args lack --conf FILE"));
    Path confPath = Path.of(conf);
    Map<String, Object> mount = list(container.get("volumeMounts")).stream().map(Manifests::map)
        .filter(m -> confPath.getParent().equals(Path.of(String.valueOf(m.get("mountPath")))))
        .findFirst()
        .orElseThrow(() -> new AssertionError("--conf " + conf + ": no volume is mounted at " + confPath.getParent()));
    Map<String, Object> volume = list(podSpec(deployment).get("volumes")).stream().map(Manifests::map)
        .filter(v -> mount.get("name").equals(v.get("name")))
        .findFirst()
        .orElseThrow(() -> new AssertionError("volumeMount " + mount.get("name") + " has no volume"));
    String configMap = String.valueOf(at(volume, "configMap").get("name"));
    String key = confPath.getFileName().toString();
    for (Object generator : list(kustomization(BASE).get("configMapGenerator"))) {
      Map<String, Object> g = map(generator);
      if (configMap.equals(g.get("name"))) {
        for (Object file : list(g.get("files"))) {
          String entry = String.valueOf(file);
          String fileKey = entry.contains("=") ? entry.substring(0, entry.indexOf('=')) : Path.of(entry).getFileName().toString();
          if (fileKey.equals(key)) {
            return BASE.resolve(entry.contains("=") ? entry.substring(entry.indexOf('=') + 1) : entry);
          }
        }
        throw new AssertionError("ConfigMap " + configMap + " has no key " + key + " (--conf " + conf + ")");
      }
    }
    throw new AssertionError("--conf " + conf + " is in volume " + mount.get("name") + ", ConfigMap " + configMap
        + ", which no configMapGenerator of k8s/base/kustomization.yaml makes");
  }

  // ---- docker/compose.yaml ----

  static Map<String, Object> compose() throws IOException {
    return map(yamlDocuments(DOCKER.resolve("compose.yaml")).get(0));
  }

  static Map<String, Object> service(Map<String, Object> compose, String name) {
    Map<String, Object> service = at(compose, "services", name);
    if (service.isEmpty()) {
      throw new AssertionError("docker/compose.yaml has no service " + name);
    }
    return service;
  }

  static Map<String, String> composeEnv(Map<String, Object> service) {
    Map<String, String> env = new LinkedHashMap<>();
    Object environment = service.get("environment");
    if (environment instanceof Map<?, ?> m) {
      m.forEach((k, v) -> env.put(String.valueOf(k), v == null ? "" : String.valueOf(v)));
    } else {
      for (Object item : list(environment)) {
        String s = String.valueOf(item);
        int eq = s.indexOf('=');
        env.put(eq < 0 ? s : s.substring(0, eq), eq < 0 ? "" : s.substring(eq + 1));
      }
    }
    return env;
  }

  /** The host file bind-mounted where the service's --conf points. */
  static Path composeConfigFile(Map<String, Object> service) {
    String conf = argument(list(service.get("command")), "--conf")
        .orElseThrow(() -> new AssertionError("compose service gather: its command lacks --conf FILE"));
    for (Object volume : list(service.get("volumes"))) {
      String[] parts = String.valueOf(volume).split(":");
      if (parts.length >= 2 && parts[1].equals(conf)) {
        return DOCKER.resolve(parts[0]).normalize();
      }
    }
    throw new AssertionError("compose service gather reads --conf " + conf + ", but no volume is mounted there");
  }

  // ---- the configuration gather runs with ----

  /**
   * The file's tree with each GATHER_* variable applied, as ConfigLoader does; a variable that names no key fails,
   * since ConfigLoader would silently ignore it.
   */
  static JsonObject effectiveConfig(Path file, Map<String, Map<String, String>> environments) throws IOException {
    JsonObject tree = new JsonObject(Files.readString(file));
    for (Map.Entry<String, Map<String, String>> layer : environments.entrySet()) {
      layer.getValue().forEach((name, value) -> {
        if (!name.startsWith("GATHER_")) {
          return;
        }
        ConfigKey key = keyOf(name).orElseThrow(() -> new AssertionError(layer.getKey() + ": " + name
            + " is no configuration key, so gather ignores it"));
        JsonObject node = tree;
        String[] parts = key.path().split("\\.");
        for (int i = 0; i < parts.length - 1; i++) {
          if (!(node.getValue(parts[i]) instanceof JsonObject)) {
            node.put(parts[i], new JsonObject());
          }
          node = node.getJsonObject(parts[i]);
        }
        node.put(parts[parts.length - 1], value);
      });
    }
    return tree;
  }

  static Optional<ConfigKey> keyOf(String envName) {
    return Stream.of(ConfigKey.values()).filter(k -> k.envName().equals(envName)).findFirst();
  }

  /** Only the image's GATHER_* variables (JAVA_OPTS and the like are no configuration). */
  static Map<String, String> gatherOnly(Map<String, String> env) {
    Map<String, String> out = new LinkedHashMap<>();
    env.forEach((k, v) -> {
      if (k.startsWith("GATHER_")) {
        out.put(k, v);
      }
    });
    return out;
  }
}
