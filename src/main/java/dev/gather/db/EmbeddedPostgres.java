package dev.gather.db;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tukaani.xz.XZInputStream;

/**
 * A PostgreSQL server run from the zonky binaries that ship inside the application's class path.
 *
 * <p>The data directory is a normal, persistent cluster: the first start runs initdb, later starts
 * reuse it. Everything here blocks, so call it from a worker thread, never from an event loop.
 */
public final class EmbeddedPostgres implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedPostgres.class);

    private static final String HOST = "127.0.0.1";
    private static final String SUPERUSER = "postgres";
    private static final String DATABASE = "postgres";
    private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration SHUTDOWN_TIMEOUT = Duration.ofSeconds(60);
    private static final long LOG_ROTATE_BYTES = 10L * 1024 * 1024;
    private static final int FREE_PORT_ATTEMPTS = 5;

    private static volatile Launcher cachedLauncher;
    private static volatile Path cachedInstallation;

    private final Path dataDir;
    private final Path logFile;
    private final int port;
    private final Process postmaster;
    private final FileChannel lockChannel;
    private final FileLock lock;
    private final Thread shutdownHook;
    private final AtomicBoolean closed = new AtomicBoolean();

    private EmbeddedPostgres(Path dataDir, Path logFile, int port, Process postmaster,
                             FileChannel lockChannel, FileLock lock) {
        this.dataDir = dataDir;
        this.logFile = logFile;
        this.port = port;
        this.postmaster = postmaster;
        this.lockChannel = lockChannel;
        this.lock = lock;
        // A JVM stopped by SIGTERM without anyone calling close() would otherwise leave the
        // server running with the data directory busy.
        this.shutdownHook = new Thread(this::close, "embedded-postgres-shutdown");
        Runtime.getRuntime().addShutdownHook(shutdownHook);
    }

    /**
     * Starts a server on {@code dataDir}, creating the cluster if the directory is missing or empty.
     *
     * @param port the TCP port on 127.0.0.1, or 0 for a free one
     */
    public static EmbeddedPostgres start(Path dataDir, int port) throws IOException {
        return start(dataDir, port, true);
    }

    // The flag exists so tests can exercise the setpriv path on machines where user namespaces work.
    static EmbeddedPostgres start(Path dataDir, int port, boolean allowUserNamespace) throws IOException {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port out of range: " + port);
        }
        Path dir = dataDir.toAbsolutePath().normalize();
        if (dir.getParent() == null || dir.getFileName() == null) {
            throw new IllegalArgumentException("data directory cannot be a file system root: " + dir);
        }
        Launcher launcher = launcher(allowUserNamespace);
        Path pgHome = installation();
        Files.createDirectories(dir.getParent());

        Path lockPath = dir.resolveSibling(dir.getFileName() + ".lock");
        FileChannel lockChannel = FileChannel.open(lockPath, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock lock;
        try {
            lock = lockChannel.tryLock();
        } catch (OverlappingFileLockException e) {
            lock = null;
        }
        if (lock == null) {
            lockChannel.close();
            throw new IOException("data directory " + dir + " is in use by another embedded PostgreSQL ("
                    + lockPath + " is locked)");
        }

        Process candidate = null;
        try {
            launcher.checkReachable(pgHome.resolve("bin/postgres"));
            launcher.checkReachable(dir);
            Files.createDirectories(dir);
            launcher.claim(dir);
            if (Files.exists(dir.resolve("PG_VERSION"))) {
                checkMajorVersion(dir, pgHome);
            } else {
                initdb(dir, pgHome, launcher);
            }
            Path logDir = dir.resolve("log");
            Files.createDirectories(logDir);
            launcher.chown(logDir);
            Path logFile = logDir.resolve("postgres.log");
            rotate(logFile);
            reclaimLeftoverPostmaster(dir);

            Process process = null;
            int chosenPort = port;
            long deadline = System.nanoTime() + STARTUP_TIMEOUT.toNanos();
            for (int attempt = 1; process == null; attempt++) {
                chosenPort = port == 0 ? freePort() : port;
                long logOffset = Files.exists(logFile) ? Files.size(logFile) : 0;
                candidate = launchPostmaster(dir, pgHome, launcher, chosenPort, logFile);
                Startup outcome = awaitReady(candidate, dir, chosenPort, deadline);
                String log = readFrom(logFile, logOffset);
                if (outcome == Startup.READY) {
                    process = candidate;
                } else if (outcome == Startup.EXITED && port == 0 && attempt < FREE_PORT_ATTEMPTS
                        && (log.contains("could not bind") || log.contains("could not create any TCP/IP sockets"))) {
                    // Another process took the free port between probing and binding.
                    LOG.debug("port {} was taken meanwhile, retrying", chosenPort);
                } else if (outcome == Startup.EXITED && System.nanoTime() < deadline
                        && (log.contains("is still in use") || log.contains("already exists"))) {
                    // Backends of a killed postmaster outlive it for a moment and keep its shared
                    // memory attached; PostgreSQL refuses to start until they are gone.
                    sleep(250);
                } else {
                    stopProcess(candidate.toHandle());
                    throw new IOException("PostgreSQL on " + HOST + ":" + chosenPort
                            + (outcome == Startup.EXITED
                               ? " exited during startup with code " + candidate.exitValue()
                               : " was not ready within " + STARTUP_TIMEOUT.toSeconds() + " s")
                            + "; tail of " + logFile + ":\n" + tail(readFrom(logFile, logOffset), 40));
                }
            }
            EmbeddedPostgres server = new EmbeddedPostgres(dir, logFile, chosenPort, process, lockChannel, lock);
            LOG.info("PostgreSQL ready on {}:{} (data {}, log {}, running as {})",
                    HOST, chosenPort, dir, logFile, launcher.description);
            return server;
        } catch (IOException | RuntimeException e) {
            if (candidate != null && candidate.isAlive()) {
                try {
                    stopProcess(candidate.toHandle());
                } catch (IOException | RuntimeException stopFailure) {
                    e.addSuppressed(stopFailure);
                }
            }
            releaseQuietly(lockChannel);
            throw e;
        }
    }

    public int port() {
        return port;
    }

    public String url() {
        return "postgresql://" + SUPERUSER + "@" + HOST + ":" + port + "/" + DATABASE;
    }

    /** Fast shutdown: open sessions are cut off, committed data is flushed. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        if (Thread.currentThread() != shutdownHook) {
            try {
                Runtime.getRuntime().removeShutdownHook(shutdownHook);
            } catch (IllegalStateException alreadyShuttingDown) {
                // The hook is running or about to; it will find closed == true.
            }
        }
        try {
            stopProcess(postmaster.toHandle());
            LOG.info("PostgreSQL on port {} stopped (data {})", port, dataDir);
        } catch (IOException e) {
            LOG.error("stopping PostgreSQL on port {} failed; see {}", port, logFile, e);
        } finally {
            try {
                lock.release();
            } catch (IOException e) {
                LOG.warn("could not release lock for {}", dataDir, e);
            }
            releaseQuietly(lockChannel);
        }
    }

    @Override
    public String toString() {
        return "EmbeddedPostgres[" + url() + ", " + dataDir + "]";
    }

    // ---------------------------------------------------------------- server process

    private enum Startup { READY, EXITED, TIMED_OUT }

    private static Process launchPostmaster(Path dir, Path pgHome, Launcher launcher, int port, Path logFile)
            throws IOException {
        List<String> command = launcher.command(pgHome.resolve("bin/postgres").toString(),
                "-D", dir.toString(),
                "-p", Integer.toString(port),
                "-c", "listen_addresses=" + HOST,
                // TCP on loopback only: the built-in socket directory is /tmp, where every local user
                // could connect and the socket's lock file can collide with another server's.
                "-c", "unix_socket_directories=",
                "-c", "logging_collector=off");
        ProcessBuilder builder = processBuilder(command)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectErrorStream(true)
                // The JVM opens the log, so the server never needs write access outside its data directory.
                .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()));
        return builder.start();
    }

    private static Startup awaitReady(Process process, Path dir, int port, long deadline) {
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                return Startup.EXITED;
            }
            // The pid file check keeps a different server that already owns the port from passing
            // the protocol check while ours is still failing to bind.
            if (reportsReady(dir, process.pid()) && acceptsSessions(port)) {
                return Startup.READY;
            }
            sleep(100);
        }
        return Startup.TIMED_OUT;
    }

    /** Line 1 of postmaster.pid is the postmaster's pid, line 8 its status once it accepts connections. */
    private static boolean reportsReady(Path dir, long pid) {
        try {
            List<String> lines = Files.readAllLines(dir.resolve("postmaster.pid"), StandardCharsets.US_ASCII);
            return lines.size() >= 8 && lines.get(0).trim().equals(Long.toString(pid))
                    && lines.get(7).trim().equals("ready");
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Speaks just enough of the v3 protocol to see ReadyForQuery: an open port alone does not mean
     * the server is past recovery and accepting trust-authenticated sessions.
     */
    private static boolean acceptsSessions(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(HOST, port), 1000);
            socket.setSoTimeout(2000);
            DataOutputStream out = new DataOutputStream(socket.getOutputStream());
            DataInputStream in = new DataInputStream(socket.getInputStream());

            byte[] params = ("user\0" + SUPERUSER + "\0database\0" + DATABASE + "\0\0")
                    .getBytes(StandardCharsets.US_ASCII);
            out.writeInt(8 + params.length);
            out.writeInt(196608);
            out.write(params);
            out.flush();

            while (true) {
                byte type = in.readByte();
                int length = in.readInt();
                if (length < 4 || length > 1 << 20) {
                    return false;
                }
                byte[] body = new byte[length - 4];
                in.readFully(body);
                if (type == 'Z') {
                    out.writeByte('X');
                    out.writeInt(4);
                    out.flush();
                    return true;
                }
                if (type == 'E' || (type == 'R' && body.length >= 4 && body[3] != 0)) {
                    // 'E' is normal while starting up or recovering; 'R' with a non-zero code means
                    // the cluster asks for a password, which only an edited pg_hba.conf would do.
                    LOG.debug("not ready yet: {}", new String(body, StandardCharsets.UTF_8).replace('\0', ' '));
                    return false;
                }
            }
        } catch (IOException e) {
            return false;
        }
    }

    /** SIGINT is PostgreSQL's fast shutdown; SIGQUIT (immediate) only if that hangs. */
    private static void stopProcess(ProcessHandle handle) throws IOException {
        if (!isRunning(handle)) {
            return;
        }
        signal(handle.pid(), "INT");
        if (awaitExit(handle, SHUTDOWN_TIMEOUT)) {
            return;
        }
        LOG.warn("PostgreSQL (pid {}) ignored fast shutdown for {} s, shutting down immediately",
                handle.pid(), SHUTDOWN_TIMEOUT.toSeconds());
        signal(handle.pid(), "QUIT");
        if (!awaitExit(handle, Duration.ofSeconds(10))) {
            throw new IOException("PostgreSQL (pid " + handle.pid() + ") did not stop");
        }
    }

    private static boolean awaitExit(ProcessHandle handle, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (isRunning(handle)) {
            if (System.nanoTime() >= deadline) {
                return false;
            }
            sleep(50);
        }
        return true;
    }

    /**
     * Like {@link ProcessHandle#isAlive()}, but a zombie counts as gone. A postmaster orphaned by a
     * dead JVM is reparented to PID 1, and not every PID 1 (container init shims included) reaps
     * its children promptly.
     */
    private static boolean isRunning(ProcessHandle handle) {
        if (!handle.isAlive()) {
            return false;
        }
        try {
            String stat = Files.readString(Paths.get("/proc", Long.toString(handle.pid()), "stat"));
            char state = stat.charAt(stat.lastIndexOf(')') + 2);
            return state != 'Z' && state != 'X';
        } catch (IOException | RuntimeException e) {
            return handle.isAlive();
        }
    }

    private static void signal(long pid, String signal) throws IOException {
        // Java can only send SIGTERM/SIGKILL, and SIGTERM is "smart" shutdown, which waits for every
        // pooled connection to go away. The shell's built-in kill is present even on slim images.
        try {
            run(List.of("sh", "-c", "kill -s " + signal + " " + pid), Duration.ofSeconds(10));
        } catch (IOException e) {
            if (ProcessHandle.of(pid).map(EmbeddedPostgres::isRunning).orElse(false)) {
                throw e;
            }
        }
    }

    /**
     * A postmaster.pid left behind is either a live server orphaned by a JVM that died without
     * close(), or stale. A live one is stopped. For a stale one, backends that outlived their
     * postmaster are killed and the rest is left to PostgreSQL, which checks its shared memory
     * itself, unless the PID now belongs to an unrelated process that would make PostgreSQL believe
     * the directory is still in use.
     */
    private static void reclaimLeftoverPostmaster(Path dir) throws IOException {
        Path pidFile = dir.resolve("postmaster.pid");
        if (!Files.exists(pidFile)) {
            return;
        }
        long pid;
        try (Stream<String> lines = Files.lines(pidFile, StandardCharsets.US_ASCII)) {
            pid = Long.parseLong(lines.findFirst().orElse("").trim());
        } catch (NumberFormatException | UncheckedIOException e) {
            return;
        }
        Optional<ProcessHandle> handle = ProcessHandle.of(pid).filter(EmbeddedPostgres::isRunning);
        if (handle.isEmpty()) {
            terminateOrphanedBackends(dir);
            return;
        }
        Optional<Boolean> ours = servesDirectory(handle.get(), dir);
        if (ours.isEmpty()) {
            return;
        }
        if (ours.get()) {
            LOG.warn("stopping PostgreSQL (pid {}) left running on {} by an earlier process", pid, dir);
            stopProcess(handle.get());
        } else {
            LOG.warn("removing stale {}: its pid {} now belongs to an unrelated process", pidFile, pid);
            terminateOrphanedBackends(dir);
            Files.deleteIfExists(pidFile);
        }
    }

    /**
     * Backends of a postmaster killed with SIGKILL run on until they next wait for something, which
     * for a long query can take minutes, and PostgreSQL will not start while they hold its shared
     * memory. Nothing they do can be committed any more, so they are killed. Found by their working
     * directory, which is the data directory.
     */
    private static void terminateOrphanedBackends(Path dir) throws IOException {
        Path proc = Paths.get("/proc");
        if (!Files.isDirectory(proc)) {
            return;
        }
        Path real = dir.toRealPath();
        List<ProcessHandle> orphans;
        try (Stream<Path> entries = Files.list(proc)) {
            orphans = entries
                    .map(p -> p.getFileName().toString())
                    .filter(name -> !name.isEmpty() && name.chars().allMatch(Character::isDigit))
                    .filter(name -> {
                        try {
                            return Files.readSymbolicLink(proc.resolve(name).resolve("cwd")).equals(real);
                        } catch (IOException | SecurityException e) {
                            return false;
                        }
                    })
                    .map(name -> ProcessHandle.of(Long.parseLong(name)))
                    .flatMap(Optional::stream)
                    .filter(EmbeddedPostgres::isRunning)
                    .filter(h -> h.info().command().map(c -> c.endsWith("/postgres")).orElse(false))
                    .toList();
        }
        if (orphans.isEmpty()) {
            return;
        }
        LOG.warn("killing {} backend(s) of a dead postmaster still running on {}: pids {}", orphans.size(), dir,
                orphans.stream().map(h -> Long.toString(h.pid())).toList());
        for (ProcessHandle orphan : orphans) {
            orphan.destroyForcibly();
        }
        for (ProcessHandle orphan : orphans) {
            awaitExit(orphan, Duration.ofSeconds(10));
        }
    }

    /** Empty when it cannot be told, in which case PostgreSQL's own checks decide. */
    private static Optional<Boolean> servesDirectory(ProcessHandle handle, Path dir) {
        // A postmaster runs with its data directory as working directory. Reading another user's
        // cwd needs CAP_SYS_PTRACE, which containers often drop, hence the command line as fallback.
        try {
            Path cwd = Files.readSymbolicLink(Paths.get("/proc", Long.toString(handle.pid()), "cwd"));
            return Optional.of(cwd.equals(dir.toRealPath()));
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            LOG.debug("cannot read the working directory of pid {}", handle.pid(), e);
        }
        String[] args = handle.info().arguments().orElse(new String[0]);
        for (int i = 0; i + 1 < args.length; i++) {
            if ("-D".equals(args[i]) && Paths.get(args[i + 1]).toAbsolutePath().normalize().equals(dir)) {
                return Optional.of(true);
            }
        }
        return Optional.empty();
    }

    // ---------------------------------------------------------------- cluster

    private static void initdb(Path dir, Path pgHome, Launcher launcher) throws IOException {
        try (Stream<Path> entries = Files.list(dir)) {
            if (entries.findAny().isPresent()) {
                throw new IOException(dir + " is not empty but holds no PostgreSQL cluster (no PG_VERSION);"
                        + " empty it or choose another data directory");
            }
        }
        LOG.info("creating PostgreSQL cluster in {}", dir);
        List<String> command = launcher.command(pgHome.resolve("bin/initdb").toString(),
                "-D", dir.toString(),
                "-U", SUPERUSER,
                "-A", "trust",
                "-E", "UTF8",
                // C collation: independent of the locales installed on the host, so the cluster
                // behaves the same on every machine and survives OS upgrades.
                "--no-locale");
        String output = run(command, Duration.ofMinutes(2));
        LOG.debug("initdb output:\n{}", output);
    }

    private static void checkMajorVersion(Path dir, Path pgHome) throws IOException {
        String clusterMajor = Files.readString(dir.resolve("PG_VERSION"), StandardCharsets.US_ASCII).trim();
        String version = run(List.of(pgHome.resolve("bin/postgres").toString(), "-V"), Duration.ofSeconds(30)).trim();
        String binaryMajor = version.replaceAll("^.*?(\\d+)\\..*$", "$1");
        if (!clusterMajor.equals(binaryMajor)) {
            throw new IOException(dir + " holds a PostgreSQL " + clusterMajor + " cluster but the bundled server is "
                    + version + "; dump it with the old version and restore it, or use a new data directory");
        }
    }

    // ---------------------------------------------------------------- binaries

    /**
     * Extracts the bundled archive once per content hash, so a restart reuses it and a new binaries
     * version never mixes with an old one.
     */
    private static synchronized Path installation() throws IOException {
        if (cachedInstallation != null && isInstalled(cachedInstallation)) {
            return cachedInstallation;
        }
        Platform platform = Platform.current();
        String resource = platform.archive();
        ClassLoader loader = EmbeddedPostgres.class.getClassLoader();
        String key;
        try (InputStream in = loader.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IOException("no PostgreSQL binaries for this platform on the class path (" + resource
                        + "); add " + platform.artifact() + " to the dependencies");
            }
            key = sha256Prefix(in);
        }
        Path cacheRoot = Paths.get(System.getProperty("java.io.tmpdir"),
                "gather-embedded-postgres-" + System.getProperty("user.name"));
        Files.createDirectories(cacheRoot);
        Path home = cacheRoot.resolve(key);
        if (!isInstalled(home)) {
            if (Files.exists(home)) {
                // Partly removed, e.g. by a tmp cleaner; start over.
                deleteTree(home);
            }
            removeAbandonedExtractions(cacheRoot);
            Path staging = Files.createTempDirectory(cacheRoot, key + ".partial-");
            try {
                try (InputStream in = loader.getResourceAsStream(resource)) {
                    extractTxz(in, staging);
                }
                // createTempDirectory makes it 0700; a server running as another user must read it.
                Files.setPosixFilePermissions(staging, permissions(0755));
                Files.move(staging, home, StandardCopyOption.ATOMIC_MOVE);
                LOG.info("extracted PostgreSQL binaries to {}", home);
            } catch (FileSystemException e) {
                // Another JVM extracting at the same time may win the rename, which is fine.
                if (!isInstalled(home)) {
                    throw e;
                }
                LOG.debug("another process extracted {} first", home);
            } finally {
                if (Files.exists(staging)) {
                    deleteTree(staging);
                }
            }
        }
        if (!isInstalled(home)) {
            throw new IOException("PostgreSQL binaries in " + home + " are incomplete");
        }
        cachedInstallation = home;
        return home;
    }

    /** A JVM that died mid-extraction leaves its staging directory behind; an hour is far beyond any extraction. */
    private static void removeAbandonedExtractions(Path cacheRoot) {
        long cutoff = System.currentTimeMillis() - Duration.ofHours(1).toMillis();
        try (Stream<Path> entries = Files.list(cacheRoot)) {
            for (Path p : entries.filter(p -> p.getFileName().toString().contains(".partial-")).toList()) {
                if (Files.getLastModifiedTime(p).toMillis() < cutoff) {
                    deleteTree(p);
                }
            }
        } catch (IOException e) {
            LOG.debug("could not clean {}", cacheRoot, e);
        }
    }

    /** Names as zonky publishes them: the archive inside the jar and the artifact holding it. */
    private record Platform(String archive, String artifact) {
        static Platform current() throws IOException {
            String os = System.getProperty("os.name").toLowerCase(Locale.ROOT);
            String system;
            if (os.contains("linux")) {
                system = "linux";
            } else if (os.contains("mac") || os.contains("darwin")) {
                system = "darwin";
            } else {
                throw new IOException("embedded PostgreSQL is not supported on " + System.getProperty("os.name"));
            }
            String arch = System.getProperty("os.arch").toLowerCase(Locale.ROOT);
            boolean arm = switch (arch) {
                case "amd64", "x86_64" -> false;
                case "aarch64", "arm64" -> true;
                default -> throw new IOException("embedded PostgreSQL is not supported on " + arch);
            };
            return new Platform("postgres-" + system + "-" + (arm ? "arm_64" : "x86_64") + ".txz",
                    "io.zonky.test.postgres:embedded-postgres-binaries-" + system + "-" + (arm ? "arm64v8" : "amd64"));
        }
    }

    private static boolean isInstalled(Path home) {
        for (String tool : List.of("postgres", "initdb")) {
            if (!Files.isExecutable(home.resolve("bin").resolve(tool))) {
                return false;
            }
        }
        return Files.isDirectory(home.resolve("share/postgresql")) && Files.isDirectory(home.resolve("lib"));
    }

    private static String sha256Prefix(InputStream in) throws IOException {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            try (DigestInputStream din = new DigestInputStream(in, digest)) {
                din.transferTo(OutputStream.nullOutputStream());
            }
            return "pg-" + HexFormat.of().formatHex(digest.digest()).substring(0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is mandatory in every JRE", e);
        }
    }

    private static void extractTxz(InputStream in, Path target) throws IOException {
        try (TarArchiveInputStream tar = new TarArchiveInputStream(new XZInputStream(in))) {
            TarArchiveEntry entry;
            while ((entry = tar.getNextEntry()) != null) {
                Path path = target.resolve(entry.getName()).normalize();
                if (!path.startsWith(target)) {
                    throw new IOException("archive entry escapes the target directory: " + entry.getName());
                }
                if (entry.isDirectory()) {
                    Files.createDirectories(path);
                } else if (entry.isSymbolicLink()) {
                    Files.createDirectories(path.getParent());
                    Files.createSymbolicLink(path, Paths.get(entry.getLinkName()));
                } else if (entry.isLink()) {
                    Files.createDirectories(path.getParent());
                    Files.createLink(path, target.resolve(entry.getLinkName()).normalize());
                } else if (entry.isFile()) {
                    Files.createDirectories(path.getParent());
                    Files.copy(tar, path, StandardCopyOption.REPLACE_EXISTING);
                    Files.setPosixFilePermissions(path, permissions(entry.getMode() & 0777));
                }
            }
        }
    }

    // ---------------------------------------------------------------- who runs the server

    /**
     * PostgreSQL refuses to run as root. As root, the server runs inside a fresh user namespace,
     * where it sees itself as an unprivileged user while its files stay owned by root, which needs
     * no ownership changes. Where namespaces are not allowed (e.g. Docker's default seccomp profile),
     * it falls back to an unprivileged account via setpriv and hands the data directory to it.
     */
    private static final class Launcher {
        final List<String> prefix;
        final Integer uid;
        final Integer gid;
        final String description;

        Launcher(List<String> prefix, Integer uid, Integer gid, String description) {
            this.prefix = prefix;
            this.uid = uid;
            this.gid = gid;
            this.description = description;
        }

        List<String> command(String... args) {
            List<String> command = new ArrayList<>(prefix);
            command.addAll(List.of(args));
            return command;
        }

        /** Checks the directories above {@code path}; fails early with a fix instead of letting initdb report a bare "Permission denied". */
        void checkReachable(Path path) throws IOException {
            if (uid == null) {
                return;
            }
            List<Path> blocked = new ArrayList<>();
            for (Path p = path.getParent(); p != null; p = p.getParent()) {
                if (!Files.exists(p)) {
                    continue;
                }
                int mode = (Integer) Files.getAttribute(p, "unix:mode");
                int owner = (Integer) Files.getAttribute(p, "unix:uid");
                int group = (Integer) Files.getAttribute(p, "unix:gid");
                int bits = owner == uid ? (mode >> 6) : group == gid ? (mode >> 3) : mode;
                if ((bits & 1) == 0) {
                    blocked.add(0, p);
                }
            }
            if (!blocked.isEmpty()) {
                throw new IOException("this process is root, so PostgreSQL runs as " + description
                        + ", which cannot reach " + path + " because it may not enter " + blocked
                        + ". Use a path whose parent directories are world-searchable (e.g. under /var/lib or /srv),"
                        + " run `chmod o+x` on those directories, or run the service as a non-root user.");
            }
        }

        void claim(Path dir) throws IOException {
            if (uid == null || ownedAsExpected(dir)) {
                return;
            }
            LOG.info("giving {} to {}", dir, description);
            List<Path> paths;
            try (Stream<Path> walk = Files.walk(dir)) {
                paths = walk.sorted(Comparator.reverseOrder()).toList();
            }
            // Reverse order puts the directory itself last, so an interrupted pass is redone next time.
            for (Path p : paths) {
                chown(p);
            }
        }

        void chown(Path p) throws IOException {
            if (uid == null) {
                return;
            }
            Files.setAttribute(p, "unix:uid", uid, LinkOption.NOFOLLOW_LINKS);
            Files.setAttribute(p, "unix:gid", gid, LinkOption.NOFOLLOW_LINKS);
        }

        private boolean ownedAsExpected(Path p) throws IOException {
            return uid.equals(Files.getAttribute(p, "unix:uid", LinkOption.NOFOLLOW_LINKS))
                    && gid.equals(Files.getAttribute(p, "unix:gid", LinkOption.NOFOLLOW_LINKS));
        }
    }

    private static synchronized Launcher launcher(boolean allowUserNamespace) throws IOException {
        if (allowUserNamespace && cachedLauncher != null) {
            return cachedLauncher;
        }
        Launcher chosen;
        if (!"0".equals(run(List.of("id", "-u"), Duration.ofSeconds(10)).trim())) {
            chosen = new Launcher(List.of(), null, null, "the current user");
        } else if (!System.getProperty("os.name").toLowerCase(Locale.ROOT).contains("linux")) {
            throw new IOException("PostgreSQL cannot run as root; start the service as an unprivileged user");
        } else if (allowUserNamespace && userNamespacesWork()) {
            chosen = new Launcher(List.of("unshare", "--user"), 0, 0, "root inside a user namespace");
        } else {
            String account = accountExists("postgres") ? "postgres" : "nobody";
            int uid = Integer.parseInt(run(List.of("id", "-u", account), Duration.ofSeconds(10)).trim());
            int gid = Integer.parseInt(run(List.of("id", "-g", account), Duration.ofSeconds(10)).trim());
            chosen = new Launcher(
                    List.of("setpriv", "--reuid=" + uid, "--regid=" + gid, "--clear-groups", "--"),
                    uid, gid, "user " + account + " (uid " + uid + ")");
        }
        if (allowUserNamespace) {
            cachedLauncher = chosen;
        }
        return chosen;
    }

    private static boolean userNamespacesWork() {
        try {
            String uid = run(List.of("unshare", "--user", "id", "-u"), Duration.ofSeconds(10)).trim();
            return !uid.isEmpty() && !"0".equals(uid);
        } catch (IOException e) {
            LOG.debug("user namespaces unavailable", e);
            return false;
        }
    }

    private static boolean accountExists(String name) {
        try {
            run(List.of("id", "-u", name), Duration.ofSeconds(10));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    // ---------------------------------------------------------------- helpers

    private static ProcessBuilder processBuilder(List<String> command) {
        ProcessBuilder builder = new ProcessBuilder(command);
        // PGDATA, PGPORT, PGOPTIONS etc. from the caller's shell must not redirect our tools.
        builder.environment().keySet().removeIf(name -> name.startsWith("PG"));
        builder.environment().put("LC_ALL", "C");
        return builder;
    }

    /** Runs a short-lived command and returns its combined output, failing on a non-zero exit. */
    private static String run(List<String> command, Duration timeout) throws IOException {
        Process process = processBuilder(command)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectErrorStream(true)
                .start();
        ByteArrayOutputStream output = new ByteArrayOutputStream();
        Thread reader = new Thread(() -> {
            try (InputStream in = process.getInputStream()) {
                in.transferTo(output);
            } catch (IOException ignored) {
                // The process is gone; whatever was read is all there is.
            }
        }, "embedded-postgres-output");
        reader.setDaemon(true);
        reader.start();
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                throw new IOException(String.join(" ", command) + " timed out after " + timeout.toSeconds() + " s");
            }
            reader.join(TimeUnit.SECONDS.toMillis(5));
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while running " + String.join(" ", command), e);
        }
        String text = output.toString(StandardCharsets.UTF_8);
        if (process.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + " failed with exit code " + process.exitValue()
                    + ":\n" + tail(text, 40));
        }
        return text;
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName(HOST))) {
            return socket.getLocalPort();
        }
    }

    private static void rotate(Path logFile) throws IOException {
        if (Files.exists(logFile) && Files.size(logFile) > LOG_ROTATE_BYTES) {
            Files.move(logFile, logFile.resolveSibling(logFile.getFileName() + ".1"), StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private static String readFrom(Path file, long offset) throws IOException {
        if (!Files.exists(file)) {
            return "";
        }
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            long start = Math.max(offset, channel.size() - 64 * 1024);
            channel.position(start);
            return new String(Channels.newInputStream(channel).readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static String tail(String text, int lines) {
        String[] all = text.strip().split("\n");
        int from = Math.max(0, all.length - lines);
        return String.join("\n", Arrays.asList(all).subList(from, all.length));
    }

    private static Set<PosixFilePermission> permissions(int mode) {
        Set<PosixFilePermission> set = EnumSet.noneOf(PosixFilePermission.class);
        PosixFilePermission[] order = {
            PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_READ,
            PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_READ,
            PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_READ,
        };
        for (int bit = 0; bit < order.length; bit++) {
            if ((mode & (1 << bit)) != 0) {
                set.add(order[bit]);
            }
        }
        return set;
    }

    private static void deleteTree(Path root) throws IOException {
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    private static void releaseQuietly(FileChannel channel) {
        try {
            channel.close();
        } catch (IOException e) {
            LOG.debug("closing lock file failed", e);
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for PostgreSQL", e);
        }
    }
}
