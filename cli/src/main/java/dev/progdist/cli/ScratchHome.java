package dev.progdist.cli;

import dev.progdist.protocol.Home;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * A home that a command wipes and fills on every run (the demo's, the bench's). It wipes only a
 * directory that is new, empty, or marked as its own by an earlier run, and never one that is or
 * contains the main home: a mistyped {@code --home} must not delete anyone's data.
 */
public final class ScratchHome {

    private ScratchHome() {
    }

    /**
     * Wipes {@code dir} under those rules and marks it with {@code .progdist-<purpose>-home}.
     *
     * @throws IllegalArgumentException when {@code dir} may not be wiped, saying why
     */
    public static Home prepare(Path dir, Path mainHome, String purpose) {
        String marker = ".progdist-" + purpose + "-home";
        Path d = dir.toAbsolutePath().normalize();
        Path m = mainHome.toAbsolutePath().normalize();
        if (m.startsWith(d)) {
            throw new IllegalArgumentException("refusing to use " + d + " as the " + purpose + " home: it is or"
                    + " contains the main home " + m + " and would be wiped");
        }
        try {
            if (Files.exists(d) && !Files.isDirectory(d)) {
                throw new IllegalArgumentException(d + " is not a directory");
            }
            if (Files.isDirectory(d) && !Files.exists(d.resolve(marker))) {
                try (Stream<Path> entries = Files.list(d)) {
                    if (entries.findAny().isPresent()) {
                        throw new IllegalArgumentException("refusing to wipe " + d + ": it is not empty and not a "
                                + purpose + " home (no " + marker + "); choose a new or empty directory");
                    }
                }
            }
            if (Files.exists(d)) {
                try (Stream<Path> walk = Files.walk(d)) {
                    for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                        if (!p.equals(d)) {
                            Files.delete(p);
                        }
                    }
                }
            }
            Files.createDirectories(d);
            Files.writeString(d.resolve(marker), "progdist " + purpose + " home: wiped by every './progdist "
                    + purpose + "' run\n");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare the " + purpose + " home " + d + ": " + e.getMessage(), e);
        }
        return Home.at(d);
    }
}
