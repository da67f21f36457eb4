package dev.progdist.server.stages;

import static org.assertj.core.api.Assertions.assertThat;

import dev.progdist.processors.delivery.DeliveryContext;
import dev.progdist.processors.delivery.DeliveryContext.Stage;
import dev.progdist.processors.delivery.RolloutLink;
import dev.progdist.processors.program.DeliveryLedger;
import dev.progdist.processors.program.ProgramCatalog;
import dev.progdist.protocol.channel.ChannelCode;
import dev.progdist.protocol.channel.ChannelMessage;
import dev.progdist.protocol.envelope.EnvelopeException;
import dev.progdist.protocol.envelope.EnvelopeOpener;
import dev.progdist.protocol.program.EnvelopeMode;
import dev.progdist.protocol.wire.TrpStatus;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The delivery stages of a delivery that serves a rollout (camel/delivery/1 to 7, program request
 * through transmit): program request links the Fetch to the device's assignment, key wrapping
 * follows the rollout's mode whatever the Fetch asked, a wrapped rollout is encrypted once and each
 * device's envelope wraps the same content key (sharing the ciphertext, opening only with that
 * device's key), and transmit ends a delivery whose rollout stopped at its next window.
 *
 * <p>The rollout engine is stood in for by {@link Assignments}, an in-memory {@link RolloutLink}
 * that claims what the test assigned.
 */
class RolloutDeliveryRouteTest extends StageRouteTestSupport {

    /** Two windows of 64 KiB chunks at least, for the stop test. */
    static final int WINDOW = 65_536;

    /** The engine's side of the link, as far as these stages see it. */
    static final class Assignments implements RolloutLink {
        final Map<String, Assignment> byDevice = new ConcurrentHashMap<>();
        final Map<String, String> claims = new ConcurrentHashMap<>();
        final Set<String> stopped = ConcurrentHashMap.newKeySet();
        final Set<String> broken = ConcurrentHashMap.newKeySet();

        @Override
        public Optional<Assignment> claim(String deviceId, String programId, String version, String deliveryId) {
            if (broken.contains(deviceId)) {
                throw new IllegalStateException("the rollout store is unreachable");
            }
            Assignment a = byDevice.get(deviceId + " " + programId + " " + version);
            if (a != null) {
                claims.put(deliveryId, a.rolloutId());
            }
            return Optional.ofNullable(a);
        }

        @Override
        public boolean stillWanted(String deliveryId) {
            return !stopped.contains(claims.get(deliveryId));
        }
    }

    final Assignments assignments = new Assignments();

    @Override
    RolloutLink rollouts() {
        return assignments;
    }

    @Override
    int deliveryWindow() {
        return WINDOW;
    }

    @Override
    List<String> routeFiles() {
        return List.of("camel/delivery/1-program-request.camel.yaml", "camel/delivery/2-entitlement.camel.yaml",
                "camel/delivery/3-version-resolution.camel.yaml", "camel/delivery/4-publisher-signature.camel.yaml",
                "camel/delivery/5-key-wrapping.camel.yaml", "camel/delivery/6-program-encryption.camel.yaml",
                "camel/delivery/7-transmit.camel.yaml");
    }

    @BeforeEach
    void startContext() {
        start();
    }

