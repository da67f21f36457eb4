package dev.progdist.processors.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.progdist.protocol.Home;
import dev.progdist.protocol.keys.SecretSource;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The home's H2 database as a local process sees it while the server has it open: the auto-server
 * key in {@code db/progdist.lock.db} alone does not let it in, and the application's account,
 * even with its secret, cannot make H2 run Java or touch files.
 */
class H2AccountsTest {

    @TempDir
    Path dir;

    private Database db;

    @AfterEach
    void tearDown() {
        if (db != null) {
            db.close();
        }
    }

    /** What the lock file tells a local process: the auto-server's address and its key. */
    private String autoServerUrl() throws Exception {
        Properties lock = new Properties();
        try (InputStream in = Files.newInputStream(Home.at(dir).databaseDir().resolve("progdist.lock.db"))) {
            lock.load(in);
        }
        return "jdbc:h2:tcp://" + lock.getProperty("server") + "/" + lock.getProperty("id");
    }

    private String secret(String name) {
        return new String(new SecretSource(Home.at(dir), Map.of()).get(name));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "SA", Database.ADMIN_USER, Database.APP_USER})
    void theLockFileKeyWithoutAPasswordDoesNotOpenTheDatabase(String user) throws Exception {
        db = Database.openHome(Home.at(dir), 2);
        String url = autoServerUrl();

        assertThatThrownBy(() -> {
            // as the review did it: connect with the key, then have the server's JVM run our Java
            try (Connection c = DriverManager.getConnection(url, user, "");
                    Statement s = c.createStatement()) {
                s.execute("CREATE ALIAS PID AS 'long pid() { return ProcessHandle.current().pid(); }'");
                try (ResultSet rs = s.executeQuery("CALL PID()")) {
                    rs.next();
                    throw new AssertionError("ran Java in the server's JVM, pid " + rs.getLong(1));
                }
            }
        }).isInstanceOf(SQLException.class).extracting(e -> ((SQLException) e).getErrorCode()).isEqualTo(28000);
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "CREATE ALIAS PID AS 'long pid() { return ProcessHandle.current().pid(); }'",
        "CREATE ALIAS GETPROP FOR 'java.lang.System.getProperty'",
        "CREATE TRIGGER T BEFORE INSERT ON users FOR EACH ROW AS 'org.h2.api.Trigger create() { return null; }'",
        "CREATE TRIGGER T BEFORE INSERT ON users FOR EACH ROW CALL 'org.h2.tools.TriggerAdapter'",
        "CREATE AGGREGATE A FOR 'org.h2.api.AggregateFunction'",
        "RUNSCRIPT FROM 'script.sql'",
        "SCRIPT TO 'dump.sql'",
        "BACKUP TO 'backup.zip'",
        "CALL FILE_WRITE(X'00', 'written')",
        "CALL FILE_READ('/etc/hostname')",
        "CALL CSVWRITE('written.csv', 'SELECT 1')",
        "SELECT * FROM CSVREAD('/etc/hostname')",
        "CREATE LINKED TABLE L('org.h2.Driver', 'jdbc:h2:mem:other', '', '', 'T')",
        "SET TRACE_LEVEL_FILE 3",
        "SET EXCLUSIVE 1",
        "SHUTDOWN",
        "CREATE USER EVIL PASSWORD 'evil-password' ADMIN",
        "ALTER USER PROGDIST_APP ADMIN TRUE",
        "ALTER USER PROGDIST_ADMIN SET PASSWORD 'x'",
        "CREATE SCHEMA S",
        "CREATE TABLE X (A INT)",
        "DROP TABLE users",
        "ALTER TABLE users ADD COLUMN extra INT",
        "SELECT * FROM \"flyway_schema_history\"",
        "DELETE FROM \"flyway_schema_history\""
    })
    void theApplicationAccountCannotRunJavaTouchFilesOrChangeTheSchema(String sql) throws Exception {
        db = Database.openHome(Home.at(dir), 2);

        try (Connection c = DriverManager.getConnection(autoServerUrl(), Database.APP_USER,
                secret(Database.APP_SECRET)); Statement s = c.createStatement()) {
            assertThatThrownBy(() -> s.execute(sql)).isInstanceOf(SQLException.class)
                    .extracting(e -> ((SQLException) e).getErrorCode())
                    // admin rights required, not enough rights for the object
                    .isIn(90040, 90096);
        }
        assertThat(dir.resolve("written")).doesNotExist();
    }

    @Test
    void thePoolIsTheApplicationAccountAndCanDoItsWork() throws Exception {
        db = Database.openHome(Home.at(dir), 2);

        try (Connection c = db.connection(); Statement s = c.createStatement()) {
            try (ResultSet rs = s.executeQuery("SELECT CURRENT_USER")) {
                rs.next();
                assertThat(rs.getString(1)).isEqualTo(Database.APP_USER);
            }
            s.execute("INSERT INTO audit_events (at, event, actor, subject) VALUES (CURRENT_TIMESTAMP, 'e', 'a', 's')");
            assertThat(s.executeUpdate("UPDATE audit_events SET detail = 'd'")).isEqualTo(1);
            try (ResultSet rs = s.executeQuery("SELECT id FROM audit_events FOR UPDATE")) {
                assertThat(rs.next()).isTrue();
            }
            assertThat(s.executeUpdate("DELETE FROM audit_events")).isEqualTo(1);
            assertThatThrownBy(() -> s.execute("CREATE ALIAS PID AS 'long pid() { return 1; }'"))
                    .isInstanceOf(SQLException.class);
        }
    }

    @Test
    void evenTheAdminCannotAliasAJavaClassByName() throws Exception {
        db = Database.openHome(Home.at(dir), 2);

        try (Connection c = DriverManager.getConnection(autoServerUrl(), Database.ADMIN_USER,
                secret(Database.ADMIN_SECRET)); Statement s = c.createStatement()) {
            assertThatThrownBy(() -> s.execute("CREATE ALIAS GETPROP FOR 'java.lang.System.getProperty'"))
                    .isInstanceOf(SQLException.class).extracting(e -> ((SQLException) e).getErrorCode())
                    .isEqualTo(90134); // access to the class is denied (h2.allowedClasses)
        }
    }

    @Test
    void tablesOfLaterMigrationsAreGrantedAtTheNextStart() throws Exception {
        Database.openHome(Home.at(dir), 2).close();
        // what a later migration (run by the admin) adds
        try (Connection c = DriverManager.getConnection(Database.defaultUrl(Home.at(dir)), Database.ADMIN_USER,
                secret(Database.ADMIN_SECRET)); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE later_table (id INT PRIMARY KEY)");
        }

        db = Database.openHome(Home.at(dir), 2);

        try (Connection c = db.connection(); Statement s = c.createStatement()) {
            assertThat(s.executeUpdate("INSERT INTO later_table VALUES (1)")).isEqualTo(1);
        }
    }

    @Test
    void aDatabaseOfAnEarlierVersionGetsTheAdminSecretOnce() throws Exception {
        Home home = Home.at(dir);
        // as earlier versions opened it: admin "" with no password, the pool as that admin
        try (Database old = Database.open(Database.defaultUrl(home), "", "", 2);
                Connection c = old.connection(); Statement s = c.createStatement()) {
            s.execute("INSERT INTO users (user_id, password_hash, role, created_at) "
                    + "VALUES ('alice', 'hash', 'user', CURRENT_TIMESTAMP)");
        }

        db = Database.openHome(home, 2);

        try (Connection c = db.connection(); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT user_id FROM users")) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getString(1)).isEqualTo("alice");
        }
        assertThatThrownBy(() -> DriverManager.getConnection(autoServerUrl(), "", "").close())
                .isInstanceOf(SQLException.class);
        db.close();
        db = null;
        // and once only: the next start opens it with the secret
        assertThatThrownBy(() -> DriverManager.getConnection(Database.defaultUrl(home), "", "").close())
                .isInstanceOf(SQLException.class);
        db = Database.openHome(home, 2);
        assertThat(db.isReachable()).isTrue();
    }

    @Test
    void aWrongAdminSecretIsNamedAndTheEmptyPasswordIsNotTriedOnANewDatabase() {
        Home home = Home.at(dir);
        Database.openHome(home, 2).close();

        SecretSource other = new SecretSource(home, Map.of(SecretSource.environmentVariable(Database.ADMIN_SECRET),
                "not-the-admin-secret"));
        assertThatThrownBy(() -> Database.openHome(home, other, 2))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("PROGDIST_DB_ADMIN_PASSWORD")
                .hasMessageContaining("db-admin.password")
                .hasMessageNotContaining("not-the-admin-secret");
    }

    @Test
    void theDatabaseFilesAndSecretsAreOwnerOnly() throws Exception {
        Home home = Home.at(dir);
        db = Database.openHome(home, 2);

        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(home.databaseDir())))
                .isEqualTo("rwx------");
        try (var files = Files.list(home.databaseDir())) {
            assertThat(files.toList()).isNotEmpty().allSatisfy(f -> assertThat(
                    PosixFilePermissions.toString(Files.getPosixFilePermissions(f))).as(f.toString())
                    .isEqualTo("rw-------"));
        }
        for (String name : new String[] {Database.ADMIN_SECRET, Database.APP_SECRET}) {
            Path file = new SecretSource(home).file(name);
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        }
    }
}
