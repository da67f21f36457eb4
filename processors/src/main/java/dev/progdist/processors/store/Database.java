package dev.progdist.processors.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.progdist.protocol.Home;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server's JDBC store: a pooled {@link DataSource} whose schema is brought to the current
 * version by Flyway migrations ({@code classpath:db/migration}) before first use.
 *
 * <p>By default an H2 database in a file under {@code $PROGDIST_HOME/db}, opened in H2's
 * auto-server mode so that CLI commands such as {@code user add} work while the server runs.
 * Any other JDBC URL (PostgreSQL in production) is used as given.
 */
public final class Database implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Database.class);

    static {
        // H2's auto-server lets a second process (the CLI) use the file database; by default it
        // listens on every interface. Keep it on loopback unless the operator chose otherwise.
        if (System.getProperty("h2.bindAddress") == null) {
            System.setProperty("h2.bindAddress", "127.0.0.1");
        }
    }

    private final HikariDataSource dataSource;

    private Database(HikariDataSource dataSource) {
        this.dataSource = dataSource;
    }

    /** The default URL: an H2 file database in {@code home}. */
    public static String defaultUrl(Home home) {
        Home.ensurePrivateDirectory(home.databaseDir());
        // short row locks (a session being opened, a user being changed) are waited for, not failed after H2's 1 s
        return "jdbc:h2:file:" + home.databaseDir().resolve("progdist") + ";AUTO_SERVER=TRUE;LOCK_TIMEOUT=10000";
    }

    /**
     * Opens the pool and migrates the schema.
     *
     * @throws IllegalStateException if the database cannot be reached or a migration fails; the
     *                               message names the URL without credentials
     */
    public static Database open(String url, String user, String password, int maxPoolSize) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(url);
        if (user != null && !user.isBlank()) {
            config.setUsername(user);
        }
        if (password != null && !password.isEmpty()) {
            config.setPassword(password);
        }
        // Flyway holds one connection for its lock while it migrates on another
        config.setMaximumPoolSize(Math.max(2, maxPoolSize));
        config.setPoolName("progdist-db");
        config.setConnectionTimeout(10_000);
        HikariDataSource ds;
        try {
            ds = new HikariDataSource(config);
        } catch (RuntimeException e) {
            throw new IllegalStateException("cannot open database " + redact(url) + ": " + rootMessage(e), e);
        }
        try {
            var result = Flyway.configure().dataSource(ds).locations("classpath:db/migration")
                    .placeholders(java.util.Map.of("stored", generatedColumnKeyword(url))).load().migrate();
            LOG.info("Database {} at schema version {}", redact(url), result.targetSchemaVersion != null
                    ? result.targetSchemaVersion : result.initialSchemaVersion);
        } catch (RuntimeException e) {
            ds.close();
            throw new IllegalStateException("cannot migrate database " + redact(url) + ": " + rootMessage(e), e);
        }
        return new Database(ds);
    }

    /**
     * What follows {@code GENERATED ALWAYS AS (...)} in the migrations: PostgreSQL requires
     * {@code STORED}, H2 refuses any word there.
     */
    static String generatedColumnKeyword(String url) {
        return url.regionMatches(true, 0, "jdbc:postgresql:", 0, 16) ? "STORED" : "";
    }

    public DataSource dataSource() {
        return dataSource;
    }

    public Connection connection() throws SQLException {
        return dataSource.getConnection();
    }

    /** True when a connection can be had and answers within two seconds. */
    public boolean isReachable() {
        try (Connection c = dataSource.getConnection()) {
            return c.isValid(2);
        } catch (SQLException e) {
            return false;
        }
    }

    /** JDBC value for a {@code TIMESTAMP WITH TIME ZONE} column, portable across H2 and PostgreSQL. */
    public static OffsetDateTime timestamp(Instant instant) {
        return instant == null ? null : OffsetDateTime.ofInstant(instant, ZoneOffset.UTC);
    }

    @Override
    public void close() {
        dataSource.close();
    }

    private static String redact(String url) {
        // a JDBC URL may carry user=/password= parameters: never print them
        return url.replaceAll("(?i)(password|user)=[^;&]*", "$1=***");
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t.getMessage() == null ? t.getClass().getSimpleName() : redact(t.getMessage());
    }
}
