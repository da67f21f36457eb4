package dev.progdist.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.progdist.gateway.FirstPathClient;
import dev.progdist.devpki.DevelopmentPki;
import dev.progdist.protocol.Home;
import dev.progdist.protocol.program.EnvelopeMode;
import dev.progdist.protocol.program.ProgramStatement;
import dev.progdist.protocol.program.ProgramVersions;
import dev.progdist.protocol.wire.SessionResponse;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.Signature;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Function;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "program", mixinStandardHelpOptions = true,
        description = "The program catalog through the server's API (operators only; log in with --operator): "
                + "publish signed programs, list them, entitle users, read the delivery ledger.",
        subcommands = {ProgramCommand.Publish.class, ProgramCommand.ListPrograms.class, ProgramCommand.Versions.class,
            ProgramCommand.Grant.class, ProgramCommand.Revoke.class, ProgramCommand.Deliveries.class,
            ProgramSealCommand.class})
final class ProgramCommand {

    /**
     * How program commands log in. Like {@link OperatorLogin}, but the operator is {@code --operator}
     * because {@code --user} names the user a grant is for.
     */
    static class Operator {
        @Mixin
        HomeOption homeOption;

        @Option(names = "--server", paramLabel = "URL", defaultValue = "https://localhost:8443",
                description = "distribution server (default: ${DEFAULT-VALUE})")
        URI server;

        @Option(names = "--operator", required = true, paramLabel = "USER",
                description = "operator user ID to log in as (secret from $PROGDIST_PASSWORD or standard input)")
        String operator;

        @Option(names = "--trust-ca", paramLabel = "PEM",
                description = "CA that certifies the server (default: $PROGDIST_HOME/pki/distribution-ca.crt)")
        Path trustCa;

        /** Logs in, runs {@code call}, logs out. */
        <T> T call(Function<OperatorLogin.Login, T> call) {
            OperatorLogin.Login l = OperatorLogin.login(homeOption.home(), server, trustCa, operator);
            try {
                return call.apply(l);
            } finally {
                l.client().logout(l.session());
            }
        }
    }

    // no mixinStandardHelpOptions: its -V/--version would take the program's --version
    @Command(name = "publish",
            description = "Sign FILE with the publisher key ($PROGDIST_HOME/pki/publisher.p12) and upload it "
                    + "(streamed, never held in memory).")
    static final class Publish implements Callable<Integer> {
        @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
        boolean help;

        @Mixin
        Operator login;

        @Parameters(paramLabel = "FILE", description = "the program")
        Path file;

        @Option(names = "--id", required = true, description = "program ID")
        String id;

        @Option(names = "--version", required = true, description = "version (ordered like 1.9 < 1.10)")
        String version;

        @Option(names = "--default-mode", paramLabel = "MODE", description = "direct or wrapped (default: none)")
        String defaultMode;

