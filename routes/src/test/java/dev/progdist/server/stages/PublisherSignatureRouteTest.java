package dev.progdist.server.stages;

import static org.assertj.core.api.Assertions.assertThat;

import dev.progdist.devpki.DevelopmentPki;
import dev.progdist.processors.delivery.DeliveryContext;
import dev.progdist.processors.delivery.DeliveryContext.Stage;
import dev.progdist.processors.program.ProgramCatalog;
import dev.progdist.protocol.channel.ChannelCode;
import dev.progdist.protocol.program.ProgramStatement;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * camel/delivery/4-publisher-signature.camel.yaml: the stored publisher signature must verify over
 * the program statement with the publisher certificate, or the program is not delivered.
 */
class PublisherSignatureRouteTest extends StageRouteTestSupport {

    TestDevice device;
    ProgramCatalog.ProgramVersion program;

    @Override
    List<String> routeFiles() {
        return List.of("camel/delivery/4-publisher-signature.camel.yaml");
    }

    @BeforeEach
    void published() {
        start();
        device = registered("trp-ec-1", ecKeys());
        program = publish("hello", "1.0", content(2000, 9), null);
    }

    @Test
    void theStoredPublisherSignaturePasses() {
        DeliveryContext next = pass("publisher-signature", resolved(program));

        assertThat(next.stage()).isEqualTo(Stage.SIGNATURE_VERIFIED);
        assertThat(next.program()).isEqualTo(program);
    }

    @Test
    void aPublisherSignatureOverAnotherStatementIsRefused() {
        // the publisher's genuine signature, but of another version: a row altered after upload
        String otherSignature = DevelopmentPki.signAsPublisher(home,
                new ProgramStatement("hello", "2.0", program.sha256(), program.size()));

        assertThat(refusal("publisher-signature", resolved(withSignature(otherSignature))).code())
                .isEqualTo(ChannelCode.PUBLISHER_SIGNATURE_INVALID);
    }

    @Test
    void aSignatureByAnotherKeyIsRefused() throws Exception {
        String notThePublisher = Base64.getEncoder().encodeToString(
                dev.progdist.protocol.keys.Signatures.sign(ecKeys().getPrivate(), program.statement().signedBytes()));

        assertThat(refusal("publisher-signature", resolved(withSignature(notThePublisher))).code())
                .isEqualTo(ChannelCode.PUBLISHER_SIGNATURE_INVALID);
    }

    @Test
    void aPassedSignatureIsRememberedByItsBytesSoARowAlteredAfterwardsIsStillRefused() {
        assertThat(pass("publisher-signature", resolved(program)).stage()).isEqualTo(Stage.SIGNATURE_VERIFIED);
        assertThat(pass("publisher-signature", resolved(program)).stage()).isEqualTo(Stage.SIGNATURE_VERIFIED);

        // the same genuine signature with one byte more in the size: another statement, checked and refused
        ProgramCatalog.ProgramVersion longer = new ProgramCatalog.ProgramVersion(program.programId(),
                program.version(), program.sha256(), program.size() + 1, program.publisherSignature(),
                program.publisherFingerprint(), program.defaultMode(), program.publishedBy(), program.publishedAt());
        assertThat(refusal("publisher-signature", resolved(longer)).code())
                .isEqualTo(ChannelCode.PUBLISHER_SIGNATURE_INVALID);
        String otherSignature = DevelopmentPki.signAsPublisher(home,
                new ProgramStatement("hello", "2.0", program.sha256(), program.size()));
        assertThat(refusal("publisher-signature", resolved(withSignature(otherSignature))).code())
                .isEqualTo(ChannelCode.PUBLISHER_SIGNATURE_INVALID);
        assertThat(pass("publisher-signature", resolved(program)).stage()).isEqualTo(Stage.SIGNATURE_VERIFIED);
    }

    @Test
    void aSignatureThatIsNotBase64IsRefused() {
        assertThat(refusal("publisher-signature", resolved(withSignature("not base64!"))).code())
                .isEqualTo(ChannelCode.PUBLISHER_SIGNATURE_INVALID);
    }

    ProgramCatalog.ProgramVersion withSignature(String signature) {
        return new ProgramCatalog.ProgramVersion(program.programId(), program.version(), program.sha256(),
                program.size(), signature, program.publisherFingerprint(), program.defaultMode(),
                program.publishedBy(), program.publishedAt());
    }

    DeliveryContext resolved(ProgramCatalog.ProgramVersion version) {
        return deviceChecked(device.session(), version.programId(), "", "").at(Stage.ENTITLED).resolved(version);
    }
}
