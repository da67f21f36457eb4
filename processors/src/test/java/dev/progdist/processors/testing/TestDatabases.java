package dev.progdist.processors.testing;

import dev.progdist.processors.store.Database;
import java.nio.file.Path;

/** A fresh, migrated H2 file database in a test's temporary directory. */
public final class TestDatabases {

    private TestDatabases() {
    }

    public static Database open(Path dir) {
        return open(dir, 2);
    }

    public static Database open(Path dir, int poolSize) {
        return Database.open("jdbc:h2:file:" + dir.resolve("db"), "", "", poolSize);
    }
}
