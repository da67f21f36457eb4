package dev.progdist.trp;

import dev.progdist.protocol.channel.ChannelCode;
import dev.progdist.protocol.keys.CertificateProfile;
import dev.progdist.protocol.keys.InvalidSignatureException;
import dev.progdist.protocol.keys.Signatures;
import dev.progdist.protocol.program.ProgramStatement;
import dev.progdist.protocol.program.PublisherSignatureVerifier;
import java.io.ByteArrayInputStream;
import java.security.GeneralSecurityException;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Set;
import org.bouncycastle.asn1.x500.X500Name;

/**
 * The TRP's check of a program's publisher signature, made before the program is installed. The
 * publisher certificate travels with the delivery; the TRP accepts it only if it chains to the
 * distribution CA given to the TRP at manufacture, is valid now, is for code signing and names the
 * progdist publisher. The signature must then verify over the {@link ProgramStatement} built from
 * what the TRP itself decrypted (its digest and size), so the server cannot swap bytes under a
 * valid signature. Fails closed with {@link TrpRefusal} {@code publisher-signature-invalid} or
 * {@code publisher-certificate-invalid}.
 */
public final class PublisherSignatureCheck {

    private static final String CODE_SIGNING = "1.3.6.1.5.5.7.3.3";

    private final X509Certificate distributionCa;

    public PublisherSignatureCheck(X509Certificate distributionCa) {
        this.distributionCa = distributionCa;
    }

    /** Validates the publisher certificate (base64 DER); returns it. */
    public X509Certificate publisher(String certificateBase64) {
        try {
            X509Certificate cert = (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(new ByteArrayInputStream(Base64.getDecoder().decode(certificateBase64)));
            PKIXParameters params = new PKIXParameters(Set.of(new TrustAnchor(distributionCa, null)));
            params.setRevocationEnabled(false); // the distribution CA publishes no CRL for its publisher key
            params.setDate(new Date());
            CertPathValidator.getInstance("PKIX").validate(
                    CertificateFactory.getInstance("X.509").generateCertPath(List.of(cert)), params);
            List<String> eku = cert.getExtendedKeyUsage();
            X500Name subject = X500Name.getInstance(cert.getSubjectX500Principal().getEncoded());
            if (eku == null || !eku.contains(CODE_SIGNING)
                    || !subject.equals(CertificateProfile.name(CertificateProfile.PUBLISHER_SUBJECT))) {
                throw new TrpRefusal(ChannelCode.PUBLISHER_CERTIFICATE_INVALID,
                        "the delivery's publisher certificate is not the progdist publisher's code-signing certificate");
            }
            return cert;
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new TrpRefusal(ChannelCode.PUBLISHER_CERTIFICATE_INVALID,
                    "the delivery's publisher certificate does not chain to the distribution CA", e);
        }
    }

    /**
     * Verifies {@code signatureBase64} over {@code statement} with {@code publisher}'s key, by the
     * algorithm that key fixes ({@link PublisherSignatureVerifier}).
     */
    public static void verify(X509Certificate publisher, ProgramStatement statement, String signatureBase64) {
        try {
            PublisherSignatureVerifier.forPublisher(publisher).verify(statement, Signatures.decodeBase64(signatureBase64));
        } catch (InvalidSignatureException | IllegalArgumentException e) {
            // IllegalArgumentException: a publisher key that signs with no algorithm progdist knows
            throw new TrpRefusal(ChannelCode.PUBLISHER_SIGNATURE_INVALID,
                    "the publisher signature does not match the program as decrypted");
        }
    }
}