    @Test
    void aWrappedRolloutIsEncryptedOnceAndEachDevicesEnvelopeOpensOnlyWithItsKey() throws Exception {
        byte[] bytes = content(50_000, 7);
        publish("hello", "1.0", bytes, EnvelopeMode.DIRECT);
        entitlements.grant("hello", USER, "olga");
        TestDevice ec = registered("trp-ec-1", ecKeys());
        TestDevice rsa = registered("trp-rsa-1", rsaKeys());
        assign(ec, "r-1", "wrapped");
        assign(rsa, "r-1", "wrapped");

        // the Fetch asks for direct (the program's default too): the rollout's mode wins
        DeliveryContext first = pass("program-request", requested(ec, "hello", "1.0", "direct"));
        DeliveryContext second = pass("program-request", requested(rsa, "hello", "1.0", ""));

        for (DeliveryContext d : List.of(first, second)) {
            assertThat(d.stage()).isEqualTo(Stage.SENT);
            assertThat(d.assignment().rolloutId()).isEqualTo("r-1");
            assertThat(d.mode()).isEqualTo(EnvelopeMode.WRAPPED);
            DeliveryLedger.Delivery row = ledger.find(d.deliveryId()).orElseThrow();
            assertThat(row.rolloutId()).isEqualTo("r-1");
            assertThat(row.mode()).isEqualTo("wrapped");
        }
        Path releaseDir = home.releasesDir().resolve("test-instance");
        try (Stream<Path> files = Files.list(releaseDir)) {
            assertThat(files.map(p -> p.getFileName().toString())).as("one release for both devices")
                    .containsExactly("r-1-rollout.bin");
        }
        byte[] ciphertext = Files.readAllBytes(releaseDir.resolve("r-1-rollout.bin"));
        byte[] envelopeEc = envelope(first);
        byte[] envelopeRsa = envelope(second);
        assertThat(tail(envelopeEc, ciphertext.length)).as("shared ciphertext").isEqualTo(ciphertext);
        assertThat(tail(envelopeRsa, ciphertext.length)).isEqualTo(ciphertext);

        assertThat(open(envelopeEc, ec, "ec")).isEqualTo(bytes);
        assertThat(open(envelopeRsa, rsa, "rsa")).isEqualTo(bytes);
        Path ecFile = Files.write(dir.resolve("env-ec"), envelopeEc);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> EnvelopeOpener.open(ecFile, rsa.keys().getPrivate(),
                rsa.certificate(), dir.resolve("wrong"))).isInstanceOf(EnvelopeException.class);

        // a second rollout of the same program has its own release (and content key)
        TestDevice other = registered("trp-ec-2", ecKeys());
        assign(other, "r-2", "wrapped");
        DeliveryContext third = pass("program-request", requested(other, "hello", "1.0", "wrapped"));
        assertThat(open(envelope(third), other, "other")).isEqualTo(bytes);
        assertThat(Arrays.equals(tail(envelope(third), ciphertext.length), ciphertext)).isFalse();

