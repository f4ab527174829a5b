package dev.gather.config;

import io.vertx.config.ConfigRetriever;
import io.vertx.config.ConfigRetrieverOptions;
import io.vertx.config.ConfigStoreOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * Loads the configuration in three layers, each overriding the one before: the JSON file, then
 * {@code GATHER_*} environment variables, then {@code -Dgather.*} system properties.
 */
public final class ConfigLoader {
  public static final Path DEFAULT_FILE = Path.of("conf", "config.json");
  private static final String ENV_PREFIX = "GATHER_";
  private static final String PROPERTY_PREFIX = "gather.";

  private ConfigLoader() {}

  /**
   * @param file the file named by {@code --conf}, or {@code null} for {@code conf/config.json}, which may be
   *     absent (then the built-in defaults apply)
   */
  public static Future<GatherConfig> load(Vertx vertx, Path file) {
    Path path = file == null ? DEFAULT_FILE : file;
    if (file != null && !Files.isRegularFile(file)) {
      return Future.failedFuture(new ConfigException(List.of(
          "--conf " + file + ": no such file; give the path of a JSON config file such as conf/config.json")));
    }
    ConfigRetrieverOptions options = new ConfigRetrieverOptions().setScanPeriod(-1).setIncludeDefaultStores(false);
    if (Files.isRegularFile(path)) {
      options.addStore(new ConfigStoreOptions().setType("file").setFormat("json")
          .setConfig(new JsonObject().put("path", path.toString())));
    }
    JsonArray envNames = new JsonArray(Stream.of(ConfigKey.values()).map(ConfigKey::envName).toList());
    options.addStore(new ConfigStoreOptions().setType("env")
        .setConfig(new JsonObject().put("keys", envNames).put("raw-data", true)));
    // Only gather's own properties: the JVM's (java.version, user.dir...) must not look like config sections.
    JsonObject properties = new JsonObject();
    System.getProperties().stringPropertyNames().stream()
        .filter(name -> name.startsWith(PROPERTY_PREFIX))
        .forEach(name -> properties.put(name, System.getProperty(name)));
    options.addStore(new ConfigStoreOptions().setType("json").setConfig(properties));

    ConfigRetriever retriever = ConfigRetriever.create(vertx, options);
    return retriever.getConfig()
        .recover(e -> Future.failedFuture(new ConfigException(List.of(
            path + ": cannot be read as JSON (" + e.getMessage() + "); fix the syntax or pass another file with --conf"))))
        .map(ConfigLoader::applyOverrides)
        .map(GatherConfig::from)
        .andThen(done -> retriever.close());
  }

  /**
   * vertx-config hands back one object: the file's tree plus each variable and property as a top-level key.
   * Folds the {@code GATHER_*} and {@code gather.*} ones into the tree, properties last so that they win.
   */
  static JsonObject applyOverrides(JsonObject merged) {
    JsonObject tree = new JsonObject();
    for (String name : merged.fieldNames()) {
      if (!name.startsWith(ENV_PREFIX) && !name.startsWith(PROPERTY_PREFIX)) {
        tree.put(name, merged.getValue(name));
      }
    }
    for (ConfigKey key : ConfigKey.values()) {
      override(tree, key, merged.getValue(key.envName()));
    }
    for (ConfigKey key : ConfigKey.values()) {
      override(tree, key, merged.getValue(key.propertyName()));
    }
    return tree;
  }

  private static void override(JsonObject tree, ConfigKey key, Object value) {
    if (value == null) {
      return;
    }
    JsonObject node = tree;
    for (String part : key.section().split("\\.")) {
      Object child = node.getValue(part);
      if (!(child instanceof JsonObject)) {
        child = new JsonObject();
        node.put(part, child);
      }
      node = (JsonObject) child;
    }
    node.put(key.leaf(), value);
  }
}
