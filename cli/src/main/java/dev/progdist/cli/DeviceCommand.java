package dev.progdist.cli;

import dev.progdist.processors.channel.DeviceRegistry;
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
            DeviceCommand.Enable.class})
final class DeviceCommand {

    private static void print(com.fasterxml.jackson.databind.JsonNode d) {
        try {
            print(Json.mapper().treeToValue(d, DeviceRegistry.Device.class));
        } catch (java.io.IOException e) {
            throw new IllegalStateException("unexpected answer from the server: " + e.getMessage(), e);
        }
    }

    private static void print(DeviceRegistry.Device d) {
        System.out.printf("%-32s owner %-20s %-9s last seen %s%n", d.deviceId(), d.ownerUserId(), d.status(),
                d.lastSeenAt() == null ? "never" : d.lastSeenAt() + " (certificate " + d.lastFingerprint() + ")");
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

        @Mixin
        ServerApi api;

        @Override
        public Integer call() {
            Home home = homeOption.home();
            api.change(home, l -> {
                print(l.client().postJson(l.session(), "/api/v1/devices", Map.of("deviceId", device, "owner", owner)));
                return null;
            }, () -> {
                try (Database db = UserCommand.openDatabase(home)) {
                    print(new DeviceRegistry(db, Clock.systemUTC()).register(device, owner, "cli"));
                }
                return null;
            });
            return 0;
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
