package dev.progdist.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.progdist.protocol.Home;
import dev.progdist.protocol.json.Json;
import dev.progdist.protocol.keys.KeyStores;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * {@code $PROGDIST_HOME/server/running.json}: written by a server once it accepts requests,
 * removed when it stops. It names the server's URL and process, so that CLI commands that change
 * state on the same home can go through the operator API instead of the database while it runs.
 * A file left by a server that died is ignored: its process is gone (or is another process).
 */
public record RunningServer(URI url, long pid, String processStart) {

    static final String FILE = "running.json";

    /** The marker of the server running on {@code home}, if one does. */
    public static Optional<RunningServer> find(Home home) {
        Path file = file(home);
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        RunningServer marker;
        try {
            JsonNode json = Json.mapper().readTree(file.toFile());
            marker = new RunningServer(URI.create(json.path("url").asText()), json.path("pid").asLong(),
                    json.path("processStart").asText());
        } catch (IOException | IllegalArgumentException e) {
            return Optional.empty();
        }
        return marker.isAlive() ? Optional.of(marker) : Optional.empty();
    }

    /** The URL a local client uses for a server bound to {@code bind} on {@code port}. */
    static URI localUrl(String bind, String port) {
        String host = bind == null || bind.isBlank() || bind.equals("0.0.0.0") || bind.equals("::")
                || bind.equals("127.0.0.1") ? "localhost" : bind.contains(":") ? "[" + bind + "]" : bind;
        return URI.create("https://" + host + ":" + port);
    }

    /** This process as the server at {@code url}. */
    static RunningServer self(URI url) {
        ProcessHandle me = ProcessHandle.current();
        return new RunningServer(url, me.pid(), start(me));
    }

    void write(Home home) {
        Path file = file(home);
        Home.ensurePrivateDirectory(file.getParent());
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("url", url.toString());
        json.put("pid", pid);
        json.put("processStart", processStart);
        try {
            KeyStores.writeAtomically(file, Json.mapper().writeValueAsBytes(json), KeyStores.OWNER_ONLY);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot encode " + file, e);
        }
    }

    /** Removes the marker if it is still this one (another server may have started since). */
    void remove(Home home) {
        if (find(home).filter(this::equals).isPresent()) {
            try {
                Files.deleteIfExists(file(home));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot remove " + file(home), e);
            }
        }
    }

    private boolean isAlive() {
        return ProcessHandle.of(pid).filter(ProcessHandle::isAlive).map(RunningServer::start)
                .filter(processStart::equals).isPresent();
    }

    private static String start(ProcessHandle process) {
        return process.info().startInstant().map(Object::toString).orElse("");
    }

    private static Path file(Home home) {
        return home.serverDir().resolve(FILE);
    }
}
