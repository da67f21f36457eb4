package dev.progdist.server.stages;

import static org.assertj.core.api.Assertions.assertThat;

import dev.progdist.processors.delivery.DeliveryContext;
import dev.progdist.processors.delivery.DeliveryContext.Stage;
import dev.progdist.processors.program.ProgramCatalog;
import dev.progdist.protocol.channel.ChannelCode;
import dev.progdist.protocol.envelope.DeviceKeyMaterial;
import dev.progdist.protocol.program.EnvelopeMode;
import java.util.List;
import org.bouncycastle.asn1.ASN1Sequence;
import org.bouncycastle.asn1.cms.AuthEnvelopedData;
import org.bouncycastle.asn1.cms.ContentInfo;
import org.bouncycastle.asn1.cms.KeyAgreeRecipientInfo;
import org.bouncycastle.asn1.cms.KeyTransRecipientInfo;
import org.bouncycastle.asn1.cms.RecipientInfo;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * camel/delivery/5-key-wrapping.camel.yaml: the per-device key material, for the key of the
 * validated TRP certificate, in the mode the TRP asked for, else the program's, else the server's.
 */
class KeyWrappingRouteTest extends StageRouteTestSupport {

    /** The direct envelope's fixed prefix (magic, version, mode, recipient digest) before the encapsulation. */
    static final int DIRECT_PREFIX = 51;
    /** An AES-GCM tag as the CMS envelope ends: OCTET STRING, length 16, the tag. */
    static final int MAC_TLV = 2 + 16;

    TestDevice ec;
    TestDevice rsa;

    @Override
    List<String> routeFiles() {
        return List.of("camel/delivery/5-key-wrapping.camel.yaml");
    }

    @BeforeEach
    void devices() {
        start();
        ec = manufacture("trp-ec-1", ecKeys());
        rsa = manufacture("trp-rsa-1", rsaKeys());
    }

    @Test
    void wrappedForAnEcKeyIsAKeyAgreement() throws Exception {
        ProgramCatalog.ProgramVersion program = publish("hello", "1.0", content(1000, 1), null);
        DeliveryContext next = pass("key-wrapping", verified(ec, program, "wrapped"));

        assertThat(next.stage()).isEqualTo(Stage.KEY_WRAPPED);
        assertThat(next.mode()).isEqualTo(EnvelopeMode.WRAPPED);
        assertThat(next.keyMaterial().mode()).isEqualTo(EnvelopeMode.WRAPPED);
        assertThat(recipientInfo(next.keyMaterial()).getInfo()).isInstanceOf(KeyAgreeRecipientInfo.class);
        assertThat(next.keyMaterial().envelopeLength())
                .isEqualTo(next.keyMaterial().header().length + program.size() + MAC_TLV);
        assertThat(next.outgoing()).as("key wrapping sends nothing").isEmpty();
        next.release();
    }

    @Test
    void wrappedForAnRsaKeyIsAKeyTransport() throws Exception {
        ProgramCatalog.ProgramVersion program = publish("hello", "1.0", content(1000, 1), null);
        DeliveryContext next = pass("key-wrapping", verified(rsa, program, "wrapped"));

        assertThat(next.stage()).isEqualTo(Stage.KEY_WRAPPED);
        assertThat(next.mode()).isEqualTo(EnvelopeMode.WRAPPED);
        assertThat(recipientInfo(next.keyMaterial()).getInfo()).isInstanceOf(KeyTransRecipientInfo.class);
        next.release();
    }

    @Test
    void directForAnEcKeyIsAnUncompressedP256Encapsulation() {
        ProgramCatalog.ProgramVersion program = publish("hello", "1.0", content(1000, 1), null);
        DeliveryContext next = pass("key-wrapping", verified(ec, program, "direct"));

        assertThat(next.stage()).isEqualTo(Stage.KEY_WRAPPED);
        assertThat(next.mode()).isEqualTo(EnvelopeMode.DIRECT);
        assertThat(next.keyMaterial().mode()).isEqualTo(EnvelopeMode.DIRECT);
        assertThat(next.keyMaterial().header()).hasSize(DIRECT_PREFIX + 2 + 65);
        next.release();
    }

