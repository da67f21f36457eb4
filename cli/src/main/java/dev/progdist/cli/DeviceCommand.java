package dev.progdist.cli;

import dev.progdist.processors.channel.DeviceAdministration;
import dev.progdist.processors.channel.DeviceRegistry;
import dev.progdist.processors.http.ProblemException;
import dev.progdist.processors.pki.DeviceCertificateValidator;
import dev.progdist.processors.store.Database;
import dev.progdist.protocol.DeviceId;
import dev.progdist.protocol.Home;
import dev.progdist.protocol.json.Json;
import java.time.Clock;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "device", mixinStandardHelpOptions = true,
        description = "The device registry: which TRP belongs to which user (also at /api/v1/devices for operators).",
        subcommands = {DeviceCommand.Register.class, DeviceCommand.ListDevices.class, DeviceCommand.Disable.class,
            DeviceCommand.Enable.class, DeviceCommand.Tag.class})
final class DeviceCommand {

    private static void print(com.fasterxml.jackson.databind.JsonNode d) {
        try {
            print(Json.mapper().treeToValue(d, DeviceRegistry.Device.class));
        } catch (java.io.IOException e) {
            throw new IllegalStateException("unexpected answer from the server: " + e.getMessage(), e);
        }
    }

    private static void print(DeviceRegistry.Device d) {
        System.out.printf("%-32s owner %-20s %-9s last seen %s%s%s%n", d.deviceId(), d.ownerUserId(), d.status(),
                d.lastSeenAt() == null ? "never" : d.lastSeenAt() + " (certificate " + d.lastFingerprint() + ")",
                d.certificateNotAfter() == null ? "" : ", certificate valid until " + d.certificateNotAfter(),
                d.tags().isEmpty() ? "" : ", tags " + String.join(",", d.tags()));
    }

    /** The largest certificate file {@code --certificate} reads. */
    static final long MAX_CERTIFICATE_FILE = 16 * 1024;

