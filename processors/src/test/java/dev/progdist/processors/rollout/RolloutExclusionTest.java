package dev.progdist.processors.rollout;

import static dev.progdist.processors.rollout.RolloutFixture.percents;
import static org.assertj.core.api.Assertions.assertThat;

import dev.progdist.devpki.DevelopmentPki;
import dev.progdist.devpki.RevocationReason;
import dev.progdist.processors.pki.DeviceCertificateValidator;
import dev.progdist.processors.testing.MutableClock;
import dev.progdist.protocol.Home;
import dev.progdist.protocol.keys.Pem;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Revoked, expired and disabled devices are excluded with their reason, at creation and again when
 * their group starts, with the development PKI's real certificates and CRL.
 */
class RolloutExclusionTest {

    @TempDir
    Path dir;
    DevelopmentPki pki;
    MutableClock clock;
    RolloutFixture f;

    @BeforeEach
    void open() {
        Home home = Home.at(dir.resolve("home"));
        pki = DevelopmentPki.init(home, DevelopmentPki.DEFAULT_SERVER_NAMES, false);
        clock = new MutableClock(Instant.now().truncatedTo(ChronoUnit.SECONDS));
        f = new RolloutFixture(dir, DeviceCertificateValidator.forHome(home, clock), clock, RolloutSettings.defaults());
    }

    @AfterEach
    void close() {
        f.close();
    }

    private static PKCS10CertificationRequest csr() {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(new ECGenParameterSpec("secp256r1"));
            KeyPair keys = g.generateKeyPair();
            return new JcaPKCS10CertificationRequestBuilder(new X500Name("CN=ignored"), keys.getPublic())
                    .build(new JcaContentSignerBuilder("SHA256withECDSA").build(keys.getPrivate()));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** What processor authentication stores once it accepted a device's certificate. */
    private void store(String deviceId, X509Certificate cert) {
        f.sql("UPDATE devices SET certificate_pem = ?, certificate_not_after = ? WHERE device_id = ?", Pem.toPem(cert),
                dev.progdist.processors.store.Database.timestamp(cert.getNotAfter().toInstant()), deviceId);
    }

    @Test
    void revokedExpiredAndDisabledDevicesAreExcludedAtCreation() {
        List<String> ids = f.devices("d", 5);
        for (String id : ids) {
            store(id, pki.certifyDevice(id, csr()));
        }
        pki.revokeDevice("d-001", RevocationReason.KEY_COMPROMISE);
        Instant now = clock.instant();
        store("d-002", pki.certifyDevice("d-002", csr(), now.minus(Duration.ofDays(30)), now.minus(Duration.ofDays(1))));
        f.registry.setStatus("d-003", false);
        f.sql("UPDATE devices SET certificate_pem = NULL, certificate_not_after = NULL WHERE device_id = 'd-004'");

        RolloutView v = f.create(new RolloutFixture.Req());
        assertThat(v.counts()).containsEntry("excluded", 3L).containsEntry("scheduled", 2L);
        assertThat(f.reason(v.id(), "d-001")).isEqualTo("cert-revoked");
        assertThat(f.reason(v.id(), "d-002")).isEqualTo("cert-expired");
        assertThat(f.reason(v.id(), "d-003")).isEqualTo("device-disabled");
        assertThat(f.state(v.id(), "d-004")).as("no stored certificate: its handshake decides").isEqualTo("scheduled");
        assertThat(f.string("SELECT reason_detail FROM rollout_assignments WHERE rollout_id = ? AND device_id = 'd-001'",
                v.id())).contains("revoked");
        RolloutFixture.Req listed = new RolloutFixture.Req();
        listed.targets = RolloutFixture.list(List.of("d-004", "d-001", "d-002"));
        listed.start = false;
        RolloutView l = f.create(listed);
        assertThat(f.reason(l.id(), "d-001")).as("a devices list too").isEqualTo("cert-revoked");
        assertThat(f.reason(l.id(), "d-002")).isEqualTo("cert-expired");
        assertThat(f.state(l.id(), "d-004")).isEqualTo("scheduled");
        f.scheduler.tick();
        assertThat(f.rollouts.checkIn("alice", "d-001")).as("nothing is sent to an excluded device").isEmpty();
        assertThat(f.drainEvents()).anyMatch(e -> e.contains("\"deviceId\":\"d-001\"") && e.contains("\"to\":\"excluded\"")
                && e.contains("\"reason\":\"cert-revoked\""));
        f.deliver("d-004", true, null);
        f.deliver("d-005", true, null);
        f.scheduler.tick();
        RolloutView done = f.view(v.id());
        assertThat(done.status()).as("excluded devices are not eligible").isEqualTo("finished");
    }

    @Test
    void devicesRevokedExpiredOrDisabledAfterCreationAreExcludedWhenTheirGroupStarts() {
        List<String> ids = f.devices("d", 8);
        for (String id : ids) {
            store(id, pki.certifyDevice(id, csr(), clock.instant().minusSeconds(60), clock.instant().plus(Duration.ofDays(2))));
        }
        RolloutFixture.Req r = new RolloutFixture.Req();
        r.groups = percents(50, 100);
        RolloutView v = f.create(r);
        assertThat(v.counts()).containsEntry("excluded", 0L);
        f.scheduler.tick();
        pki.revokeDevice("d-005", RevocationReason.KEY_COMPROMISE);
        f.registry.setStatus("d-006", false);
        clock.advance(Duration.ofDays(1));
        f.sql("UPDATE devices SET certificate_not_after = ? WHERE device_id = 'd-007'",
                dev.progdist.processors.store.Database.timestamp(clock.instant().minusSeconds(1)));
        for (String id : ids.subList(0, 4)) {
            assertThat(f.deliver(id, true, null)).isTrue();
        }
        f.scheduler.tick();
        assertThat(f.view(v.id()).groups().get(1).status()).isEqualTo("running");
        assertThat(f.reason(v.id(), "d-005")).isEqualTo("cert-revoked");
        assertThat(f.reason(v.id(), "d-006")).isEqualTo("device-disabled");
        assertThat(f.reason(v.id(), "d-007")).isEqualTo("cert-expired");
        assertThat(f.state(v.id(), "d-008")).isEqualTo("scheduled");
        assertThat(f.rollouts.checkIn("alice", "d-005")).isEmpty();
        assertThat(f.deliver("d-008", true, null)).isTrue();
        f.scheduler.tick();
        assertThat(f.view(v.id()).status()).isEqualTo("finished");
    }
}
