package dev.progdist.protocol.envelope;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.progdist.protocol.envelope.TestTrps.Trp;
import dev.progdist.protocol.keys.DeviceKey;
import dev.progdist.protocol.program.EnvelopeMode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.KeyManager;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** One {@link EnvelopeOpener} per mode, reached through a {@link DeviceKey} that only offers operations. */
class EnvelopeOpenersTest {

    private static final SecureRandom RANDOM = new SecureRandom();

    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({"DIRECT, ec", "DIRECT, rsa", "WRAPPED, ec", "WRAPPED, rsa"})
    void eachModeHasItsOpenerWhichRefusesTheOtherMode(EnvelopeMode mode, String keyType) throws Exception {
        Trp trp = TestTrps.of(keyType, true);
        CountingKey key = new CountingKey(DeviceKey.inMemory(trp.key(), List.of(trp.certificate())));
        Path program = dir.resolve("program");
        Files.write(program, new byte[70_000]);
        Path envelope = dir.resolve("envelope");
        ProgramSealer.seal(mode, trp.certificate(), program, envelope, RANDOM);
        Path out = dir.resolve("out");

        EnvelopeOpener opener = EnvelopeOpener.forMode(mode);
        assertThat(opener.mode()).isEqualTo(mode);
        assertThat(opener).isInstanceOf(mode == EnvelopeMode.DIRECT ? DirectEnvelopeOpener.class
                : WrappedEnvelopeOpener.class);
        assertThat(opener.decrypt(envelope, key, out).mode()).isEqualTo(mode);
        assertThat(Files.mismatch(program, out)).isEqualTo(-1L);
        assertThat(EnvelopeOpener.open(envelope, key, out).mode()).isEqualTo(mode);
        // one private-key operation per opening, of the kind the mode and key type call for
        assertThat(key.operations.get()).isEqualTo(2);

        EnvelopeMode other = mode == EnvelopeMode.DIRECT ? EnvelopeMode.WRAPPED : EnvelopeMode.DIRECT;
        assertThatThrownBy(() -> EnvelopeOpener.forMode(other).decrypt(envelope, key, out))
                .isInstanceOfSatisfying(EnvelopeException.class,
                        e -> assertThat(e.code()).isEqualTo(EnvelopeException.MALFORMED));
        assertThat(out).doesNotExist();
    }

    /** Passes the operations through and counts them; it has no private key to hand out. */
    private static final class CountingKey implements DeviceKey {
        private final DeviceKey inner;
        final AtomicInteger operations = new AtomicInteger();

        CountingKey(DeviceKey inner) {
            this.inner = inner;
        }

        @Override
        public X509Certificate certificate() {
            return inner.certificate();
        }

        @Override
        public List<X509Certificate> chain() {
            return inner.chain();
        }

        @Override
        public byte[] sign(byte[] message) throws GeneralSecurityException {
            operations.incrementAndGet();
            return inner.sign(message);
        }

        @Override
        public byte[] agree(ECPublicKey peer) throws GeneralSecurityException {
            operations.incrementAndGet();
            return inner.agree(peer);
        }

        @Override
        public byte[] decryptRaw(byte[] ciphertext) throws GeneralSecurityException {
            operations.incrementAndGet();
            return inner.decryptRaw(ciphertext);
        }

        @Override
        public byte[] decryptOaepSha256(byte[] ciphertext) throws GeneralSecurityException {
            operations.incrementAndGet();
            return inner.decryptOaepSha256(ciphertext);
        }

        @Override
        public KeyManager[] tlsKeyManagers() throws GeneralSecurityException {
            return inner.tlsKeyManagers();
        }
    }
}
