package dev.progdist.protocol.envelope;

import dev.progdist.protocol.keys.CertificateProfile.KeyType;
import dev.progdist.protocol.keys.PkiException;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import javax.crypto.Cipher;
import javax.crypto.NoSuchPaddingException;

/** Limits and small helpers shared by both formats. */
final class Envelopes {

    /** Bytes handed to each AES-GCM {@code update}: SunJCE's AES-NI path is fastest around 16 KiB. */
    static final int CHUNK = 16 * 1024;
    static final int KEY_BYTES = 32;
    static final int NONCE_BYTES = 12;
    static final int TAG_BYTES = 16;
    static final int TAG_BITS = TAG_BYTES * 8;

    /**
     * Largest program either format seals or opens: the AES-GCM limit for one key and nonce
     * (2^39 - 256 bits, NIST SP 800-38D), which the wrapped format needs; the direct format keeps
     * the same limit so the two are interchangeable.
     */
    static final long MAX_PROGRAM_BYTES = (1L << 36) - 32;

    private Envelopes() {
    }

    /**
     * The key type of {@code recipient}, if it may receive an envelope: EC P-256 or RSA 3072..8192,
     * and, when the certificate restricts key usage, keyAgreement (EC) or keyEncipherment (RSA).
     */
    static KeyType recipientKeyType(X509Certificate recipient) throws EnvelopeException {
        if (recipient == null) {
            throw new NullPointerException("recipient");
        }
        KeyType type;
        try {
            type = KeyType.of(recipient.getPublicKey());
        } catch (PkiException e) {
            throw EnvelopeException.unsupportedKey();
        }
        boolean[] usage = recipient.getKeyUsage();
        // RFC 5280 key usage indexes: 2 keyEncipherment, 4 keyAgreement
        if (usage != null && !(type == KeyType.EC_P256 ? bit(usage, 4) : bit(usage, 2))) {
            throw EnvelopeException.unsupportedKey();
        }
        return type;
    }

    private static boolean bit(boolean[] usage, int index) {
        return usage.length > index && usage[index];
    }

    static byte[] certificateDigest(X509Certificate certificate) throws EnvelopeException {
        try {
            return sha256().digest(certificate.getEncoded());
        } catch (CertificateEncodingException e) {
            throw EnvelopeException.unsupportedKey();
        }
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is not available", e);
        }
    }

    /** The JDK's AES-GCM (SunJCE, AES-NI); never Bouncy Castle's table-based AES. */
    static Cipher jdkAesGcm() {
        try {
            return Cipher.getInstance("AES/GCM/NoPadding", "SunJCE");
        } catch (GeneralSecurityException e) {
            try {
                // a JDK without the SunJCE name (unusual): take the platform default
                return Cipher.getInstance("AES/GCM/NoPadding");
            } catch (NoSuchAlgorithmException | NoSuchPaddingException e2) {
                throw new IllegalStateException("AES/GCM/NoPadding is not available", e2);
            }
        }
    }

    static byte[] randomBytes(SecureRandom random, int length) {
        byte[] bytes = new byte[length];
        random.nextBytes(bytes);
        return bytes;
    }

    static void wipe(byte[]... arrays) {
        for (byte[] a : arrays) {
            if (a != null) {
                Arrays.fill(a, (byte) 0);
            }
        }
    }

    static void checkProgramSize(long size) throws EnvelopeException {
        if (size < 0 || size > MAX_PROGRAM_BYTES) {
            throw EnvelopeException.malformed();
        }
    }
}
