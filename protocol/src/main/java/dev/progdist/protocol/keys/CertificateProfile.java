package dev.progdist.protocol.keys;

import dev.progdist.protocol.DeviceId;
import java.io.IOException;
import java.math.BigInteger;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.util.Locale;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1String;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.RSAPublicKey;
import org.bouncycastle.asn1.sec.SECObjectIdentifiers;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.RFC4519Style;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;

/**
 * What the two ends of the PKI agree on: certificate subjects and the key types a TRP may hold.
 * The server issues device certificates with {@link #deviceSubject(String)} and reads the device
 * ID back with {@link #deviceIdOf(X509Certificate)}; both fail closed with {@link PkiException}.
 *
 * <p>Names use RFC 4514 string order ({@code CN=..., OU=..., O=...}, most specific first), which
 * is what {@code X500Principal.getName()} prints; the DER encoding therefore starts with O.
 */
public final class CertificateProfile {

    /** Organisation of the manufacturer: the issuer of TRP identities. */
    public static final String MANUFACTURER_ORGANIZATION = "progdist development manufacturer";
    /** Organisation of the distributor: the server, its HTTPS and second-path certificates, the publisher. */
    public static final String DISTRIBUTION_ORGANIZATION = "progdist development distribution";
    /** Organisational unit of every device certificate. */
    public static final String DEVICE_ORGANIZATIONAL_UNIT = "TRP";

    public static final String MANUFACTURER_CA_SUBJECT =
            "CN=progdist development manufacturer CA, O=" + MANUFACTURER_ORGANIZATION;
    public static final String DISTRIBUTION_CA_SUBJECT =
            "CN=progdist development distribution CA, O=" + DISTRIBUTION_ORGANIZATION;
    public static final String PUBLISHER_SUBJECT = "CN=progdist publisher, O=" + DISTRIBUTION_ORGANIZATION;
    public static final String SERVER_HTTPS_SUBJECT = "CN=progdist server";
    public static final String SERVER_CHANNEL_SUBJECT = "CN=progdist channel";

    /** RSA moduli above this are refused: they only cost verification time (a cheap DoS lever). */
    public static final int RSA_MAX_BITS = 8192;

    private CertificateProfile() {
    }

    /** Parses an RFC 4514 name ({@code CN=..., O=...}) in progdist's convention. */
    public static X500Name name(String rfc4514) {
        try {
            return new X500Name(RFC4519Style.INSTANCE, rfc4514);
        } catch (RuntimeException e) {
            throw new PkiException("invalid distinguished name syntax", e);
        }
    }

    /** {@code CN=<deviceId>, OU=TRP, O=progdist development manufacturer}; the ID is validated first. */
    public static X500Name deviceSubject(String deviceId) {
        // DeviceId's alphabet has no DN special characters, so plain concatenation is safe.
        return name("CN=" + requireDeviceId(deviceId) + ", OU=" + DEVICE_ORGANIZATIONAL_UNIT
                + ", O=" + MANUFACTURER_ORGANIZATION);
    }

    /**
     * The device ID of a device certificate. Fails unless the subject is exactly the device
     * profile (one CN that is a valid device ID, {@code OU=TRP}, the manufacturer's O) — a
     * server or CA certificate is never mistaken for a device.
     */
    public static String deviceIdOf(X509Certificate certificate) {
        if (certificate == null) {
            throw new PkiException("no device certificate");
        }
        X500Name subject;
        try {
            subject = X500Name.getInstance(RFC4519Style.INSTANCE, certificate.getSubjectX500Principal().getEncoded());
        } catch (RuntimeException e) {
            throw new PkiException("certificate subject is not a valid distinguished name", e);
        }
        RDN[] cns = subject.getRDNs(RFC4519Style.cn);
        if (cns.length != 1 || cns[0].isMultiValued()) {
            throw new PkiException("certificate subject must have exactly one CN to name a device");
        }
        ASN1Encodable value = cns[0].getFirst().getValue();
        if (!(value instanceof ASN1String)) {
            throw new PkiException("certificate CN is not a string");
        }
        String deviceId = ((ASN1String) value).getString();
        if (!DeviceId.isValid(deviceId)) {
            throw new PkiException("certificate CN is not a valid device ID");
        }
        if (!subject.equals(deviceSubject(deviceId))) {
            throw new PkiException("certificate subject is not a progdist device subject (CN=<device>, OU="
                    + DEVICE_ORGANIZATIONAL_UNIT + ", O=" + MANUFACTURER_ORGANIZATION + ")");
        }
        return deviceId;
    }

