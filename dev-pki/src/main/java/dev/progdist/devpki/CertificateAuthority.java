package dev.progdist.devpki;

import dev.progdist.protocol.keys.PkiException;
import dev.progdist.protocol.keys.Signatures;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Collection;
import java.util.Date;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.AuthorityKeyIdentifier;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.CRLNumber;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.SubjectKeyIdentifier;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v2CRLBuilder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509CRLConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v2CRLBuilder;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A certificate authority: a CA private key with its certificate, issuing X.509 v3 certificates.
 *
 * <p>Guarantees for every certificate it issues: a random positive 128-bit serial; signature
 * ECDSA with SHA-256 for an EC CA key, PKCS#1 v1.5 with SHA-256 for an RSA CA key ({@link Signatures}); Subject and
 * Authority Key Identifiers; critical BasicConstraints and KeyUsage; the certificate is verified
 * against the CA key before it is returned. The constructor refuses a key that does not match
 * the certificate or a certificate that is not a CA. All failures throw {@link PkiException}.
 *
 * <p>The private key is held only in this object and never returned.
 */
public final class CertificateAuthority {

    /** Not registered globally: progdist must not change the JVM's provider list. */
    static final Provider BC = new BouncyCastleProvider();

    private static final SecureRandom RANDOM = new SecureRandom();

    private final PrivateKey privateKey;
    private final X509Certificate certificate;

    /** Wraps an existing CA; checks it is a CA certificate and that {@code privateKey} belongs to it. */
    public CertificateAuthority(PrivateKey privateKey, X509Certificate certificate) {
        if (privateKey == null || certificate == null) {
            throw new PkiException("a certificate authority needs a private key and a certificate");
        }
        if (certificate.getBasicConstraints() < 0) {
            throw new PkiException("certificate " + certificate.getSubjectX500Principal() + " is not a CA certificate");
        }
        requireMatchingKey(privateKey, certificate.getPublicKey(), certificate.getSubjectX500Principal().toString());
        this.privateKey = privateKey;
        this.certificate = certificate;
    }

    /**
     * Creates a self-signed root CA for {@code keyPair}: CA:true with path length 0 (it issues
     * end-entity certificates only), keyCertSign + cRLSign.
     */
    public static CertificateAuthority createRoot(X500Name subject, KeyPair keyPair, Instant notBefore, Instant notAfter) {
        requireValidity(notBefore, notAfter);
        try {
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(subject, newSerial(),
                    Date.from(notBefore), Date.from(notAfter), subject, keyPair.getPublic())
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
                    .addExtension(Extension.subjectKeyIdentifier, false,
                            ext.createSubjectKeyIdentifier(keyPair.getPublic()))
                    .addExtension(Extension.authorityKeyIdentifier, false,
                            ext.createAuthorityKeyIdentifier(keyPair.getPublic()));
            X509Certificate cert = sign(builder, keyPair.getPrivate(), keyPair.getPublic());
            return new CertificateAuthority(keyPair.getPrivate(), cert);
        } catch (GeneralSecurityException | CertIOException e) {
            throw new PkiException("cannot create root CA " + subject, e);
        }
    }

    /** The CA's own certificate. */
    public X509Certificate certificate() {
        return certificate;
    }

