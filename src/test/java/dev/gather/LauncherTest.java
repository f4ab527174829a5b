package dev.gather;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bin/gather}, the launcher the README and the image run: it finds the jar beside itself (the image) or in
 * ../target (a checkout), runs it with lean JVM defaults that JAVA_OPTS overrides, and passes the arguments on.
 * The jar here is a stand-in that runs this build's classes ({@code mvn test} runs before {@code package}).
 */
class LauncherTest {
  private static final Path LAUNCHER = Path.of("bin", "gather").toAbsolutePath();

  @Test
  void checkOfTheShippedConfigExits0AndABrokenOneExits1NamingTheMistake(@TempDir Path dir) throws Exception {
    Path launcher = imageLayout(dir);
    Result good = run(launcher, Map.of(), "check", Path.of("conf", "config.json").toAbsolutePath().toString());
    assertEquals(0, good.exit, good.output);
    assertTrue(good.output.contains("config.json: OK"), good.output);

    Path broken = Files.writeString(dir.resolve("broken.json"), "{\"http\": {\"port\": 99999}}");
    Result bad = run(launcher, Map.of(), "check", broken.toString());
    assertEquals(1, bad.exit, bad.output);
    assertTrue(bad.output.contains("http.port = 99999"), bad.output);
  }

  @Test
  void javaOptsComesAfterTheDefaultsSoItWinsAndItsCollectorReplacesTheDefaultOne(@TempDir Path dir) throws Exception {
    Result result = run(imageLayout(dir), Map.of("JAVA_OPTS", "-XX:+PrintCommandLineFlags -XX:+UseParallelGC -Xmx200m"),
        "check", Path.of("conf", "config.json").toAbsolutePath().toString());
    assertEquals(0, result.exit, result.output);
    assertTrue(result.output.contains("-XX:+UseParallelGC"), result.output);
    assertFalse(result.output.contains("-XX:+UseSerialGC"), result.output);
    assertTrue(result.output.contains("-XX:MaxHeapSize=209715200"), result.output);
  }

  @Test
  void itExecsJavaFromJavaHomeWithTheLeanDefaultsThenJavaOptsThenTheArgumentsUnchanged(@TempDir Path dir) throws Exception {
    Path launcher = imageLayout(dir);
    Map<String, String> env = Map.of("JAVA_HOME", echoingJava(dir).toString(), "JAVA_OPTS", "-Da=1 -Db=2");
    Process process = start(launcher, env, "--conf", "/etc/my gather.json");
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, process.waitFor());

    List<String> lines = output.lines().toList();
    // exec: the launcher's process becomes java, so SIGTERM reaches the JVM and not a shell.
    assertEquals("pid " + process.pid(), lines.get(0));
    List<String> arguments = lines.subList(1, lines.size());
    int jar = arguments.indexOf("[-jar]");
    assertTrue(arguments.subList(0, jar).containsAll(List.of("[-XX:+UseSerialGC]", "[-Xmx128m]",
        "[-XX:MaxMetaspaceSize=128m]", "[-XX:ReservedCodeCacheSize=64m]", "[-XX:MaxDirectMemorySize=64m]",
        "[-XX:+ExitOnOutOfMemoryError]")), output);
    assertEquals(List.of("[-Da=1]", "[-Db=2]"), arguments.subList(jar - 2, jar), output);
    assertEquals(List.of("[-jar]", "[" + dir.resolve("app/gather.jar").toRealPath() + "]", "[--conf]", "[/etc/my gather.json]"),
        arguments.subList(jar, arguments.size()), output);
  }

  @Test
  void inACheckoutItRunsTargetGatherJarAlsoThroughASymbolicLink(@TempDir Path dir) throws Exception {
    Path checkout = dir.resolve("checkout");
    Files.createDirectories(checkout.resolve("bin"));
    Files.createDirectories(checkout.resolve("target"));
    Path launcher = Files.copy(LAUNCHER, checkout.resolve("bin/gather"), StandardCopyOption.COPY_ATTRIBUTES);
    pathingJar(checkout.resolve("target/gather.jar"));
    Path link = Files.createSymbolicLink(Files.createDirectories(dir.resolve("usr/local/bin")).resolve("gather"), launcher);

    Result result = run(link, Map.of("JAVA_HOME", echoingJava(dir).toString()), "check");
    assertEquals(0, result.exit, result.output);
    assertTrue(result.output.contains("[-jar]\n[" + checkout.resolve("target/gather.jar").toRealPath() + "]\n[check]"),
        result.output);
  }

  @Test
  void withoutAJarItSaysHowToBuildOneAndExits2(@TempDir Path dir) throws Exception {
    Path launcher = Files.copy(LAUNCHER, Files.createDirectories(dir.resolve("bin")).resolve("gather"),
        StandardCopyOption.COPY_ATTRIBUTES);
    Result result = run(launcher, Map.of(), "check");
    assertEquals(2, result.exit, result.output);
    assertTrue(result.output.contains("./mvnw -B -q package -DskipTests"), result.output);
  }

  /** A JAVA_HOME whose java prints its process id and its arguments, one per line. */
  private static Path echoingJava(Path dir) throws IOException {
    Path home = dir.resolve("jdk");
    Files.createDirectories(home.resolve("bin"));
    executable(Files.writeString(home.resolve("bin/java"),
        "#!/bin/sh\necho \"pid $$\"\nfor a in \"$@\"; do echo \"[$a]\"; done\n"));
    return home;
  }

  /** The image's layout: the launcher and gather.jar side by side. */
  private static Path imageLayout(Path dir) throws IOException {
    Path app = Files.createDirectories(dir.resolve("app"));
    pathingJar(app.resolve("gather.jar"));
    return Files.copy(LAUNCHER, app.resolve("gather"), StandardCopyOption.COPY_ATTRIBUTES);
  }

  /** A jar whose manifest runs dev.gather.Main on this build's class path. */
  private static void pathingJar(Path jar) throws IOException {
    Manifest manifest = new Manifest();
    manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
    manifest.getMainAttributes().put(Attributes.Name.MAIN_CLASS, "dev.gather.Main");
    manifest.getMainAttributes().put(Attributes.Name.CLASS_PATH,
        Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
            .map(entry -> Path.of(entry).toUri().toString()).collect(Collectors.joining(" ")));
    try (OutputStream out = new JarOutputStream(Files.newOutputStream(jar), manifest)) {
      out.flush();
    }
  }

  private static void executable(Path file) throws IOException {
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
  }

  private static Process start(Path launcher, Map<String, String> env, String... args) throws IOException {
    List<String> command = new ArrayList<>(List.of(launcher.toString()));
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    builder.environment().remove("JAVA_OPTS");
    builder.environment().remove("GATHER_JAR");
    builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
    builder.environment().putAll(env);
    return builder.start();
  }

  private static Result run(Path launcher, Map<String, String> env, String... args) throws Exception {
    Process process = start(launcher, env, args);
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      process.destroyForcibly();
    }
    return new Result(process.exitValue(), output);
  }

  private record Result(int exit, String output) {}
}
