package dev.progdist.protocol.envelope;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.progdist.protocol.program.EnvelopeMode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;
import org.bouncycastle.asn1.ASN1Sequence;
import org.bouncycastle.asn1.cms.AuthEnvelopedData;
import org.bouncycastle.asn1.cms.ContentInfo;
import org.bouncycastle.asn1.cms.KeyAgreeRecipientInfo;
import org.bouncycastle.asn1.cms.KeyTransRecipientInfo;
import org.bouncycastle.asn1.cms.RecipientInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The two steps of sealing as the delivery stages use them: key wrapping, then program encryption. */
class EnvelopeSealerTest {

    static final SecureRandom RANDOM = new SecureRandom();

    @TempDir
    Path dir;

    @Test
    void wrappedKeyMaterialCarriesTheContentKeyInTheRecipientInfoOfTheKeyType() throws Exception {
        EnvelopeSealer sealer = EnvelopeSealer.forMode(EnvelopeMode.WRAPPED, RANDOM);
        try (DeviceKeyMaterial ec = sealer.wrapKey(TestTrps.EC_A.certificate(), 100);
                DeviceKeyMaterial rsa = sealer.wrapKey(TestTrps.RSA_A.certificate(), 100)) {
            assertThat(recipientInfo(ec).getInfo()).isInstanceOf(KeyAgreeRecipientInfo.class);
            assertThat(recipientInfo(rsa).getInfo()).isInstanceOf(KeyTransRecipientInfo.class);
            assertThat(ec.mode()).isEqualTo(EnvelopeMode.WRAPPED);
            assertThat(ec.envelopeLength()).isEqualTo(ec.header().length + 100 + CmsFormat.MAC_TLV_BYTES);
            assertThat(ec.toString()).doesNotContain(HexFormat.of().formatHex(
                    ((DeviceKeyMaterial.WrappedContentKey) ec).contentKey));
        }
    }

    @Test
    void directKeyMaterialIsAKemEncapsulationBoundToTheRecipient() throws Exception {
        EnvelopeSealer sealer = EnvelopeSealer.forMode(EnvelopeMode.DIRECT, RANDOM);
        try (DeviceKeyMaterial ec = sealer.wrapKey(TestTrps.EC_A.certificate(), 100);
                DeviceKeyMaterial rsa = sealer.wrapKey(TestTrps.RSA_A.certificate(), 100)) {
            // prefix, 2-byte length, then the encapsulation: an uncompressed P-256 point, or an RSA block
            assertThat(ec.header()).hasSize(DirectFormat.PREFIX_BYTES + 2 + 65);
            assertThat(rsa.header().length).isGreaterThanOrEqualTo(DirectFormat.PREFIX_BYTES + 2 + 384);
            assertThat(ec.recipientCertificateDigest())
                    .isEqualTo(Envelopes.certificateDigest(TestTrps.EC_A.certificate()));
        }
        // fresh secrets every time
        try (DeviceKeyMaterial a = sealer.wrapKey(TestTrps.EC_A.certificate(), 1);
                DeviceKeyMaterial b = sealer.wrapKey(TestTrps.EC_A.certificate(), 1)) {
            assertThat(a.header()).isNotEqualTo(b.header());
        }
    }

    @Test
    void encryptionConsumesTheKeyMaterialAndOnlyTheRecipientOpensIt() throws Exception {
        for (EnvelopeMode mode : EnvelopeMode.values()) {
            for (TestTrps.Trp trp : new TestTrps.Trp[] {TestTrps.EC_A, TestTrps.RSA_A}) {
                Path program = EnvelopeRoundTripTest.program(dir, 70_000, 7);
                EnvelopeSealer sealer = EnvelopeSealer.forMode(mode, RANDOM);
                DeviceKeyMaterial keys = sealer.wrapKey(trp.certificate(), Files.size(program));
                Path envelope = dir.resolve("env-" + mode + "-" + trp.name());
                try (EnvelopeStream stream = sealer.encrypt(keys, program)) {
                    assertThat(stream.length()).isEqualTo(keys.envelopeLength());
                    Files.write(envelope, stream.readAllBytes());
                }
                assertThatThrownBy(() -> sealer.encrypt(keys, program)).isInstanceOf(IllegalStateException.class);
                Path out = dir.resolve("out-" + mode + "-" + trp.name());
                assertThat(EnvelopeOpener.open(envelope, trp.key(), trp.certificate(), out).mode()).isEqualTo(mode);
                assertThat(Files.readAllBytes(out)).isEqualTo(Files.readAllBytes(program));
                Files.delete(out);
                assertThatThrownBy(() -> EnvelopeOpener.open(envelope, TestTrps.EC_B.key(),
                        TestTrps.EC_B.certificate(), out)).isInstanceOf(EnvelopeException.class);
            }
        }
    }

    @Test
    void keyMaterialIsForOneSizeAndOneMode() throws Exception {
        Path program = EnvelopeRoundTripTest.program(dir, 1000, 3);
        EnvelopeSealer wrapped = EnvelopeSealer.forMode(EnvelopeMode.WRAPPED, RANDOM);
        EnvelopeSealer direct = EnvelopeSealer.forMode(EnvelopeMode.DIRECT, RANDOM);
        DeviceKeyMaterial forOtherSize = wrapped.wrapKey(TestTrps.EC_A.certificate(), 999);
        assertThatThrownBy(() -> wrapped.encrypt(forOtherSize, program)).isInstanceOf(EnvelopeException.class)
                .extracting(e -> ((EnvelopeException) e).code()).isEqualTo(EnvelopeException.IO);
        try (DeviceKeyMaterial directKeys = direct.wrapKey(TestTrps.EC_A.certificate(), 1000)) {
            assertThatThrownBy(() -> wrapped.encrypt(directKeys, program)).isInstanceOf(IllegalArgumentException.class);
        }
        DeviceKeyMaterial closed = direct.wrapKey(TestTrps.EC_A.certificate(), 1000);
        closed.close();
        assertThatThrownBy(() -> direct.encrypt(closed, program)).isInstanceOf(IllegalStateException.class);
    }

    private static RecipientInfo recipientInfo(DeviceKeyMaterial wrapped) throws Exception {
        // the header is the DER of ContentInfo up to the content: complete it with an empty content and tag
        byte[] header = wrapped.header();
        byte[] whole = new byte[(int) wrapped.envelopeLength()];
        System.arraycopy(header, 0, whole, 0, header.length);
        whole[whole.length - CmsFormat.MAC_TLV_BYTES] = 0x04;
        whole[whole.length - CmsFormat.MAC_TLV_BYTES + 1] = 16;
        ContentInfo info = ContentInfo.getInstance(ASN1Sequence.getInstance(whole));
        AuthEnvelopedData aed = AuthEnvelopedData.getInstance(info.getContent());
        return RecipientInfo.getInstance(aed.getRecipientInfos().getObjectAt(0));
    }
}
