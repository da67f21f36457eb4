package dev.progdist.protocol.keys;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.util.io.pem.PemObject;
import org.bouncycastle.util.io.pem.PemReader;

/**
 * PEM encoding of the public artefacts of the PKI: X.509 certificates (single or chains, leaf
 * first) and PKCS#10 certification requests. Private keys are deliberately not supported: they
 * only ever live in PKCS#12 stores (see {@link KeyStores}).
 *
 * <p>Reading is bounded ({@link #MAX_BYTES}) and strict: anything that is not a well-formed block
 * of the expected type, or an unexpected block type (for instance a private key pasted into a
 * certificate file), throws {@link PkiException}. Text outside PEM blocks is ignored, as OpenSSL
 * does. Messages name the source, never echo its content.
 */
public final class Pem {

    /** Upper bound on PEM input; real certificates and CSRs are a few KiB. */
    public static final int MAX_BYTES = 1024 * 1024;

    static final String CERTIFICATE = "CERTIFICATE";
    static final Set<String> CSR_TYPES = Set.of("CERTIFICATE REQUEST", "NEW CERTIFICATE REQUEST");

    private Pem() {
    }

    // ---- encoding ------------------------------------------------------------------------

    public static String toPem(X509Certificate certificate) {
        return toPem(List.of(certificate));
    }

    /** PEM of {@code chain}, in the given order (leaf first by convention). */
    public static String toPem(List<X509Certificate> chain) {
        if (chain == null || chain.isEmpty()) {
            throw new PkiException("no certificates to encode");
        }
        return encode(new ArrayList<Object>(chain));
    }

    public static String toPem(PKCS10CertificationRequest csr) {
        if (csr == null) {
            throw new PkiException("no certification request to encode");
        }
        return encode(List.of(csr));
    }

    private static String encode(List<Object> objects) {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
            for (Object o : objects) {
                writer.writeObject(o);
            }
        } catch (IOException e) {
            throw new PkiException("cannot PEM-encode " + objects.get(0).getClass().getSimpleName(), e);
        }
        return out.toString();
    }

    public static void writeCertificate(Path file, X509Certificate certificate) {
        writeCertificates(file, List.of(certificate));
    }

    /** Writes {@code chain} to {@code file} atomically; certificates are public, so {@code rw-r--r--}. */
    public static void writeCertificates(Path file, List<X509Certificate> chain) {
        KeyStores.writeAtomically(file, toPem(chain).getBytes(StandardCharsets.US_ASCII), KeyStores.PUBLIC_READ);
    }

    public static void writeCsr(Path file, PKCS10CertificationRequest csr) {
        KeyStores.writeAtomically(file, toPem(csr).getBytes(StandardCharsets.US_ASCII), KeyStores.PUBLIC_READ);
    }

    // ---- decoding ------------------------------------------------------------------------

    /** All certificates in {@code pem}, in order; at least one. */
    public static List<X509Certificate> certificatesFromPem(String pem) {
        return certificates(pem, "PEM input");
    }

    /** The single certificate in {@code pem}; more or fewer than one is an error. */
    public static X509Certificate certificateFromPem(String pem) {
        return single(certificates(pem, "PEM input"), "PEM input");
    }

    public static PKCS10CertificationRequest csrFromPem(String pem) {
        return csr(pem, "PEM input");
    }

    public static List<X509Certificate> readCertificates(Path file) {
        return certificates(readFile(file), file.toString());
    }

    public static X509Certificate readCertificate(Path file) {
        return single(readCertificates(file), file.toString());
    }

    public static PKCS10CertificationRequest readCsr(Path file) {
        return csr(readFile(file), file.toString());
    }

    private static String readFile(Path file) {
        return new String(KeyStores.readLimited(file, MAX_BYTES), StandardCharsets.US_ASCII);
    }

    private static List<X509Certificate> certificates(String pem, String source) {
        List<X509Certificate> result = new ArrayList<>();
        CertificateFactory factory;
        try {
            factory = CertificateFactory.getInstance("X.509");
        } catch (CertificateException e) {
            throw new PkiException("X.509 certificate factory is not available", e);
        }
        for (PemObject block : blocks(pem, source)) {
            if (!CERTIFICATE.equals(block.getType())) {
                throw new PkiException("unexpected PEM block '" + block.getType() + "' in " + source
                        + "; expected " + CERTIFICATE);
            }
            try {
                result.add((X509Certificate) factory.generateCertificate(new ByteArrayInputStream(block.getContent())));
            } catch (CertificateException | RuntimeException e) {
                throw new PkiException("malformed certificate " + (result.size() + 1) + " in " + source, e);
            }
        }
        if (result.isEmpty()) {
            throw new PkiException("no PEM " + CERTIFICATE + " block in " + source);
        }
        return List.copyOf(result);
    }

    private static PKCS10CertificationRequest csr(String pem, String source) {
        List<PemObject> blocks = blocks(pem, source);
        if (blocks.size() != 1 || !CSR_TYPES.contains(blocks.get(0).getType())) {
            throw new PkiException("expected exactly one PEM CERTIFICATE REQUEST block in " + source);
        }
        try {
            return new PKCS10CertificationRequest(blocks.get(0).getContent());
        } catch (IOException | RuntimeException e) {
            // BC reports malformed ASN.1 variously as IOException or runtime exceptions
            throw new PkiException("malformed certification request in " + source, e);
        }
    }

    private static X509Certificate single(List<X509Certificate> certificates, String source) {
        if (certificates.size() != 1) {
            throw new PkiException("expected exactly one certificate in " + source + ", found " + certificates.size());
        }
        return certificates.get(0);
    }

    private static List<PemObject> blocks(String pem, String source) {
        if (pem == null) {
            throw new PkiException("no PEM data in " + source);
        }
        if (pem.length() > MAX_BYTES) {
            throw new PkiException(source + " is larger than " + MAX_BYTES + " bytes");
        }
        List<PemObject> blocks = new ArrayList<>();
        try (PemReader reader = new PemReader(new StringReader(pem))) {
            PemObject block;
            while ((block = reader.readPemObject()) != null) {
                blocks.add(block);
            }
        } catch (IOException | RuntimeException e) {
            // unterminated block, bad base64, ...
            throw new PkiException("malformed PEM in " + source, e);
        }
        if (blocks.isEmpty()) {
            throw new PkiException("no PEM block in " + source);
        }
        return blocks;
    }
}
