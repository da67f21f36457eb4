package dev.progdist.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.progdist.processors.channel.DeviceRegistry;
import dev.progdist.processors.store.Database;
import dev.progdist.protocol.Home;
import dev.progdist.trp.TrpIdentityStore;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code fleet provision} on a fresh home without a server: the TRPs are manufactured and
 * certified, and registered to their owner in the home's database; bad options are refused in one
 * line with nothing made.
 */
class FleetProvisionTest {

    @TempDir
    Path dir;

    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.add("--home");
        all.add(dir.toString());
        CommandLine cl = ProgdistCli.commandLine();
        cl.setErr(new PrintWriter(err, true));
        return cl.execute(all.toArray(String[]::new));
    }

    @Test
    void provisionManufacturesAndRegistersEveryDevice() {
        Home home = Home.at(dir);
        assertThat(run("pki", "init")).isZero();
        InputStream in = System.in;
        System.setIn(new ByteArrayInputStream("a long secret\n".getBytes(StandardCharsets.UTF_8)));
        try {
            assertThat(run("user", "add", "olga")).isZero();
        } finally {
            System.setIn(in);
        }

        assertThat(run("fleet", "provision", "--prefix", "lab", "--devices", "4", "--owner", "olga", "--key", "mixed"))
                .isZero();

        try (Database db = UserCommand.openDatabase(home)) {
            List<DeviceRegistry.Device> devices = new DeviceRegistry(db, Clock.systemUTC()).list("olga", 100);
            assertThat(devices).extracting(DeviceRegistry.Device::deviceId)
                    .containsExactlyInAnyOrder("lab-0001", "lab-0002", "lab-0003", "lab-0004");
            assertThat(devices).allMatch(DeviceRegistry.Device::active);
        }
        assertThat(TrpIdentityStore.open(home, "lab-0001").keyType().cliName()).isEqualTo("ec");
        assertThat(TrpIdentityStore.open(home, "lab-0002").keyType().cliName()).isEqualTo("rsa");

        // run again with more devices: the first four are kept, the fifth is made
        assertThat(run("fleet", "provision", "--prefix", "lab", "--devices", "5", "--owner", "olga")).isZero();
        try (Database db = UserCommand.openDatabase(home)) {
            assertThat(new DeviceRegistry(db, Clock.systemUTC()).list("olga", 100)).hasSize(5);
        }
        assertThat(TrpIdentityStore.open(home, "lab-0002").keyType().cliName()).isEqualTo("rsa");
    }

    @Test
    void badOptionsAreRefusedInOneLineWithNothingMade() {
        assertThat(run("pki", "init")).isZero();
        assertThat(run("fleet", "provision", "--prefix", "a/b", "--devices", "2", "--owner", "olga")).isEqualTo(2);
        assertThat(run("fleet", "provision", "--prefix", "lab", "--devices", "2", "--owner", "olga", "--key", "dsa"))
                .isEqualTo(2);
        assertThat(run("fleet", "provision", "--prefix", "lab", "--devices", "0", "--owner", "olga")).isEqualTo(2);
        assertThat(err.toString().lines()).hasSize(3).allMatch(l -> l.startsWith("progdist: "));
        assertThat(err.toString()).contains("--prefix").contains("--key must be ec, rsa or mixed").contains("--devices");
        assertThat(TrpIdentityStore.isManufactured(Home.at(dir), "lab-0001")).isFalse();
        // an owner the registry does not know: refused, named
        err.getBuffer().setLength(0);
        assertThat(run("fleet", "provision", "--prefix", "lab", "--devices", "1", "--owner", "nobody")).isEqualTo(2);
        assertThat(err.toString()).contains("no user 'nobody'");
        assertThat(TrpIdentityStore.isManufactured(Home.at(dir), "lab-0001")).isFalse();
    }

    @Test
    void fleetRunRefusesUnprovisionedDevicesBeforeAskingForTheSecret() {
        assertThat(run("pki", "init")).isZero();
        assertThat(run("fleet", "run", "--prefix", "none", "--devices", "3", "--user", "olga", "--faults", "vanish=4"))
                .isEqualTo(2);
        assertThat(err.toString()).contains("4 misbehaving devices but the fleet has 3");
    }
}
