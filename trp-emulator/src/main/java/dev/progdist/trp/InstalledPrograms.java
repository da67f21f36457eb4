package dev.progdist.trp;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.progdist.protocol.Home;
import dev.progdist.protocol.json.Json;
import dev.progdist.protocol.wire.TrpStatus.InstalledProgram;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The TRP's record of what it has installed: {@code installed.json} in its sealed store
 * directory. Empty until the first program is installed.
 */
public final class InstalledPrograms {

    private static final int MAX_MANIFEST_BYTES = 1024 * 1024;

    private final Path manifest;

    public InstalledPrograms(Home home, String deviceId) {
        this.manifest = home.trpDir(deviceId).resolve("installed.json");
    }

    public List<InstalledProgram> list() {
        if (!Files.isRegularFile(manifest)) {
            return List.of();
        }
        try {
            if (Files.size(manifest) > MAX_MANIFEST_BYTES) {
                throw new IllegalStateException("installed-program manifest is too large: " + manifest);
            }
            return Json.mapper().readValue(manifest.toFile(), new TypeReference<List<InstalledProgram>>() { });
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + manifest, e);
        }
    }
}