        @Override
        public Integer call() {
            if (!Files.isRegularFile(file)) {
                throw new IllegalArgumentException("no file " + file);
            }
            EnvelopeMode mode = defaultMode == null ? null : EnvelopeMode.parse(defaultMode);
            JsonNode v = login.call(l -> publish(l.client(), l.session(), login.homeOption.home(), file, id, version, mode));
            System.out.printf("Published %s %s: sha256 %s, %d bytes%s%n", v.path("programId").asText(),
                    v.path("version").asText(), v.path("sha256").asText(), v.path("size").asLong(),
                    v.hasNonNull("defaultMode") ? ", default mode " + v.path("defaultMode").asText() : "");
            return 0;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List programs with their latest version.")
    static final class ListPrograms implements Callable<Integer> {
        @Mixin
        Operator login;

        @Override
        public Integer call() {
            JsonNode programs = login.call(l -> l.client().getJson(l.session(), "/api/v1/programs"));
            for (JsonNode p : programs.path("programs")) {
                JsonNode latest = p.path("latest");
                System.out.printf("%-32s latest %-16s %3d version(s)  sha256 %s%n", p.path("programId").asText(),
                        latest.path("version").asText(), p.path("versions").asInt(), latest.path("sha256").asText());
            }
            return 0;
        }
    }

    @Command(name = "versions", mixinStandardHelpOptions = true,
            description = "List the versions of one program, oldest first.")
    static final class Versions implements Callable<Integer> {
        @Mixin
        Operator login;

        @Option(names = "--id", required = true, description = "program ID")
        String id;

        @Override
        public Integer call() {
            requireProgramId(id);
            JsonNode program = login.call(l -> l.client().getJson(l.session(), "/api/v1/programs/" + id));
            for (JsonNode v : program.path("versions")) {
                System.out.printf("%-16s %12d bytes  sha256 %s  mode %-7s  %s by %s%n", v.path("version").asText(),
                        v.path("size").asLong(), v.path("sha256").asText(), v.path("defaultMode").asText("-"),
                        v.path("publishedAt").asText(), v.path("publishedBy").asText());
            }
            return 0;
        }
    }

    @Command(name = "grant", mixinStandardHelpOptions = true,
            description = "Entitle a user to a program (every version of it).")
    static final class Grant implements Callable<Integer> {
        @Mixin
        Operator login;

        @Option(names = "--id", required = true, description = "program ID")
        String id;

        @Option(names = "--user", required = true, description = "the user to entitle")
        String user;

        @Override
        public Integer call() {
            requireProgramId(id);
            JsonNode g = login.call(l -> l.client().postJson(l.session(), "/api/v1/programs/" + id + "/grants",
                    Map.of("userId", user)));
            System.out.printf("User %s may receive %s (granted by %s at %s)%n", g.path("userId").asText(),
                    g.path("programId").asText(), g.path("grantedBy").asText(), g.path("grantedAt").asText());
            return 0;
        }
    }

    @Command(name = "revoke", mixinStandardHelpOptions = true, description = "Remove a user's grant for a program.")
    static final class Revoke implements Callable<Integer> {
        @Mixin
        Operator login;

        @Option(names = "--id", required = true, description = "program ID")
        String id;

        @Option(names = "--user", required = true, description = "the user whose grant ends")
        String user;

        @Override
        public Integer call() {
            requireProgramId(id);
            login.call(l -> {
                l.client().delete(l.session(), "/api/v1/programs/" + id + "/grants/" + encode(user));
                return null;
            });
            System.out.printf("User %s may no longer receive %s%n", user, id);
            return 0;
        }
    }

    @Command(name = "deliveries", mixinStandardHelpOptions = true,
            description = "The delivery ledger, newest first (at most --limit entries).")
    static final class Deliveries implements Callable<Integer> {
        @Mixin
        Operator login;

        @Option(names = "--device", description = "only this device")
        String device;

        @Option(names = "--program", description = "only this program")
        String program;

        @Option(names = "--user", description = "only this user's deliveries")
        String user;

        @Option(names = "--limit", defaultValue = "100", description = "1 to 1000 (default: ${DEFAULT-VALUE})")
        int limit;

        @Override
        public Integer call() {
            StringBuilder query = new StringBuilder("/api/v1/deliveries?limit=" + limit);
            if (device != null) {
                query.append("&deviceId=").append(encode(device));
            }
            if (program != null) {
                query.append("&programId=").append(encode(program));
            }
            if (user != null) {
                query.append("&userId=").append(encode(user));
            }
            JsonNode ledger = login.call(l -> l.client().getJson(l.session(), query.toString()));
            for (JsonNode d : ledger.path("deliveries")) {
                System.out.printf("%s  %-9s %s %s -> %s (user %s)%s  requested %s%s%n", d.path("deliveryId").asText(),
                        d.path("outcome").asText(), d.path("programId").asText(),
                        d.path("version").asText(d.path("requestedVersion").asText("latest")),
                        d.path("deviceId").asText(), d.path("userId").asText(),
                        d.hasNonNull("mode") ? " " + d.path("mode").asText() : "", d.path("requestedAt").asText(),
                        d.hasNonNull("reasonCode") ? "  reason " + d.path("reasonCode").asText() + ": "
                                + d.path("reasonDetail").asText("") : "");
            }
            return 0;
        }
    }

    // ---- helpers ---------------------------------------------------------------------------------

    /**
     * Signs the statement of {@code file} with the publisher key of {@code home} and uploads it as
     * {@code id} {@code version} (streamed); returns the server's description of the new version.
     */
    static JsonNode publish(FirstPathClient client, SessionResponse session, Home home, Path file, String id,
            String version, EnvelopeMode defaultMode) {
        // Ask first whether the version exists (and whether this login may publish): the server's
        // early refusal of an upload can reach the client as a closed connection while it is still
        // sending the bytes.
        JsonNode programs = client.getJson(session, "/api/v1/programs");
        for (JsonNode p : programs.path("programs")) {
            if (p.path("programId").asText().equals(id)) {
                for (JsonNode existing : client.getJson(session, "/api/v1/programs/" + id).path("versions")) {
                    if (ProgramVersions.compare(existing.path("version").asText(), version) == 0) {
                        throw new IllegalStateException("program-exists: program " + id + " already has version "
                                + existing.path("version").asText());
                    }
                }
            }
        }
        ProgramStatement statement = ProgramStatement.of(id, version, file);
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Progdist-Program-Sha256", statement.sha256());
        headers.put("Progdist-Publisher-Signature", DevelopmentPki.signAsPublisher(home, statement));
        if (defaultMode != null) {
            headers.put("Progdist-Default-Mode", defaultMode.label());
        }
        return client.postFile(session, "/api/v1/programs/" + id + "/versions/" + version, file, headers, 201);
    }

    private static void requireProgramId(String id) {
        if (!ProgramVersions.isProgramId(id)) {
            throw new IllegalArgumentException("a program ID must match " + ProgramVersions.PROGRAM_ID_PATTERN);
        }
    }

    private static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
