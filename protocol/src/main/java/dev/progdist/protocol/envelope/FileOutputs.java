package dev.progdist.protocol.envelope;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** Staging files next to their target, so that a target is either complete or absent. */
final class FileOutputs {

    private FileOutputs() {
    }

    /** A new owner-only file in the target's directory. */
    static Path stagingFor(Path target) throws IOException {
        Path absolute = target.toAbsolutePath();
        return Files.createTempFile(absolute.getParent(), "." + absolute.getFileName() + ".", ".part");
    }

    static void moveIntoPlace(Path staging, Path target) throws IOException {
        try {
            Files.move(staging, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(staging, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    static void deleteQuietly(Path file) {
        if (file != null) {
            try {
                Files.deleteIfExists(file);
            } catch (IOException ignored) {
                // best effort on a path that is already failing
            }
        }
    }
}