    /** The PEM text of {@code --certificate FILE}, bounded. */
    static String readCertificate(java.nio.file.Path file) {
        try {
            if (java.nio.file.Files.size(file) > MAX_CERTIFICATE_FILE) {
                throw new IllegalArgumentException(file + " is larger than " + MAX_CERTIFICATE_FILE
                        + " bytes: not a device certificate");
            }
            return java.nio.file.Files.readString(file, java.nio.charset.StandardCharsets.US_ASCII);
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    @Command(name = "register", mixinStandardHelpOptions = true,
            description = "Register a device to its owner (works whether or not the server runs; "
                    + "with --operator through its API).")
    static final class Register implements Callable<Integer> {
        @Mixin
        HomeOption homeOption;

        @Option(names = "--device", required = true, description = "device ID (as in its certificate)")
        String device;

        @Option(names = "--owner", required = true, description = "user ID of the device's owner")
        String owner;

        @Option(names = "--certificate", paramLabel = "FILE",
                description = "the TRP's certificate (PEM): it must validate against the manufacturer CA and its CRL "
                        + "and name this device; stored so that rollouts can exclude revoked and expired devices")
        java.nio.file.Path certificate;

        @Mixin
        ServerApi api;

        @Override
        public Integer call() {
            Home home = homeOption.home();
            String pem = certificate == null ? null : readCertificate(certificate);
            api.change(home, l -> {
                Map<String, String> body = new java.util.LinkedHashMap<>();
                body.put("deviceId", device);
                body.put("owner", owner);
                if (pem != null) {
                    body.put("certificate", pem);
                }
                print(l.client().postJson(l.session(), "/api/v1/devices", body));
                return null;
            }, () -> {
                java.security.cert.X509Certificate cert = null;
                if (pem != null) {
                    try {
                        cert = DeviceAdministration.certificateOf(device, pem,
                                DeviceCertificateValidator.forHome(home, Clock.systemUTC()));
                    } catch (ProblemException e) {
                        throw new IllegalArgumentException("certificate refused: " + e.getMessage(), e);
                    }
                }
                try (Database db = UserCommand.openDatabase(home)) {
                    print(new DeviceRegistry(db, Clock.systemUTC()).register(device, owner, "cli", cert));
                }
                return null;
            });
            return 0;
        }
    }

    @Command(name = "tag", mixinStandardHelpOptions = true,
            description = "Add or remove a device's tags, which rollout filters select on (tag=beta); works whether "
                    + "or not the server runs, with --operator through its API.")
    static final class Tag implements Callable<Integer> {
        @Mixin
        HomeOption homeOption;

        @Option(names = "--device", required = true)
        String device;

        @Option(names = "--add", paramLabel = "TAG", description = "a tag to add (" + DeviceRegistry.TAG_PATTERN + ")")
        java.util.List<String> add = new java.util.ArrayList<>();

        @Option(names = "--remove", paramLabel = "TAG", description = "a tag to remove")
        java.util.List<String> remove = new java.util.ArrayList<>();

        @Mixin
        ServerApi api;

        @Override
        public Integer call() {
            if (add.isEmpty() && remove.isEmpty()) {
                throw new IllegalArgumentException("name at least one --add TAG or --remove TAG");
            }
            for (String t : concat(add, remove)) {
                if (!DeviceRegistry.isValidTag(t)) {
                    throw new IllegalArgumentException("'" + t + "' is not a tag: 1 to 32 characters of a-z 0-9 . _ -, "
                            + "starting with a letter or digit");
                }
            }
            if (!DeviceId.isValid(device)) {
                throw new IllegalArgumentException("no registered device '" + device + "'");
            }
            Home home = homeOption.home();
            api.change(home, l -> {
                com.fasterxml.jackson.databind.JsonNode last = null;
                for (String t : add) {
                    last = l.client().putJson(l.session(), "/api/v1/devices/" + device + "/tags/" + t);
                }
                for (String t : remove) {
                    last = l.client().deleteJson(l.session(), "/api/v1/devices/" + device + "/tags/" + t);
                }
                print(last);
                return null;
            }, () -> {
                try (Database db = UserCommand.openDatabase(home)) {
                    DeviceRegistry registry = new DeviceRegistry(db, Clock.systemUTC());
                    for (String t : add) {
                        if (!registry.addTag(device, t)) {
                            throw new IllegalArgumentException("no registered device '" + device + "'");
                        }
                    }
                    for (String t : remove) {
                        if (!registry.removeTag(device, t)) {
                            throw new IllegalArgumentException("no registered device '" + device + "'");
                        }
                    }
                    print(registry.find(device).orElseThrow());
                }
                return null;
            });
            return 0;
        }

        private static java.util.List<String> concat(java.util.List<String> a, java.util.List<String> b) {
            java.util.List<String> all = new java.util.ArrayList<>(a);
            all.addAll(b);
            return all;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List registered devices.")
    static final class ListDevices implements Callable<Integer> {
        @Mixin
        HomeOption homeOption;

        @Option(names = "--owner", description = "only this user's devices")
        String owner;

        @Override
        public Integer call() {
            try (Database db = UserCommand.openDatabase(homeOption.home())) {
                new DeviceRegistry(db, Clock.systemUTC()).list(owner, 10_000).forEach(DeviceCommand::print);
            }
            return 0;
        }
    }

    /** Options and work shared by {@code disable} and {@code enable}. */
    abstract static class StatusChange implements Callable<Integer> {
        @Mixin
        HomeOption homeOption;

        @Option(names = "--device", required = true)
        String device;

        @Mixin
        ServerApi api;

        abstract boolean active();

        @Override
        public Integer call() {
            Home home = homeOption.home();
            if (!DeviceId.isValid(device)) {
                throw new IllegalArgumentException("no registered device '" + device + "'");
            }
            api.change(home, l -> {
                print(l.client().postJson(l.session(), "/api/v1/devices/" + device + (active() ? "/enable" : "/disable"),
                        Map.of()));
                return null;
            }, () -> setStatus(home, device, active()));
            return 0;
        }
    }

    @Command(name = "disable", mixinStandardHelpOptions = true,
            description = "Disable a device: its next second path is refused (device-disabled).")
    static final class Disable extends StatusChange {
        @Override
        boolean active() {
            return false;
        }
    }

    @Command(name = "enable", mixinStandardHelpOptions = true, description = "Enable a disabled device again.")
    static final class Enable extends StatusChange {
        @Override
        boolean active() {
            return true;
        }
    }

    private static int setStatus(Home home, String device, boolean active) {
        try (Database db = UserCommand.openDatabase(home)) {
            DeviceRegistry registry = new DeviceRegistry(db, Clock.systemUTC());
            if (!registry.setStatus(device, active)) {
                throw new IllegalArgumentException("no registered device '" + device + "'");
            }
            print(registry.find(device).orElseThrow());
        }
        return 0;
    }
}
