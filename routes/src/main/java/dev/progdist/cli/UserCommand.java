package dev.progdist.cli;

import dev.progdist.processors.auth.PasswordHasher;
import dev.progdist.processors.auth.Role;
import dev.progdist.processors.auth.UserDirectory;
import dev.progdist.processors.store.Database;
import dev.progdist.protocol.Home;
import dev.progdist.protocol.Settings;
import java.time.Clock;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "user", mixinStandardHelpOptions = true, description = "Manage first-path users.",
        subcommands = {UserCommand.Add.class, UserCommand.ListUsers.class})
final class UserCommand {

    /** Opens the server's database the same way the server does (works whether or not it runs). */
    static Database openDatabase(Home home) {
        Properties s = Settings.load("server", Map.of("progdist.home", home.root().toString()));
        String url = s.getProperty("progdist.db.url", "").strip();
        return Database.open(home, url, s.getProperty("progdist.db.user"),
                s.getProperty("progdist.db.password"), 2);
    }

    static PasswordHasher hasher() {
        Properties s = Settings.load("server", Map.of());
        return new PasswordHasher(Integer.parseInt(s.getProperty("progdist.auth.argon2.memory-kib").strip()),
                Integer.parseInt(s.getProperty("progdist.auth.argon2.iterations").strip()),
                Integer.parseInt(s.getProperty("progdist.auth.argon2.parallelism").strip()));
    }

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = "List users through the server's API (operators only; logs in with --user).")
    static final class ListUsers implements Callable<Integer> {

        @Mixin
        OperatorLogin login;

        @Override
        public Integer call() {
            OperatorLogin.Login l = login.login();
            try {
                for (var u : l.client().getJson(l.session(), "/api/v1/users").path("users")) {
                    System.out.printf("%-32s %-9s %s%n", u.path("userId").asText(), u.path("role").asText(),
                            u.path("createdAt").asText());
                }
            } finally {
                l.client().logout(l.session());
            }
            return 0;
        }
    }

    @Command(name = "add", mixinStandardHelpOptions = true,
            description = "Add a user. The secret comes from $PROGDIST_PASSWORD or standard input, never argv. "
                    + "With --operator, through the server's API; the operator's secret then comes from "
                    + "$PROGDIST_OPERATOR_PASSWORD or the next line of standard input.")
    static final class Add implements Callable<Integer> {

        @Mixin
        HomeOption homeOption;

        @Parameters(paramLabel = "USER", description = "user ID")
        String userId;

        @Option(names = "--role", defaultValue = "user", description = "user (device owner) or operator (default: ${DEFAULT-VALUE})")
        String role;

        @Option(names = "--replace", description = "replace the secret and role of an existing user")
        boolean replace;

        @Mixin
        ServerApi api;

        @Override
        public Integer call() {
            Role parsedRole = Role.parse(role);
            if (replace && api.operator != null) {
                throw new IllegalArgumentException("the operator API cannot replace a user yet: run 'user add "
                        + userId + " --replace' without --operator");
            }
            char[] secret = Secrets.read("secret for " + userId);
            String violation = UserDirectory.secretPolicyViolation(secret);
            if (violation != null) {
                throw new IllegalArgumentException(violation);
            }
            Home home = homeOption.home();
            try {
                api.change(home, Secrets.OPERATOR_ENV, l -> l.client().postJson(l.session(), "/api/v1/users",
                        Map.of("userId", userId, "password", new String(secret), "role", parsedRole.dbValue())), () -> {
                            try (Database db = openDatabase(home)) {
                                new UserDirectory(db, hasher(), Clock.systemUTC()).addUser(userId, secret, parsedRole,
                                        replace);
                            }
                            return null;
                        });
            } finally {
                java.util.Arrays.fill(secret, '\0');
            }
            System.out.println("User '" + userId + "' " + (replace ? "stored" : "added") + " with role " + parsedRole.dbValue());
            return 0;
        }
    }
}
