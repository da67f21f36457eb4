package dev.progdist.processors.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.progdist.protocol.Home;
import dev.progdist.protocol.keys.KeyStores;
import dev.progdist.protocol.keys.SecretSource;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.stream.Stream;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.configuration.FluentConfiguration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server's JDBC store: a pooled {@link DataSource} whose schema is brought to the current
 * version by Flyway migrations ({@code classpath:db/migration}) before first use.
 *
 * <p>By default an H2 database in a file under {@code $PROGDIST_HOME/db} ({@link #openHome}),
 * opened in H2's auto-server mode so that CLI commands such as {@code user add} work while the
 * server runs. That database has two accounts, each with a random secret kept by
 * {@link SecretSource}: {@value #ADMIN_USER} ({@value #ADMIN_SECRET}) runs the migrations and
 * nothing else; the pool connects as {@value #APP_USER} ({@value #APP_SECRET}), which may only
 * read and write the progdist tables. H2 refuses that user {@code CREATE ALIAS}, triggers,
 * {@code RUNSCRIPT}, file functions, linked tables and database settings, so neither the
 * application's connections nor a client holding the auto-server key and the application secret
 * can run Java in the server's JVM.
 *
 * <p>Any other JDBC URL (PostgreSQL in production) is used as given, with the operator's account
 * for both the migrations and the pool ({@link #open(String, String, String, int)}).
 */
public final class Database implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Database.class);

    /** The H2 database's administrator: migrations and account upkeep only. */
    public static final String ADMIN_USER = "PROGDIST_ADMIN";
    /** The H2 account the pool uses: SELECT, INSERT, UPDATE, DELETE on the progdist tables. */
    public static final String APP_USER = "PROGDIST_APP";
    /** {@link SecretSource} names of the two H2 secrets. */
    public static final String ADMIN_SECRET = "db-admin";
    public static final String APP_SECRET = "db-app";

    /** The classes H2 may load by name: its auto-server registers {@code STOP_SERVER} from this one. */
    static final String H2_ALLOWED_CLASSES = "org.h2.server.TcpServer";

    /** H2's code for a wrong user name or password. */
    private static final int H2_WRONG_USER_OR_PASSWORD = 28000;

    static {
        // H2's auto-server lets a second process (the CLI) use the file database; by default it
        // listens on every interface. Keep it on loopback unless the operator chose otherwise.
        if (System.getProperty("h2.bindAddress") == null) {
            System.setProperty("h2.bindAddress", "127.0.0.1");
        }
        // no Java class by name for CREATE ALIAS ... FOR, triggers, aggregates or linked-table
        // drivers, even for the admin (H2 reads this once, when it first loads a user class). It
        // does not stop an alias given as Java source (H2 compiles that itself): only the admin may
        // create one, so the admin secret is what guards the JVM

        if (System.getProperty("h2.allowedClasses") == null) {
            System.setProperty("h2.allowedClasses", H2_ALLOWED_CLASSES);
        }
    }

    private final HikariDataSource dataSource;

    private Database(HikariDataSource dataSource) {
        this.dataSource = dataSource;
    }

    /** The default URL: an H2 file database in {@code home}. */
    public static String defaultUrl(Home home) {
        Home.ensurePrivateDirectory(home.databaseDir());
        // short row locks (a session being opened, a user being changed) are waited for, not failed after H2's 1 s;
        // each pooled connection keeps 64 parsed statements, not H2's 8: a delivery and a check-in
        // together run more than 8 distinct statements on one connection, and parsing them again
        // made each statement about 3 times slower (measured: 10.6 against 3.3 µs each)
        return "jdbc:h2:file:" + home.databaseDir().resolve("progdist")
                + ";AUTO_SERVER=TRUE;LOCK_TIMEOUT=10000;QUERY_CACHE_SIZE=64";
    }

    /**
     * The server's database: {@code url} as given when set (PostgreSQL, or any JDBC URL an
     * integrator chose, with {@code user} and {@code password}), else the home's H2 database
     * ({@link #openHome}).
     */
    public static Database open(Home home, String url, String user, String password, int maxPoolSize) {
        return url == null || url.isBlank() ? openHome(home, new SecretSource(home), maxPoolSize)
                : open(url.strip(), user, password, maxPoolSize);
    }

    /** {@link #openHome(Home, SecretSource, int)} with the home's own secrets. */
    public static Database openHome(Home home, int maxPoolSize) {
        return openHome(home, new SecretSource(home), maxPoolSize);
    }

    /**
     * Opens the home's H2 database ({@link #defaultUrl}): as {@value #ADMIN_USER} it migrates the
     * schema and makes sure {@value #APP_USER} exists with its secret and its table rights, then
     * the pool connects as {@value #APP_USER}. A database made by an earlier progdist, whose admin
     * had no password, gets its admin renamed and the {@value #ADMIN_SECRET} password, once, with a
     * log line saying so. The database files are made owner-only.
     *
     * @throws IllegalStateException if the database cannot be opened (for example because its
     *                               admin password is not the {@value #ADMIN_SECRET} secret)
     */
    public static Database openHome(Home home, SecretSource secrets, int maxPoolSize) {
        String url = defaultUrl(home);
        Path dir = home.databaseDir();
        boolean existed = Files.exists(dir.resolve("progdist.mv.db"));
        String adminSecret = new String(secrets.getOrCreate(ADMIN_SECRET));
        String appSecret = new String(secrets.getOrCreate(APP_SECRET));
        try (Connection admin = connectAdmin(url, adminSecret, existed, secrets)) {
            FluentConfiguration flyway = flyway().dataSource(url, ADMIN_USER, adminSecret);
            migrate(flyway, url);
            ensureApplicationUser(admin, appSecret, flyway.getTable());
            // the pool connects while the admin session still holds the database open
            Database database = new Database(pool(url, APP_USER, appSecret, maxPoolSize));
            ownerOnly(dir);
            return database;
        } catch (SQLException e) {
            throw new IllegalStateException("cannot open database " + redact(url) + ": " + rootMessage(e), e);
        }
    }

    /**
     * Opens the pool and migrates the schema, both with {@code user}: for a database whose account
     * the operator manages (PostgreSQL), or a test's own H2 database.
     *
     * @throws IllegalStateException if the database cannot be reached or a migration fails; the
     *                               message names the URL without credentials
     */
    public static Database open(String url, String user, String password, int maxPoolSize) {
        HikariDataSource ds = pool(url, user, password, maxPoolSize);
        try {
            migrate(flyway().dataSource(ds), url);
        } catch (RuntimeException e) {
            ds.close();
            throw e;
        }
        return new Database(ds);
    }

    private static HikariDataSource pool(String url, String user, String password, int maxPoolSize) {
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
        try {
            return new HikariDataSource(config);
        } catch (RuntimeException e) {
            throw new IllegalStateException("cannot open database " + redact(url) + ": " + rootMessage(e), e);
        }
    }

    private static FluentConfiguration flyway() {
        return Flyway.configure().locations("classpath:db/migration");
    }

    private static void migrate(FluentConfiguration flyway, String url) {
        try {
            var result = flyway.placeholders(java.util.Map.of("stored", generatedColumnKeyword(url))).load()
                    .migrate();
            LOG.info("Database {} at schema version {}", redact(url), result.targetSchemaVersion != null
                    ? result.targetSchemaVersion : result.initialSchemaVersion);
        } catch (RuntimeException e) {
            throw new IllegalStateException("cannot migrate database " + redact(url) + ": " + rootMessage(e), e);
        }
    }

    /**
     * An admin session. A new database is created with {@value #ADMIN_USER} as its admin; a
     * database whose admin is still the password-less {@code ""} of earlier versions is given the
     * secret (the only time the empty password is tried).
     */
    private static Connection connectAdmin(String url, String adminSecret, boolean existed, SecretSource secrets)
            throws SQLException {
        try {
            return DriverManager.getConnection(url, credentials(ADMIN_USER, adminSecret));
        } catch (SQLException e) {
            if (!existed || e.getErrorCode() != H2_WRONG_USER_OR_PASSWORD) {
                throw e;
            }
            Connection legacy;
            try {
                legacy = DriverManager.getConnection(url, credentials("", ""));
            } catch (SQLException notLegacy) {
                throw new IllegalStateException("cannot open database " + redact(url) + ": its admin password is not "
                        + "the '" + ADMIN_SECRET + "' secret (" + SecretSource.environmentVariable(ADMIN_SECRET)
                        + " or " + secrets.file(ADMIN_SECRET) + ")", e);
            }
            try (legacy; Statement s = legacy.createStatement()) {
                s.execute("ALTER USER \"\" RENAME TO " + ADMIN_USER);
                try (PreparedStatement p = legacy.prepareStatement("ALTER USER " + ADMIN_USER + " SET PASSWORD ?")) {
                    p.setString(1, adminSecret);
                    p.execute();
                }
            }
            LOG.warn("Database {} had the password-less admin of earlier progdist versions: it is now {} with the "
                    + "'{}' secret", redact(url), ADMIN_USER, ADMIN_SECRET);
            return DriverManager.getConnection(url, credentials(ADMIN_USER, adminSecret));
        }
    }

    /**
     * {@value #APP_USER} with {@code secret}, no admin, and SELECT, INSERT, UPDATE, DELETE on every
     * table of the schema except Flyway's history (re-granted at each start, so tables of later
     * migrations are covered).
     */
    private static void ensureApplicationUser(Connection admin, String secret, String flywayTable)
            throws SQLException {
        try (PreparedStatement p = admin.prepareStatement("CREATE USER IF NOT EXISTS " + APP_USER + " PASSWORD ?")) {
            p.setString(1, secret);
            p.execute();
        }
        try (PreparedStatement p = admin.prepareStatement("ALTER USER " + APP_USER + " SET PASSWORD ?")) {
            // the secret may have changed (PROGDIST_DB_APP_PASSWORD): the admin's view wins
            p.setString(1, secret);
            p.execute();
        }
        List<String> tables = new ArrayList<>();
        try (Statement s = admin.createStatement();
                ResultSet rs = s.executeQuery("SELECT TABLE_NAME FROM INFORMATION_SCHEMA.TABLES"
                        + " WHERE TABLE_SCHEMA = 'PUBLIC' AND TABLE_TYPE = 'BASE TABLE'")) {
            while (rs.next()) {
                tables.add(rs.getString(1));
            }
        }
        try (Statement s = admin.createStatement()) {
            s.execute("ALTER USER " + APP_USER + " ADMIN FALSE");
            for (String table : tables) {
                String quoted = "PUBLIC.\"" + table.replace("\"", "\"\"") + "\"";
                s.execute(table.equals(flywayTable) ? "REVOKE ALL ON " + quoted + " FROM " + APP_USER
                        : "GRANT SELECT, INSERT, UPDATE, DELETE ON " + quoted + " TO " + APP_USER);
            }
        }
    }

    /** Owner-only modes for the files H2 made (the directory already is). */
    private static void ownerOnly(Path dir) {
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                Files.setPosixFilePermissions(f, KeyStores.OWNER_ONLY);
            }
        } catch (UnsupportedOperationException | IOException e) {
            // not a POSIX file system, or a file H2 just removed: the 0700 directory still guards them
            LOG.debug("cannot restrict the modes of the files in {}: {}", dir, e.toString());
        }
    }

    private static Properties credentials(String user, String password) {
        Properties p = new Properties();
        p.setProperty("user", user);
        p.setProperty("password", password);
        return p;
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

    /** {@code text} cut to a VARCHAR column's {@code max} characters ({@code null} stays {@code null}). */
    public static String cut(String text, int max) {
        return text == null || text.length() <= max ? text : text.substring(0, max);
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