    @Test
    void directForAnRsaKeyIsAn3072BitEncapsulation() {
        ProgramCatalog.ProgramVersion program = publish("hello", "1.0", content(1000, 1), null);
        DeliveryContext next = pass("key-wrapping", verified(rsa, program, "direct"));

        assertThat(next.mode()).isEqualTo(EnvelopeMode.DIRECT);
        assertThat(next.keyMaterial().header()).hasSize(DIRECT_PREFIX + 2 + 384);
        next.release();
    }

    @Test
    void withoutAModeAskedForTheProgramsDefaultApplies() {
        ProgramCatalog.ProgramVersion program = publish("hello", "1.0", content(1000, 1), EnvelopeMode.DIRECT);
        DeliveryContext next = pass("key-wrapping", verified(ec, program, ""));

        assertThat(next.mode()).isEqualTo(EnvelopeMode.DIRECT);
        assertThat(next.keyMaterial().mode()).isEqualTo(EnvelopeMode.DIRECT);
        next.release();
    }

    @Test
    void withoutAModeAskedForOrAProgramDefaultTheServersDefaultApplies() throws Exception {
        // the server default here is wrapped (defaultMode()); the program names none
        ProgramCatalog.ProgramVersion program = publish("hello", "1.0", content(1000, 1), null);
        DeliveryContext next = pass("key-wrapping", verified(rsa, program, ""));

        assertThat(next.mode()).isEqualTo(EnvelopeMode.WRAPPED);
        assertThat(recipientInfo(next.keyMaterial()).getInfo()).isInstanceOf(KeyTransRecipientInfo.class);
        next.release();
    }

    @Test
    void theModeAskedForWinsOverTheProgramsDefault() {
        ProgramCatalog.ProgramVersion program = publish("hello", "1.0", content(1000, 1), EnvelopeMode.DIRECT);
        DeliveryContext next = pass("key-wrapping", verified(ec, program, "wrapped"));

        assertThat(next.mode()).isEqualTo(EnvelopeMode.WRAPPED);
        next.release();
    }

    @Test
    void aDeliveryWhosePublisherSignatureWasNotCheckedIsRefused() {
        ProgramCatalog.ProgramVersion program = publish("hello", "1.0", content(1000, 1), null);
        DeliveryContext resolvedOnly = deviceChecked(ec.session(), "hello", "", "").at(Stage.ENTITLED).resolved(program);

        assertThat(refusal("key-wrapping", resolvedOnly).code()).isEqualTo(ChannelCode.PROTOCOL_VIOLATION);
    }

    /** A delivery as it leaves the publisher-signature check. */
    DeliveryContext verified(TestDevice device, ProgramCatalog.ProgramVersion program, String mode) {
        return deviceChecked(device.session(), program.programId(), "", mode).at(Stage.ENTITLED).resolved(program)
                .at(Stage.SIGNATURE_VERIFIED);
    }

    /** The CMS RecipientInfo of wrapped key material, parsed as EnvelopeSealerTest does. */
    static RecipientInfo recipientInfo(DeviceKeyMaterial wrapped) {
        // the header is the DER of ContentInfo up to the content: complete it with an empty content and tag
        byte[] header = wrapped.header();
        byte[] whole = new byte[(int) wrapped.envelopeLength()];
        System.arraycopy(header, 0, whole, 0, header.length);
        whole[whole.length - MAC_TLV] = 0x04;
        whole[whole.length - MAC_TLV + 1] = 16;
        ContentInfo info = ContentInfo.getInstance(ASN1Sequence.getInstance(whole));
        AuthEnvelopedData aed = AuthEnvelopedData.getInstance(info.getContent());
        return RecipientInfo.getInstance(aed.getRecipientInfos().getObjectAt(0));
    }
}
