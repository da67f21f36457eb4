package dev.progdist.processors.testing;

import dev.progdist.processors.store.Database;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;

/**
 * A fresh schema on the PostgreSQL database that {@code PROGDIST_TEST_POSTGRES_URL} (and
 * {@code _USER}, {@code _PASSWORD}) name, as {@code .ci/postgres} arranges, opened through
 * {@link Database} (so migrated) and dropped again on {@link #close()}. Tests using it carry
 * {@code @EnabledIfEnvironmentVariable(named = "PROGDIST_TEST_POSTGRES_URL", matches = "jdbc:postgresql:.*")}.
 */
public final class PostgresSchema implements AutoCloseable {

    private final String url = System.getenv("PROGDIST_TEST_POSTGRES_URL");
    private final String user = System.getenv("PROGDIST_TEST_POSTGRES_USER");
    private final String password = System.getenv("PROGDIST_TEST_POSTGRES_PASSWORD");
    private final String name = "t_" + UUID.randomUUID().toString().replace("-", "");
    private final Database database;

    private PostgresSchema(int poolSize) throws SQLException {
        execute("CREATE SCHEMA " + name);
        database = Database.open(url + (url.contains("?") ? "&" : "?") + "currentSchema=" + name, user, password,
                poolSize);
    }

    public static PostgresSchema create(int poolSize) throws SQLException {
        return new PostgresSchema(poolSize);
    }

    public String name() {
        return name;
    }

    public Database database() {
        return database;
    }

    @Override
    public void close() throws SQLException {
        database.close();
        execute("DROP SCHEMA " + name + " CASCADE");
    }

    private void execute(String sql) throws SQLException {
        try (Connection c = DriverManager.getConnection(url, user, password); Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }
}
