package dev.progdist.it;

import static org.awaitility.Awaitility.await;

import dev.progdist.cli.ProgdistCli;
import dev.progdist.protocol.Home;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A progdist server in a child JVM, started as {@code ./progdist server} starts it
 * ({@code java -cp <this test's class path> dev.progdist.cli.ProgdistCli server --port P}), so that
 * a test can kill it with {@code kill -9} ({@link #kill()}) and start it again on the same home and
 * port ({@link #start()}). Settings go in as system properties of the child; the environment's
 * {@code PROGDIST_*} variables are not passed on, except those given. Each start logs to its own
 * file, {@code <name>-<n>.log} in the log directory; {@link #logTail()} shows the end of the last.
 */
final class ServerProcess implements AutoCloseable {

    /** The line a server logs once Jetty accepts requests (ServerConfiguration). */
    static final String READY = "progdist server ready on";

    final String name;
    final Home home;
    final int port;
    private final Map<String, String> settings;
    private final Map<String, String> environment;
    private final Path logDir;
    private final Path configDir;
    private Process process;
    private Path log;
    private int starts;

    /**
     * @param settings    {@code progdist.*} settings of the server (besides home and port)
     * @param environment extra environment variables of the child (secrets: not on its command line)
     */
    ServerProcess(String name, Home home, int port, Map<String, String> settings, Map<String, String> environment,
            Path logDir) {
        this.name = name;
        this.home = home;
        this.port = port;
        this.settings = new LinkedHashMap<>(settings);
        this.environment = Map.copyOf(environment);
        this.logDir = logDir;
        this.configDir = logDir.resolve(name + "-config"); // empty: only the built-in defaults and ours
        try {
            Files.createDirectories(configDir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    URI url() {
        return URI.create("https://localhost:" + port);
    }

    /** Starts the child JVM and waits until it accepts requests (or fails with its log's end). */
    ServerProcess start() {
        if (process != null && process.isAlive()) {
            throw new IllegalStateException(name + " runs already");
        }
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElse("java"));
        command.add("-Xmx384m");
        command.add("-XX:+UseSerialGC");
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add("-Dprogdist.config.dir=" + configDir);
        settings.forEach((k, v) -> command.add("-D" + k + "=" + v));
        command.add(ProgdistCli.class.getName());
        command.add("server");
        command.add("--port");
        command.add(String.valueOf(port));
        starts++;
        log = logDir.resolve(name + "-" + starts + ".log");
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("PROGDIST_"));
        pb.environment().put(Home.ENV, home.root().toString());
        pb.environment().putAll(environment);
        try {
            process = pb.start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + name, e);
        }
        try {
            await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(100)).until(() -> {
                if (!process.isAlive()) {
                    throw new IllegalStateException(name + " exited with " + process.exitValue() + ":\n" + logTail());
                }
                return Files.readString(log, StandardCharsets.UTF_8).contains(READY);
            });
        } catch (RuntimeException e) {
            process.destroyForcibly();
            throw new IllegalStateException(name + " did not start:\n" + logTail(), e);
        }
        return this;
    }

    long pid() {
        return process.pid();
    }

    /** The exit status of the last start, once it ended. */
    int exitCode() {
        return process.exitValue();
    }

    boolean alive() {
        return process != null && process.isAlive();
    }

    /** {@code kill -9}: SIGKILL, no shutdown hook, no clean stop; waits until the process is gone. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            throw new IllegalStateException(name + " (pid " + process.pid() + ") did not die");
        }
    }

    /** The last 60 lines of the current start's log. */
    String logTail() {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 60), lines.size()));
        } catch (IOException | RuntimeException e) {
            return "(no log: " + e + ")";
        }
    }

    /** A clean stop (SIGTERM), SIGKILL after 20 s. */
    @Override
    public void close() throws InterruptedException {
        if (process != null && process.isAlive()) {
            process.destroy();
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }
}
