package dev.progdist.protocol.keys;

import dev.progdist.protocol.keys.CertificateProfile.KeyType;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.util.List;
import javax.net.ssl.KeyManager;

/**
 * A TRP's unique key, as the TRP uses it: to sign install receipts, to open the program envelopes
 * sealed for it, and to authenticate its end of the second-path TLS. The key is reached only
 * through these operations, never handed out, so a secure element, a TPM or an HSM can stand
 * behind this interface (for instance through a PKCS#11 provider); {@link #inMemory} is the
 * software implementation the emulated TRP and the tests use.
 *
 * <p>Each operation is the one primitive the protocol needs, and is only offered for its key type:
 * <table>
 *   <caption>operations by key type</caption>
 *   <tr><th>operation</th><th>EC P-256</th><th>RSA</th><th>used by</th></tr>
 *   <tr><td>{@link #sign}</td><td>ECDSA SHA-256</td><td>PKCS#1 v1.5 SHA-256</td><td>install receipts ({@link Signatures})</td></tr>
 *   <tr><td>{@link #agree}</td><td>ECDH, the raw x-coordinate</td><td>-</td><td>direct (DHKEM) and wrapped (ECDH + X9.63 KDF) envelopes</td></tr>
 *   <tr><td>{@link #decryptRaw}</td><td>-</td><td>c^d mod n</td><td>direct envelopes (RSA-KEM)</td></tr>
 *   <tr><td>{@link #decryptOaepSha256}</td><td>-</td><td>RSAES-OAEP, SHA-256, MGF1-SHA-256</td><td>wrapped envelopes (key transport)</td></tr>
 *   <tr><td>{@link #tlsKeyManagers}</td><td colspan="2">the key and {@link #chain()} for JSSE</td><td>the TRP's TLS client end</td></tr>
 * </table>
 * With PKCS#11 (JCA names): {@code Signature} "SHA256withECDSA" / "SHA256withRSA"
 * ({@code CKM_ECDSA_SHA256}, {@code CKM_SHA256_RSA_PKCS}), {@code KeyAgreement} "ECDH"
 * ({@code CKM_ECDH1_DERIVE}), {@code Cipher} "RSA/ECB/NoPadding" ({@code CKM_RSA_X_509}) and
 * OAEP ({@code CKM_RSA_PKCS_OAEP}). JSSE needs a {@link PrivateKey} in its key manager to sign the
 * CertificateVerify; a PKCS#11 provider's {@code KeyStore} yields key managers whose key is a
 * non-extractable handle on the token, so the key stays inside there too.
 *
 * <p>Security guarantee: no method returns or writes the private key or any secret derived from
 * it beyond what the operation defines (a signature, the ECDH shared x-coordinate, a decrypted key
 * or KEM value, which the envelope code wipes after use). A failure of any operation, including
 * one called for the wrong key type, is a {@link GeneralSecurityException} whose message holds no
 * key material and no bytes of the input.
 */
public interface DeviceKey {

    /** The device certificate, whose public key is this key's. */
    X509Certificate certificate();

    /** The chain the TRP presents in TLS: {@code [device certificate, issuing CA...]}. */
    List<X509Certificate> chain();

    /** EC P-256 or RSA, from {@link #certificate()}. */
    default KeyType keyType() {
        return KeyType.of(certificate().getPublicKey());
    }

    /** Signs {@code message} with the algorithm {@link Signatures} chooses for this key. */
    byte[] sign(byte[] message) throws GeneralSecurityException;

    /**
     * ECDH with {@code peer} on P-256: the shared point's x-coordinate, 32 bytes (SEC 1 §3.3.1).
     * Refuses a peer key that is not a valid point of the curve.
     *
     * @throws GeneralSecurityException for an RSA key or an invalid peer key
     */
    byte[] agree(ECPublicKey peer) throws GeneralSecurityException;

    /**
     * The raw RSA decryption {@code c^d mod n} of {@code ciphertext} (as many bytes as the modulus),
     * for RSA-KEM (RFC 5990). Refuses {@code c >= n}.
     *
     * @throws GeneralSecurityException for an EC key or a ciphertext out of range
     */
    byte[] decryptRaw(byte[] ciphertext) throws GeneralSecurityException;

    /**
     * RSAES-OAEP decryption with SHA-256, MGF1-SHA-256 and the empty label (RFC 8017).
     *
     * @throws GeneralSecurityException for an EC key or a ciphertext that does not decrypt
     */
    byte[] decryptOaepSha256(byte[] ciphertext) throws GeneralSecurityException;

    /** Key managers that present this key and {@link #chain()} in a TLS client handshake. */
    KeyManager[] tlsKeyManagers() throws GeneralSecurityException;

    /**
     * A key held in memory: the emulated TRP's, or a test's. {@code chain} starts with the device
     * certificate, which must be for {@code key}'s public key.
     */
    static DeviceKey inMemory(PrivateKey key, List<X509Certificate> chain) {
        return new SoftwareDeviceKey(key, chain);
    }
}
