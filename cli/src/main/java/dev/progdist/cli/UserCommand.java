package dev.progdist.cli;

import dev.progdist.processors.auth.PasswordHasher;
import dev.progdist.processors.auth.Role;
import dev.progdist.processors.auth.UserAdministration;
import dev.progdist.processors.auth.UserDirectory;
import dev.progdist.processors.store.AuditLog;
import dev.progdist.processors.store.Database;
import dev.progdist.protocol.Home;
import dev.progdist.settings.AppSettings;
import java.time.Clock;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Function;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "user", mixinStandardHelpOptions = true, description = "Manage first-path users.",
        subcommands = {UserCommand.Add.class, UserCommand.ListUsers.class, UserCommand.Disable.class,
            UserCommand.Enable.class, UserCommand.RevokeSessions.class})
final class UserCommand {

    /** Who the audit trail names for a change made with the CLI on the database. */
    static final String CLI_ACTOR = "cli";

    /**
     * The same administration the operator API uses, on the local database, auditing straight
     * into it. This process holds no channels: a server ends the channels of ended sessions on its
     * next request or expiry check.
     */
    static UserAdministration administration(Database db) {
        return new UserAdministration(new UserDirectory(db, hasher(), Clock.systemUTC()),
                new AuditLog(db, Clock.systemUTC())::record);
    }

    /** Opens the server's database the same way the server does (works whether or not it runs). */
    static Database openDatabase(Home home) {
        Function<String, String> s = AppSettings.read("server", Map.of("progdist.home", home.root().toString()));
        return Database.open(home, s.apply("progdist.db.url"), s.apply("progdist.db.user"),
                s.apply("progdist.db.password"), 2);
    }

    static PasswordHasher hasher() {
        Function<String, String> s = AppSettings.read("server", Map.of());
        return new PasswordHasher(Integer.parseInt(s.apply("progdist.auth.argon2.memory-kib")),
                Integer.parseInt(s.apply("progdist.auth.argon2.iterations")),
                Integer.parseInt(s.apply("progdist.auth.argon2.parallelism")));
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
            UserAdministration.Change change;
            try {
                change = api.change(home, Secrets.OPERATOR_ENV, l -> {
                    l.client().postJson(l.session(), "/api/v1/users",
                            Map.of("userId", userId, "password", new String(secret), "role", parsedRole.dbValue()));
                    return new UserAdministration.Change(userId, true, false, 0);
                }, () -> {
                    try (Database db = openDatabase(home)) {
                        return administration(db).add(CLI_ACTOR, userId, secret, parsedRole, replace);
                    }
                });
            } finally {
                java.util.Arrays.fill(secret, '\0');
            }
            System.out.println("User '" + userId + "' " + (change.created() ? "added" : "stored") + " with role "
                    + parsedRole.dbValue() + (change.created() ? "" : "; " + change.sessionsEnded()
                    + " session(s) ended"));
            return 0;
        }
    }

    /** Options and work shared by {@code disable}, {@code enable} and {@code revoke-sessions}. */
    abstract static class UserChange implements Callable<Integer> {

        @Mixin
        HomeOption homeOption;

        @Parameters(paramLabel = "USER", description = "user ID")
        String userId;

        @Mixin
        ServerApi api;

        abstract UserAdministration.Change apply(UserAdministration admin);

        /** The operator API's action for this change: {@code POST /api/v1/users/{userId}/<action>}. */
        abstract String action();

        @Override
        public Integer call() {
            if (!UserDirectory.isValidUserId(userId)) {
                throw new IllegalArgumentException("no user '" + userId + "'");
            }
            Home home = homeOption.home();
            UserAdministration.Change c = api.change(home, l -> {
                var answer = l.client().postJson(l.session(), "/api/v1/users/" + userId + "/" + action(), Map.of());
                return new UserAdministration.Change(answer.path("userId").asText(userId), false,
                        answer.path("disabled").asBoolean(), answer.path("sessionsEnded").asInt());
            }, () -> {
                try (Database db = openDatabase(home)) {
                    return apply(administration(db));
                }
            });
            System.out.println("User '" + c.userId() + "' is " + (c.disabled() ? "disabled" : "enabled") + "; "
                    + c.sessionsEnded() + " session(s) ended");
            return 0;
        }
    }

    @Command(name = "disable", mixinStandardHelpOptions = true,
            description = "Disable a user: no more logins, and all of the user's sessions end at once.")
    static final class Disable extends UserChange {
        @Override
        String action() {
            return "disable";
        }

        @Override
        UserAdministration.Change apply(UserAdministration admin) {
            return admin.disable(CLI_ACTOR, userId);
        }
    }

    @Command(name = "enable", mixinStandardHelpOptions = true, description = "Enable a disabled user again.")
    static final class Enable extends UserChange {
        @Override
        String action() {
            return "enable";
        }

        @Override
        UserAdministration.Change apply(UserAdministration admin) {
            return admin.enable(CLI_ACTOR, userId);
        }
    }

    @Command(name = "revoke-sessions", mixinStandardHelpOptions = true,
            description = "End all sessions of a user (and their second paths); the user may log in again.")
    static final class RevokeSessions extends UserChange {
        @Override
        String action() {
            return "revoke-sessions";
        }

        @Override
        UserAdministration.Change apply(UserAdministration admin) {
            return admin.revokeSessions(CLI_ACTOR, userId);
        }
    }
}
