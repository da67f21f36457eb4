package dev.progdist.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.progdist.devpki.DevelopmentPki;
import dev.progdist.processors.program.BlobStore;
import dev.progdist.processors.program.ProgramCatalog;
import dev.progdist.processors.store.Database;
import dev.progdist.protocol.Home;
import dev.progdist.protocol.envelope.OpenedEnvelope;
import dev.progdist.protocol.json.Json;
import dev.progdist.protocol.keys.CertificateProfile.KeyType;
import dev.progdist.protocol.keys.Fingerprints;
import dev.progdist.protocol.keys.Pem;
import dev.progdist.protocol.program.EnvelopeMode;
import dev.progdist.protocol.program.ProgramStatement;
import dev.progdist.trp.TrpIdentityStore;
import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Clock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@code program seal}: the offline envelope for one device certificate opens with that TRP's key
 * and holds the published bytes; a certificate that fails validation (revoked, not from the
 * manufacturer CA) and a catalog whose signature does not verify are refused with exit 3 and no
 * envelope.
 */
class ProgramSealTest {

    @TempDir
    Path dir;
    Home home;
    DevelopmentPki pki;
    byte[] program;
    String previousHome;

    @BeforeEach
    void setUp() throws Exception {
        previousHome = System.getProperty(Home.PROPERTY);
        home = Home.at(dir);
        pki = DevelopmentPki.init(home, DevelopmentPki.DEFAULT_SERVER_NAMES, false);
        program = new byte[200_000];
        new SecureRandom().nextBytes(program);
        Path file = dir.resolve("tool.bin");
        Files.write(file, program);
        ProgramStatement statement = ProgramStatement.of("tool", "1.0", file);
        try (Database db = UserCommand.openDatabase(home)) {
            new ProgramCatalog(db, BlobStore.forHome(home), Clock.systemUTC()).publish(statement,
                    DevelopmentPki.signAsPublisher(home, statement), Fingerprints.sha256(pki.publisherCertificate()), null, "test",
                    new ByteArrayInputStream(program));
        }
    }

    @AfterEach
    void restoreHome() {
        // --home sets the JVM-wide progdist.home: leave it as it was for the next tests
        if (previousHome == null) {
            System.clearProperty(Home.PROPERTY);
        } else {
            System.setProperty(Home.PROPERTY, previousHome);
        }
    }

    @ParameterizedTest
    @EnumSource(EnvelopeMode.class)
    void anOfflineEnvelopeOpensWithTheDevicesKeyAndHoldsThePublishedBytes(EnvelopeMode mode) throws Exception {
        for (KeyType type : KeyType.values()) {
            String device = "seal-" + type.cliName() + "-" + mode.label();
            TrpIdentityStore trp = TrpManufacturing.manufacture(home, device, type, false);
            Path cert = dir.resolve(device + ".crt");
            Pem.writeCertificate(cert, trp.certificate());
            Path out = dir.resolve(device + ".env");

            assertThat(seal(cert, mode, out)).isZero();

            Path plain = dir.resolve(device + ".plain");
            OpenedEnvelope opened = trp.openEnvelope(out, plain);
            assertThat(opened.mode()).isEqualTo(mode);
            assertThat(Files.readAllBytes(plain)).isEqualTo(program);
            JsonNode meta = Json.mapper().readTree(dir.resolve(device + ".env.json").toFile());
            assertThat(meta.path("envelopeSha256").asText()).isEqualTo(opened.envelopeSha256Hex());
            assertThat(meta.path("programSha256").asText()).isEqualTo(opened.plaintextSha256Hex());
            assertThat(meta.path("deviceId").asText()).isEqualTo(device);
            assertThat(new ProgramStatement("tool", "1.0", opened.plaintextSha256Hex(), opened.size())
                    .isSignedBy(pki.publisherCertificate().getPublicKey(), meta.path("publisherSignature").asText()))
                    .isTrue();
        }
    }

    @Test
    void aRevokedDeviceCertificateIsRefused() throws Exception {
        TrpIdentityStore trp = TrpManufacturing.manufacture(home, "seal-revoked", KeyType.EC_P256, false);
        Path cert = dir.resolve("revoked.crt");
        Pem.writeCertificate(cert, trp.certificate());
        pki.revokeDevice("seal-revoked", "keyCompromise");
        Path out = dir.resolve("revoked.env");
        StringWriter err = new StringWriter();

        assertThat(seal(cert, EnvelopeMode.WRAPPED, out, err)).isEqualTo(3);
        assertThat(out).doesNotExist();
    }

    @Test
    void aCertificateNotFromTheManufacturerCaIsRefused() throws Exception {
        // the publisher's own certificate: valid, but issued by the distribution CA
        Path cert = dir.resolve("publisher.crt");
        Pem.writeCertificate(cert, pki.publisherCertificate());
        Path out = dir.resolve("foreign.env");
        assertThat(seal(cert, EnvelopeMode.DIRECT, out)).isEqualTo(3);
        assertThat(out).doesNotExist();
    }

    @Test
    void aStoredSignatureThatDoesNotVerifyIsRefused() throws Exception {
        try (Database db = UserCommand.openDatabase(home);
                Connection c = db.connection();
                PreparedStatement ps = c.prepareStatement("UPDATE programs SET publisher_signature = ?")) {
            ps.setString(1, DevelopmentPki.signAsPublisher(home,
                    ProgramStatement.of("tool", "9.9", dir.resolve("tool.bin"))));
            ps.executeUpdate();
        }
        TrpIdentityStore trp = TrpManufacturing.manufacture(home, "seal-sig", KeyType.EC_P256, false);
        Path cert = dir.resolve("sig.crt");
        Pem.writeCertificate(cert, trp.certificate());
        Path out = dir.resolve("sig.env");
        assertThat(seal(cert, EnvelopeMode.WRAPPED, out)).isEqualTo(3);
        assertThat(out).doesNotExist();
    }

    private int seal(Path cert, EnvelopeMode mode, Path out) {
        return seal(cert, mode, out, new StringWriter());
    }

    private int seal(Path cert, EnvelopeMode mode, Path out, StringWriter err) {
        picocli.CommandLine cl = ProgdistCli.commandLine();
        cl.setErr(new PrintWriter(err, true));
        return cl.execute("program", "seal", "--home", dir.toString(), "--id", "tool", "--version", "1.0",
                "--device-cert", cert.toString(), "--mode", mode.label(), "--out", out.toString());
    }
}