    /**
     * Issues an end-entity certificate (CA:false).
     *
     * @param keyUsage         bits of {@link KeyUsage}, marked critical
     * @param extendedKeyUsage purposes, or empty for none
     * @param subjectAltNames  alternative names, or {@code null} for none
     */
    public X509Certificate issue(X500Name subject, PublicKey subjectKey, Instant notBefore, Instant notAfter,
            int keyUsage, List<KeyPurposeId> extendedKeyUsage, GeneralNames subjectAltNames) {
        if (subject == null || subjectKey == null) {
            throw new PkiException("a certificate needs a subject and a public key");
        }
        requireValidity(notBefore, notAfter);
        if (keyUsage == 0) {
            throw new PkiException("a certificate needs at least one key usage");
        }
        try {
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            // Issuer name copied from the CA certificate's encoding, so path building matches byte for byte.
            X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(certificate, newSerial(),
                    Date.from(notBefore), Date.from(notAfter), subject, subjectKey)
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(keyUsage))
                    .addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(subjectKey))
                    .addExtension(Extension.authorityKeyIdentifier, false, authorityKeyIdentifier(ext));
            if (extendedKeyUsage != null && !extendedKeyUsage.isEmpty()) {
                builder.addExtension(Extension.extendedKeyUsage, false,
                        new ExtendedKeyUsage(extendedKeyUsage.toArray(new KeyPurposeId[0])));
            }
            if (subjectAltNames != null) {
                builder.addExtension(Extension.subjectAlternativeName, false, subjectAltNames);
            }
            return sign(builder, privateKey, certificate.getPublicKey());
        } catch (GeneralSecurityException | CertIOException e) {
            throw new PkiException("cannot issue certificate for " + subject, e);
        }
    }

    /**
     * Issues a complete X.509 v2 CRL over {@code revocations}: issuer name copied from the CA
     * certificate's encoding, AuthorityKeyIdentifier, the CRL number (non-critical), one entry
     * per revocation with a reasonCode unless the reason is unspecified (RFC 5280 5.3.1). The CRL
     * is verified against the CA key before it is returned.
     *
     * @param number     the CRL number; must grow with every CRL this CA issues (the caller keeps it)
     * @param nextUpdate when relying parties must stop trusting this CRL
     */
    public X509CRL issueCrl(BigInteger number, Instant thisUpdate, Instant nextUpdate,
            Collection<Revocation> revocations) {
        if (number == null || number.signum() < 0) {
            throw new PkiException("a CRL number must be a non-negative integer");
        }
        if (thisUpdate == null || nextUpdate == null || !nextUpdate.isAfter(thisUpdate)) {
            throw new PkiException("a CRL's next update must come after its this update");
        }
        if (certificate.getKeyUsage() == null || !certificate.getKeyUsage()[6]) {
            throw new PkiException("CA " + certificate.getSubjectX500Principal() + " may not sign CRLs (no cRLSign)");
        }
        try {
            X509v2CRLBuilder builder = new JcaX509v2CRLBuilder(certificate, Date.from(thisUpdate));
            builder.setNextUpdate(Date.from(nextUpdate));
            Set<BigInteger> seen = new HashSet<>();
            for (Revocation revocation : revocations) {
                if (seen.add(revocation.serial())) {
                    builder.addCRLEntry(revocation.serial(), Date.from(revocation.revokedAt()),
                            revocation.reason().code());
                }
            }
            builder.addExtension(Extension.authorityKeyIdentifier, false,
                    authorityKeyIdentifier(new JcaX509ExtensionUtils()));
            builder.addExtension(Extension.cRLNumber, false, new CRLNumber(number));
            ContentSigner signer = new JcaContentSignerBuilder(signatureAlgorithm(privateKey)).setProvider(BC)
                    .build(privateKey);
            X509CRL crl = new JcaX509CRLConverter().getCRL(builder.build(signer));
            crl.verify(certificate.getPublicKey()); // self-check, as for certificates
            return crl;
        } catch (GeneralSecurityException | CertIOException | OperatorCreationException e) {
            throw new PkiException("cannot issue a CRL for " + certificate.getSubjectX500Principal(), e);
        }
    }

    /** The CA key's signature algorithm, as {@link Signatures} chooses it. */
    static String signatureAlgorithm(PrivateKey key) {
        try {
            return Signatures.algorithmFor(key);
        } catch (IllegalArgumentException e) {
            throw new PkiException("unsupported CA key algorithm " + key.getAlgorithm());
        }
    }

    private AuthorityKeyIdentifier authorityKeyIdentifier(JcaX509ExtensionUtils ext) {
        // Reuse the CA's own SKI when present so that AKI/SKI chaining holds whatever method made it.
        byte[] ski = certificate.getExtensionValue(Extension.subjectKeyIdentifier.getId());
        if (ski != null) {
            byte[] keyId = SubjectKeyIdentifier.getInstance(
                    org.bouncycastle.asn1.ASN1OctetString.getInstance(ski).getOctets()).getKeyIdentifier();
            return new AuthorityKeyIdentifier(keyId);
        }
        return ext.createAuthorityKeyIdentifier(certificate.getPublicKey());
    }

    private static X509Certificate sign(X509v3CertificateBuilder builder, PrivateKey key, PublicKey verifyWith)
            throws GeneralSecurityException {
        ContentSigner signer;
        try {
            signer = new JcaContentSignerBuilder(signatureAlgorithm(key)).setProvider(BC).build(key);
        } catch (OperatorCreationException e) {
            throw new PkiException("cannot create a signer for the CA key", e);
        }
        X509Certificate cert = new JcaX509CertificateConverter().getCertificate(builder.build(signer));
        cert.verify(verifyWith); // self-check: never hand out a certificate that does not verify
        return cert;
    }

    private static BigInteger newSerial() {
        BigInteger serial;
        do {
            serial = new BigInteger(128, RANDOM);
        } while (serial.signum() == 0);
        return serial;
    }

    private static void requireValidity(Instant notBefore, Instant notAfter) {
        if (notBefore == null || notAfter == null || !notAfter.isAfter(notBefore)) {
            throw new PkiException("certificate validity must end after it begins");
        }
    }

    private static void requireMatchingKey(PrivateKey privateKey, PublicKey publicKey, String what) {
        try {
            String algorithm = signatureAlgorithm(privateKey);
            byte[] challenge = new byte[32];
            RANDOM.nextBytes(challenge);
            Signature signer = Signature.getInstance(algorithm);
            signer.initSign(privateKey);
            signer.update(challenge);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(publicKey);
            verifier.update(challenge);
            if (verifier.verify(signature)) {
                return;
            }
        } catch (GeneralSecurityException e) {
            throw new PkiException("the private key does not match the certificate of " + what, e);
        }
        throw new PkiException("the private key does not match the certificate of " + what);
    }
}
