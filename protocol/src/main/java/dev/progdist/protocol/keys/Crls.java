package dev.progdist.protocol.keys;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.cert.CRLException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.util.Arrays;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.util.io.pem.PemObject;
import org.bouncycastle.util.io.pem.PemReader;
import org.bouncycastle.util.io.pem.PemWriter;

/**
 * Encoding and strict decoding of X.509 CRLs: PEM ({@code -----BEGIN X509 CRL-----}, exactly one
 * block) or raw DER (exactly one CRL, no trailing bytes). Decoding failures are
 * {@link CRLException}s whose messages never echo the input.
 */
public final class Crls {

    /** The PEM block type of a CRL, as OpenSSL writes it. */
    public static final String PEM_TYPE = "X509 CRL";

    private static final byte[] PEM_START = "-----BEGIN".getBytes(StandardCharsets.US_ASCII);

    private Crls() {
    }

    /** {@code crl} as one PEM {@value #PEM_TYPE} block. */
    public static String toPem(X509CRL crl) {
        StringWriter out = new StringWriter();
        try (PemWriter writer = new PemWriter(out)) {
            writer.writeObject(new PemObject(PEM_TYPE, crl.getEncoded()));
        } catch (IOException | CRLException e) {
            throw new IllegalStateException("cannot PEM-encode a CRL", e);
        }
        return out.toString();
    }

    /** At most {@code limit} bytes of {@code file}; a larger file is refused, not truncated. */
    public static byte[] read(java.nio.file.Path file, int limit) throws IOException {
        try (java.io.InputStream in = java.nio.file.Files.newInputStream(file)) {
            byte[] data = in.readNBytes(limit + 1);
            if (data.length > limit) {
                throw new IOException(file + " is larger than " + limit + " bytes");
            }
            return data;
        }
    }

    /** Parses one CRL from PEM or DER; anything else, or anything more, is refused. */
    public static X509CRL parse(byte[] data) throws CRLException {
        if (data == null || data.length == 0) {
            throw new CRLException("the CRL file is empty");
        }
        byte[] der = looksLikePem(data) ? pemContent(data) : data;
        X509CRL crl;
        try {
            crl = (X509CRL) CertificateFactory.getInstance("X.509").generateCRL(new ByteArrayInputStream(der));
        } catch (CertificateException e) {
            throw new CRLException("X.509 is not available", e);
        } catch (RuntimeException e) {
            throw new CRLException("malformed CRL", e);
        }
        if (crl == null || !Arrays.equals(crl.getEncoded(), der)) {
            throw new CRLException("the CRL file does not hold exactly one DER-encoded CRL");
        }
        return crl;
    }

    /** The CRL number extension of {@code crl}, or {@code null} if it has none or it is malformed. */
    public static BigInteger number(X509CRL crl) {
        byte[] value = crl.getExtensionValue(Extension.cRLNumber.getId());
        if (value == null) {
            return null;
        }
        try {
            return ASN1Integer.getInstance(ASN1OctetString.getInstance(value).getOctets()).getValue();
        } catch (RuntimeException e) {
            return null;
        }
    }

    private static boolean looksLikePem(byte[] data) {
        int i = 0;
        while (i < data.length && Character.isWhitespace(data[i])) {
            i++;
        }
        return data.length - i >= PEM_START.length
                && Arrays.equals(data, i, i + PEM_START.length, PEM_START, 0, PEM_START.length);
    }

    private static byte[] pemContent(byte[] data) throws CRLException {
        PemObject block;
        try (PemReader reader = new PemReader(new StringReader(new String(data, StandardCharsets.US_ASCII)))) {
            block = reader.readPemObject();
            if (block == null || !PEM_TYPE.equals(block.getType())) {
                throw new CRLException("the CRL file has no PEM " + PEM_TYPE + " block");
            }
            if (reader.readPemObject() != null) {
                throw new CRLException("the CRL file has more than one PEM block");
            }
        } catch (IOException | RuntimeException e) {
            throw new CRLException("malformed PEM in the CRL file", e);
        }
        return block.getContent();
    }
}
