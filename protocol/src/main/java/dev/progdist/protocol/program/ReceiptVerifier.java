package dev.progdist.protocol.program;

import dev.progdist.protocol.keys.InvalidSignatureException;
import dev.progdist.protocol.keys.Signatures;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.util.Objects;

/**
 * Checks a TRP's signature over an {@link InstallReceipt}.
 *
 * <p>Security guarantee: {@link #verify} returns normally only if {@code signature} is a valid
 * signature of exactly {@link InstallReceipt#signedBytes()} by the key of the device certificate
 * this verifier was made for, with the algorithm that key's type fixes ({@link Signatures}). The
 * receipt binds device, program, version, both digests, session and server nonce, so a receipt
 * verified here is good for that one delivery only. Any other outcome (a forged, truncated,
 * malformed or empty signature, another device's key, a different receipt) throws
 * {@link InvalidSignatureException} with its one constant message. The verifier does not check the
 * certificate itself (chain, validity, revocation): that is the certificate validation stage's job,
 * done before a receipt can arrive.
 */
@FunctionalInterface
public interface ReceiptVerifier {

    /** @throws InvalidSignatureException unless {@code signature} is the device's signature of {@code receipt} */
    void verify(InstallReceipt receipt, byte[] signature) throws InvalidSignatureException;

    /**
     * The verifier for receipts signed by the TRP of {@code deviceCertificate}, with the algorithm
     * of its key ({@link Signatures#algorithmFor(PublicKey)}).
     *
     * @throws IllegalArgumentException if the certificate's key is neither EC P-256 nor RSA
     */
    static ReceiptVerifier forDevice(X509Certificate deviceCertificate) {
        PublicKey key = Objects.requireNonNull(deviceCertificate, "deviceCertificate").getPublicKey();
        Signatures.algorithmFor(key); // refuse an unsupported key now, not at the first receipt
        return (receipt, signature) -> {
            if (receipt == null) {
                throw new InvalidSignatureException();
            }
            Signatures.verify(key, receipt.signedBytes(), signature);
        };
    }
}
