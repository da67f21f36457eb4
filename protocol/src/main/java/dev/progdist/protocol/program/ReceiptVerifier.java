package dev.progdist.protocol.program;

import dev.progdist.protocol.keys.InvalidSignatureException;
import dev.progdist.protocol.keys.Signatures;
import java.security.cert.X509Certificate;

/** Verifies install receipts signed by one TRP. */
public interface ReceiptVerifier {

    void verify(InstallReceipt receipt, byte[] signature) throws InvalidSignatureException;

    static ReceiptVerifier forDevice(X509Certificate deviceCertificate) {
        return (receipt, signature) -> Signatures.verifyWith(deviceCertificate.getPublicKey(), receipt.signedBytes(),
                signature);
    }
}