    /** {@link DeviceId#require} with the PKI's exception type. */
    public static String requireDeviceId(String deviceId) {
        if (!DeviceId.isValid(deviceId)) {
            throw new PkiException(
                    "invalid device ID: use 1 to 64 characters of A-Z a-z 0-9 _ -, starting with a letter or digit");
        }
        return deviceId;
    }

    /**
     * The key types a TRP can be manufactured with, and the only ones the manufacturer CA
     * certifies: EC on P-256 (named curve), or RSA with a modulus of 3072 to {@link #RSA_MAX_BITS}
     * bits (TRPs generate exactly 3072).
     */
    public enum KeyType {
        EC_P256("ec", Signatures.ECDSA_P256_SHA256),
        RSA_3072("rsa", Signatures.RSA_PKCS1_SHA256);

        /** Human-readable list for error messages. */
        public static final String ACCEPTED = "EC P-256 (named curve) or RSA of 3072 to " + RSA_MAX_BITS + " bits";

        private final String cliName;
        private final String signatureAlgorithm;

        KeyType(String cliName, String signatureAlgorithm) {
            this.cliName = cliName;
            this.signatureAlgorithm = signatureAlgorithm;
        }

        /** {@code ec} or {@code rsa}. */
        public String cliName() {
            return cliName;
        }

        /** JCA name of the signature algorithm used with keys of this type (chosen by {@link Signatures}). */
        public String signatureAlgorithm() {
            return signatureAlgorithm;
        }

        /** Parses {@code ec} / {@code rsa} (case-insensitive, also the enum names). */
        public static KeyType parse(String text) {
            if (text != null) {
                String t = text.strip().toLowerCase(Locale.ROOT);
                for (KeyType type : values()) {
                    if (type.cliName.equals(t) || type.name().toLowerCase(Locale.ROOT).equals(t)) {
                        return type;
                    }
                }
            }
            throw new PkiException("unknown key type: use 'ec' (P-256) or 'rsa' (3072 bit)");
        }

        /** The type of {@code key}; throws unless it is one of the accepted keys. */
        public static KeyType of(PublicKey key) {
            if (key == null) {
                throw new PkiException("no public key");
            }
            SubjectPublicKeyInfo info;
            try {
                info = SubjectPublicKeyInfo.getInstance(key.getEncoded());
            } catch (RuntimeException e) {
                throw new PkiException("public key is not encodable; accepted are " + ACCEPTED, e);
            }
            return of(info);
        }

        /** The type of an encoded public key (as found in a CSR); throws unless it is accepted. */
        public static KeyType of(SubjectPublicKeyInfo info) {
            if (info == null) {
                throw new PkiException("no public key");
            }
            AlgorithmIdentifier algorithm = info.getAlgorithm();
            ASN1ObjectIdentifier oid = algorithm.getAlgorithm();
            if (X9ObjectIdentifiers.id_ecPublicKey.equals(oid)) {
                // only the named curve: explicit parameters could smuggle in a weak curve
                if (SECObjectIdentifiers.secp256r1.equals(algorithm.getParameters())) {
                    return EC_P256;
                }
                throw new PkiException("unsupported EC curve; accepted are " + ACCEPTED);
            }
            if (PKCSObjectIdentifiers.rsaEncryption.equals(oid)) {
                BigInteger modulus;
                try {
                    modulus = RSAPublicKey.getInstance(info.parsePublicKey()).getModulus();
                } catch (IOException | RuntimeException e) {
                    throw new PkiException("malformed RSA public key", e);
                }
                int bits = modulus.bitLength();
                if (bits < 3072 || bits > RSA_MAX_BITS) {
                    throw new PkiException("unsupported RSA key size " + bits + " bits; accepted are " + ACCEPTED);
                }
                return RSA_3072;
            }
            throw new PkiException("unsupported key algorithm " + oid.getId() + "; accepted are " + ACCEPTED);
        }
    }
}
