package dev.progdist.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.progdist.devpki.DevelopmentPki;
import dev.progdist.processors.auth.Role;
import dev.progdist.processors.auth.UserDirectory;
import dev.progdist.processors.channel.DeviceRegistry;
import dev.progdist.processors.store.Database;
import dev.progdist.protocol.Home;
import dev.progdist.protocol.keys.Pem;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code device register --certificate} and {@code device tag} on the local database (no server). */
class DeviceCommandTest {

    @TempDir
    Path dir;
    Home home;
    DevelopmentPki pki;

    @BeforeEach
    void homeWithPkiAndOwner() {
        home = Home.at(dir);
        pki = DevelopmentPki.init(home, DevelopmentPki.DEFAULT_SERVER_NAMES, false);
        try (Database db = UserCommand.openDatabase(home)) {
            new UserDirectory(db, UserCommand.hasher(), Clock.systemUTC())
                    .addUser("alice", "a-long-enough-secret".toCharArray(), Role.USER, false);
        }
    }

    private int run(String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.add("--home");
        all.add(dir.toString());
        return ProgdistCli.commandLine().execute(all.toArray(String[]::new));
    }

    @Test
    void registerWithTheDevicesCertificateStoresItAndRefusesAnotherDevicesCertificate() throws Exception {
        X509Certificate cert = certify("cli-dev-1");
        Path file = dir.resolve("cli-dev-1.crt");
        Pem.writeCertificate(file, cert);

        assertThat(run("device", "register", "--device", "cli-dev-1", "--owner", "alice", "--certificate",
                file.toString())).isZero();
        assertThat(run("device", "register", "--device", "cli-dev-2", "--owner", "alice", "--certificate",
                file.toString())).as("the certificate names cli-dev-1").isEqualTo(2);
        Path garbage = java.nio.file.Files.writeString(dir.resolve("garbage.crt"), "not a certificate");
        assertThat(run("device", "register", "--device", "cli-dev-3", "--owner", "alice", "--certificate",
                garbage.toString())).isEqualTo(2);

        try (Database db = UserCommand.openDatabase(home)) {
            DeviceRegistry registry = new DeviceRegistry(db, Clock.systemUTC());
            assertThat(registry.certificatePem("cli-dev-1")).hasValue(Pem.toPem(cert));
            assertThat(registry.find("cli-dev-2")).isEmpty();
            assertThat(registry.find("cli-dev-3")).isEmpty();
        }
    }

    @Test
    void tagAddsAndRemovesTags() {
        assertThat(run("device", "register", "--device", "cli-dev-1", "--owner", "alice")).isZero();

        assertThat(run("device", "tag", "--device", "cli-dev-1", "--add", "beta", "--add", "eu", "--add", "old"))
                .isZero();
        assertThat(run("device", "tag", "--device", "cli-dev-1", "--remove", "old")).isZero();
        assertThat(run("device", "tag", "--device", "cli-dev-1", "--add", "Not-A-Tag")).isEqualTo(2);
        assertThat(run("device", "tag", "--device", "cli-dev-1")).as("nothing to do").isEqualTo(2);
        assertThat(run("device", "tag", "--device", "no-such-device", "--add", "beta")).isEqualTo(2);

        try (Database db = UserCommand.openDatabase(home)) {
            assertThat(new DeviceRegistry(db, Clock.systemUTC()).tags("cli-dev-1")).containsExactly("beta", "eu");
        }
    }

    X509Certificate certify(String deviceId) throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair keys = g.generateKeyPair();
        return pki.certifyDevice(deviceId, new JcaPKCS10CertificationRequestBuilder(new X500Name("CN=ignored"),
                keys.getPublic()).build(new JcaContentSignerBuilder("SHA256withECDSA").build(keys.getPrivate())));
    }
}