        assertThat(releases.end("r-1")).isEqualTo(1);
        assertThat(Files.exists(releaseDir.resolve("r-1-rollout.bin"))).as("deleted when the rollout ends").isFalse();
        assertThat(Files.exists(releaseDir.resolve("r-2-rollout.bin"))).isTrue();
        assertThat(releases.rolloutIds()).containsExactly("r-2");
    }

    @Test
    void aDirectRolloutStaysPerDeviceAndAFetchOfTheLatestVersionServesNoRollout() throws Exception {
        byte[] bytes = content(20_000, 8);
        publish("hello", "1.0", bytes, null);
        entitlements.grant("hello", USER, "olga");
        TestDevice ec = registered("trp-ec-1", ecKeys());
        assign(ec, "r-1", "direct");

        DeliveryContext latest = pass("program-request", requested(ec, "hello", "", "wrapped"));
        assertThat(latest.assignment()).isNull();
        assertThat(latest.mode()).isEqualTo(EnvelopeMode.WRAPPED);
        assertThat(ledger.find(latest.deliveryId()).orElseThrow().rolloutId()).isNull();
        assertThat(assignments.claims).isEmpty();

        DeliveryContext linked = pass("program-request", requested(ec, "hello", "1.0", "wrapped"));
        assertThat(linked.mode()).isEqualTo(EnvelopeMode.DIRECT);
        assertThat(open(envelope(linked), ec, "direct")).isEqualTo(bytes);
        assertThat(releases.rolloutIds()).as("direct rollouts encrypt per device").isEmpty();
    }

    @Test
    void aRolloutDeliveryOfTheVersionTheTrpHoldsIsServedAgainAnOrdinaryOneIsARollback() throws Exception {
        byte[] bytes = content(20_000, 11);
        publish("hello", "1.0", bytes, null);
        entitlements.grant("hello", USER, "olga");
        TestDevice ec = registered("trp-ec-1", ecKeys());
        TestDevice alone = registered("trp-ec-2", ecKeys());
        assign(ec, "r-1", "direct");
        // both TRPs said in their Hello that they hold 1.0 (say its receipt was lost in a crash)
        TrpStatus.InstalledProgram held = new TrpStatus.InstalledProgram("hello", "1.0");

        DeliveryContext linked = pass("program-request", DeliveryContext.requested(ec.session(held),
                new ChannelMessage.Fetch("hello", "1.0", "")));
        assertThat(linked.stage()).as("served in full, to be installed again").isEqualTo(Stage.SENT);
        assertThat(linked.assignment().rolloutId()).isEqualTo("r-1");
        assertThat(open(envelope(linked), ec, "again")).isEqualTo(bytes);
        assertThat(ledger.find(linked.deliveryId()).orElseThrow().outcome()).isEqualTo("sending");

        DeliveryContext ordinary = DeliveryContext.requested(alone.session(held),
                new ChannelMessage.Fetch("hello", "1.0", ""));
        assertThat(refusal("program-request", ordinary).code()).as("no assignment: the strict rule")
                .isEqualTo(ChannelCode.ROLLBACK_REFUSED);
        assertThat(assignments.claims).containsOnlyKeys(linked.deliveryId());
        linked.release();
    }

    @Test
    void aStoppedRolloutEndsItsDeliveryAtTheNextWindowAndOthersGoOn() {
        publish("hello", "1.0", content(3 * WINDOW, 9), null);
        entitlements.grant("hello", USER, "olga");
        TestDevice ec = registered("trp-ec-1", ecKeys());
        TestDevice alone = registered("trp-ec-2", ecKeys());
        assign(ec, "r-1", "wrapped");

        DeliveryContext linked = pass("program-request", requested(ec, "hello", "1.0", ""));
        DeliveryContext single = pass("program-request", requested(alone, "hello", "1.0", ""));
        assertThat(linked.stage()).isEqualTo(Stage.SENDING);
        assertThat(single.assignment()).isNull();

        assignments.stopped.add("r-1");
        assertThat(refusal("transmit-next", ack(linked)).code()).isEqualTo(ChannelCode.ROLLOUT_STOPPED);
        assertThat(pass("transmit-next", ack(single)).stage()).as("not linked: never asked")
                .isEqualTo(Stage.SENDING);
        linked.release();
        single.release();
    }

    @Test
    void aFailingClaimFailsTheLedgerRowItOpened() {
        publish("hello", "1.0", content(1000, 10), null);
        entitlements.grant("hello", USER, "olga");
        TestDevice ec = registered("trp-ec-1", ecKeys());
        assignments.broken.add("trp-ec-1");

        Object result;
        try {
            result = template.requestBody("direct:program-request", requested(ec, "hello", "1.0", ""));
        } catch (org.apache.camel.CamelExecutionException e) {
            result = e.getCause();
        }
        assertThat(result).isInstanceOf(IllegalStateException.class);
        DeliveryLedger.Delivery row = ledger.list("trp-ec-1", null, null, 10).get(0);
        assertThat(row.outcome()).isEqualTo("failed");
        assertThat(row.reasonCode()).isEqualTo("internal-error");
    }

    void assign(TestDevice device, String rolloutId, String mode) {
        assignments.byDevice.put(device.deviceId() + " hello 1.0", new RolloutLink.Assignment(rolloutId, 1, mode,
                "rollout"));
    }

    static DeliveryContext ack(DeliveryContext sending) {
        return sending.sentOut().receiving(new ChannelMessage.DeliveryAck(sending.transfer().sent()));
    }

    static byte[] envelope(DeliveryContext sent) throws Exception {
        assertThat(sent.stage()).isEqualTo(Stage.SENT);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (ChannelMessage m : sent.outgoing()) {
            if (m instanceof ChannelMessage.DeliveryChunk chunk) {
                out.write(chunk.data());
            }
        }
        return out.toByteArray();
    }

    /** The encrypted content of a wrapped envelope: before the 18-byte mac TLV. */
    static byte[] tail(byte[] envelope, int contentLength) {
        return Arrays.copyOfRange(envelope, envelope.length - 18 - contentLength, envelope.length - 18);
    }

    byte[] open(byte[] envelope, TestDevice device, String name) throws Exception {
        Path file = Files.write(dir.resolve("envelope-" + name), envelope);
        Path out = dir.resolve("plaintext-" + name);
        EnvelopeOpener.open(file, device.keys().getPrivate(), device.certificate(), out);
        return Files.readAllBytes(out);
    }
}
