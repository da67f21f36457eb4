package dev.progdist.protocol.envelope;

import java.io.ByteArrayOutputStream;

/**
 * The little DER the CMS envelope needs around a content that may be larger than 2 GiB:
 * definite-length headers with 64-bit lengths (Bouncy Castle's ASN.1 classes are limited to
 * {@code int} lengths, so they only ever see the small elements).
 */
final class Der {

    static final int SEQUENCE = 0x30;
    static final int SET = 0x31;
    static final int INTEGER = 0x02;
    static final int OCTET_STRING = 0x04;
    static final int OBJECT_IDENTIFIER = 0x06;
    static final int CONTEXT_0_CONSTRUCTED = 0xA0;
    static final int CONTEXT_0_PRIMITIVE = 0x80;

    private Der() {
    }

    /** Tag and minimal definite length for a content of {@code length} bytes. */
    static byte[] header(int tag, long length) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(10);
        out.write(tag);
        if (length < 0x80) {
            out.write((int) length);
        } else {
            int bytes = (Long.SIZE - Long.numberOfLeadingZeros(length) + 7) / 8;
            out.write(0x80 | bytes);
            for (int i = bytes - 1; i >= 0; i--) {
                out.write((int) (length >>> (8 * i)));
            }
        }
        return out.toByteArray();
    }

    /** Reads a one-byte tag, requires it to be {@code tag}, and returns the content length. */
    static long expect(EnvelopeInput in, int tag) throws EnvelopeException {
        if (in.readByte() != tag) {
            throw EnvelopeException.malformed();
        }
        return readLength(in);
    }

    /** Reads a DER length: definite and minimal; at most 8 length bytes and below 2^63. */
    static long readLength(EnvelopeInput in) throws EnvelopeException {
        int first = in.readByte();
        if (first < 0x80) {
            return first;
        }
        int bytes = first & 0x7f;
        if (bytes == 0 || bytes > 8) {
            // 0x80 is BER's indefinite length; more than 8 bytes is absurd
            throw EnvelopeException.malformed();
        }
        long length = 0;
        for (int i = 0; i < bytes; i++) {
            int b = in.readByte();
            if (i == 0 && b == 0) {
                throw EnvelopeException.malformed(); // not minimal
            }
            length = (length << 8) | b;
        }
        if (length < 0x80 || length < 0) {
            throw EnvelopeException.malformed(); // not minimal, or overflow
        }
        return length;
    }

    /** The whole TLV (header and content) of a small element, at most {@code maxLength} content bytes. */
    static byte[] readSmall(EnvelopeInput in, int tag, int maxLength) throws EnvelopeException {
        long length = expect(in, tag);
        if (length > maxLength) {
            throw EnvelopeException.malformed();
        }
        byte[] header = header(tag, length);
        byte[] tlv = new byte[header.length + (int) length];
        System.arraycopy(header, 0, tlv, 0, header.length);
        in.readFully(tlv, header.length, (int) length);
        return tlv;
    }
}
