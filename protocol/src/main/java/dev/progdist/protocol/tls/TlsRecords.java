package dev.progdist.protocol.tls;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * TLS record framing as seen from outside the channel (RFC 8446 §5.1): a 5-byte header (content
 * type, legacy version, 16-bit length) and the (encrypted) fragment. The relay and its tests use
 * this to count and move records; nothing here can read or forge their contents.
 */
public final class TlsRecords {

    /** RFC 8446: a protected record is at most 2^14 + 256 bytes. */
    public static final int MAX_RECORD = 5 + (1 << 14) + 256;

    private TlsRecords() {
    }

        /**
     * Whether {@code stream} begins with a TLS handshake record (content type 22, any legacy version
     * 0x03xx) whose first handshake message is a ClientHello (type 1): how a new TLS connection
     * starts. Looks at the first six bytes only; proves nothing about the rest.
     */
    public static boolean startsWithClientHello(byte[] stream) {
        return stream != null && stream.length >= 6 && stream[0] == 22 && stream[1] == 3 && stream[5] == 1;
    }

/**
     * Splits a byte stream into whole records.
     *
     * @throws IllegalArgumentException if the bytes do not end on a record boundary or a header is
     *                                  implausible
     */
    public static List<byte[]> split(byte[] stream) {
        List<byte[]> records = new ArrayList<>();
        int i = 0;
        while (i < stream.length) {
            if (stream.length - i < 5) {
                throw new IllegalArgumentException("truncated TLS record header");
            }
            int length = ((stream[i + 3] & 0xff) << 8) | (stream[i + 4] & 0xff);
            if (5 + length > MAX_RECORD || stream.length - i < 5 + length) {
                throw new IllegalArgumentException("truncated or oversized TLS record");
            }
            byte[] r = new byte[5 + length];
            System.arraycopy(stream, i, r, 0, r.length);
            records.add(r);
            i += r.length;
        }
        return records;
    }

    public static byte[] join(List<byte[]> records) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] r : records) {
            out.writeBytes(r);
        }
        return out.toByteArray();
    }
}
