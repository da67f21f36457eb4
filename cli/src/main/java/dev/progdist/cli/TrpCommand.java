package dev.progdist.cli;

import dev.progdist.protocol.Home;
import dev.progdist.protocol.keys.CertificateProfile.KeyType;
import dev.progdist.trp.TrpIdentityStore;
import dev.progdist.trp.TrpMain;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "trp", mixinStandardHelpOptions = true, description = "Emulated tamper-resistant processors.",
        subcommands = {TrpCommand.Manufacture.class, TrpCommand.Run.class})
final class TrpCommand {

    @Command(name = "manufacture", mixinStandardHelpOptions = true,
            description = "Create a TRP identity: a unique key pair inside its store, certified by the manufacturer CA.")
    static final class Manufacture implements Callable<Integer> {

        @Mixin
        HomeOption homeOption;

        @Option(names = "--device", required = true, description = "device ID")
        String device;

        @Option(names = "--key", defaultValue = "ec", description = "ec (P-256, default) or rsa (3072 bits)")
        String key;

        @Option(names = "--force", description = "replace an existing TRP identity of that device")
        boolean force;

        @Override
        public Integer call() {
            TrpIdentityStore store = TrpManufacturing.manufacture(homeOption.home(), device, KeyType.parse(key), force);
            System.out.println("TRP " + store.deviceId() + " manufactured (" + store.keyType().cliName() + ")");
            System.out.println("  certificate SHA-256 " + store.fingerprint());
            System.out.println("  store " + TrpIdentityStore.storeFile(homeOption.home(), device));
            return 0;
        }
    }

    @Command(name = "run", mixinStandardHelpOptions = true,
            description = "Run a TRP emulator on the device bus until stopped.")
    static final class Run implements Callable<Integer> {

        @Mixin
        HomeOption homeOption;

        @Option(names = "--device", required = true, description = "device ID (manufactured first)")
        String device;

        @Option(names = "--bus", paramLabel = "URL", description = "device bus broker URL (default: the gateway's, tcp://127.0.0.1:61617)")
        String bus;

        @Option(names = "--fault", paramLabel = "FAULT",
                description = "misbehave on purpose, for demonstrations and tests of rollouts: refuse-install, "
                        + "storage-full, bad-receipt, vanish or slow (default: none, as a real TRP)")
        String fault;

        @Option(names = "--slow-delay", paramLabel = "DURATION",
                description = "with --fault slow: the wait before each relay step (default: 2s)")
        String slowDelay;

        @Override
        public Integer call() throws Exception {
            Home home = homeOption.home();
            TrpIdentityStore.open(home, device); // fail now, clearly, if it was never manufactured
            Map<String, String> overrides = new HashMap<>();
            overrides.put("progdist.home", home.root().toString());
            overrides.put("progdist.trp.device", device);
            if (bus != null) {
                overrides.put("progdist.trp.bus.url", bus);
            }
            if (fault != null) {
                overrides.put("progdist.trp.fault", dev.progdist.trp.TrpFault.parse(fault).label());
            }
            if (slowDelay != null) {
                overrides.put("progdist.trp.fault.slow-delay", Durations.parse("--slow-delay", slowDelay).toString());
            }
            TrpMain.create(overrides).run();
            return 0;
        }
    }
}
