package dev.progdist.protocol.envelope;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The receiver half of HPKE (RFC 9180) that a direct envelope needs, built on the device key's
 * ECDH instead of a private scalar: DHKEM(P-256, HKDF-SHA256) {@code ExtractAndExpand}, then the base
 * mode key schedule of the suite (0x0010, HKDF-SHA256 0x0001, AES-256-GCM 0x0002), used only
 * through the secret exporter. Bouncy Castle's {@code HPKE} (which the sealer uses) needs the
 * private scalar itself, which a chip or an HSM does not give out.
 */
final class Hpke {

    private static final byte[] VERSION = ascii("HPKE-v1");
    private static final byte[] KEM_SUITE = ByteBuffer.allocate(5).put(ascii("KEM")).putShort((short) 0x0010).array();
    private static final byte[] HPKE_SUITE = ByteBuffer.allocate(10).put(ascii("HPKE")).putShort((short) 0x0010)
            .putShort((short) 0x0001).putShort((short) 0x0002).array();
    private static final int NH = 32;
    private static final byte MODE_BASE = 0;

    private Hpke() {
    }

    /** RFC 9180 §4.1: {@code shared_secret} of DHKEM(P-256, HKDF-SHA256) from {@code dh} and {@code kem_context}. */
    static byte[] extractAndExpand(byte[] dh, byte[] kemContext) throws GeneralSecurityException {
        byte[] eaePrk = labeledExtract(KEM_SUITE, new byte[0], "eae_prk", dh);
        try {
            return labeledExpand(KEM_SUITE, eaePrk, "shared_secret", kemContext, NH);
        } finally {
            Envelopes.wipe(eaePrk);
        }
    }

    /** RFC 9180 §5.1 KeySchedule in mode_base (no PSK), keeping only the exporter secret. */
    static Exporter baseExporter(byte[] sharedSecret, byte[] info) throws GeneralSecurityException {
        byte[] pskIdHash = labeledExtract(HPKE_SUITE, new byte[0], "psk_id_hash", new byte[0]);
        byte[] infoHash = labeledExtract(HPKE_SUITE, new byte[0], "info_hash", info);
        byte[] context = ByteBuffer.allocate(1 + pskIdHash.length + infoHash.length).put(MODE_BASE).put(pskIdHash)
                .put(infoHash).array();
        byte[] secret = labeledExtract(HPKE_SUITE, sharedSecret, "secret", new byte[0]);
        try {
            return new Exporter(labeledExpand(HPKE_SUITE, secret, "exp", context, NH));
        } finally {
            Envelopes.wipe(secret);
        }
    }

    /** RFC 9180 §5.3 secret export. */
    static final class Exporter implements AutoCloseable {
        private final byte[] exporterSecret;

        private Exporter(byte[] exporterSecret) {
            this.exporterSecret = exporterSecret;
        }

        byte[] export(byte[] exporterContext, int length) throws GeneralSecurityException {
            return labeledExpand(HPKE_SUITE, exporterSecret, "sec", exporterContext, length);
        }

        @Override
        public void close() {
            Envelopes.wipe(exporterSecret);
        }
    }

    private static byte[] labeledExtract(byte[] suite, byte[] salt, String label, byte[] ikm)
            throws GeneralSecurityException {
        byte[] l = ascii(label);
        byte[] labeledIkm = ByteBuffer.allocate(VERSION.length + suite.length + l.length + ikm.length).put(VERSION)
                .put(suite).put(l).put(ikm).array();
        try {
            // HKDF-Extract: an empty salt is HashLen zero bytes (RFC 5869 §2.2), the same HMAC key
            return hmac(salt.length == 0 ? new byte[NH] : salt).doFinal(labeledIkm);
        } finally {
            Envelopes.wipe(labeledIkm);
        }
    }

    private static byte[] labeledExpand(byte[] suite, byte[] prk, String label, byte[] info, int length)
            throws GeneralSecurityException {
        byte[] l = ascii(label);
        byte[] labeledInfo = ByteBuffer.allocate(2 + VERSION.length + suite.length + l.length + info.length)
                .putShort((short) length).put(VERSION).put(suite).put(l).put(info).array();
        // HKDF-Expand (RFC 5869 §2.3): T(i) = HMAC(PRK, T(i-1) || info || i)
        Mac mac = hmac(prk);
        byte[] out = new byte[length];
        byte[] t = new byte[0];
        for (int i = 1, done = 0; done < length; i++) {
            mac.update(t);
            mac.update(labeledInfo);
            mac.update((byte) i);
            t = mac.doFinal();
            int n = Math.min(t.length, length - done);
            System.arraycopy(t, 0, out, done, n);
            done += n;
        }
        Envelopes.wipe(t);
        return out;
    }

    private static Mac hmac(byte[] key) throws GeneralSecurityException {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(key, "HmacSHA256"));
        return mac;
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
