package dev.progdist.devpki;

import dev.progdist.protocol.keys.Crls;
import dev.progdist.protocol.Home;
import dev.progdist.protocol.keys.CertificateProfile;
import dev.progdist.protocol.keys.CertificateProfile.KeyType;
import dev.progdist.protocol.keys.KeyStores;
import dev.progdist.protocol.keys.Pem;
import dev.progdist.protocol.keys.PkiException;
import dev.progdist.protocol.keys.SecretSource;
import dev.progdist.protocol.keys.Signatures;
import dev.progdist.protocol.program.ProgramStatement;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.cert.CRLException;
import java.security.cert.Certificate;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.operator.ContentVerifierProvider;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.PKCSException;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequest;

/**
 * The development PKI of progdist, kept under {@code <home>/pki} and {@code <home>/server}:
 *
 * <ul>
 *   <li>manufacturer CA ({@code pki/manufacturer-ca.p12}, alias {@value #CA_ALIAS}, password
 *       {@value #MANUFACTURER_CA_PASSWORD}; public {@code pki/manufacturer-ca.crt}): certifies TRP
 *       identity keys, see {@link #certifyDevice};</li>
 *   <li>distribution CA ({@code pki/distribution-ca.p12}, password {@value #DISTRIBUTION_CA_PASSWORD};
 *       {@code pki/distribution-ca.crt}): issues the server's and the publisher's certificates;</li>
 *   <li>publisher code-signing key ({@code pki/publisher.p12}, alias {@value #PUBLISHER_ALIAS},
 *       password {@value #PUBLISHER_PASSWORD}; {@code pki/publisher.crt});</li>
 *   <li>server HTTPS key ({@code server/https.p12}, alias {@value #SERVER_HTTPS_ALIAS}, password
 *       {@value #SERVER_HTTPS_PASSWORD}) with a SAN for every server name;</li>
 *   <li>server second-path key ({@code server/channel.p12}, alias {@value #SERVER_CHANNEL_ALIAS},
 *       password {@value #SERVER_CHANNEL_PASSWORD}).</li>
 * </ul>
 *
 * <p>Revocation of device certificates: every certificate {@link #certifyDevice} issues is kept
 * in {@code pki/issued/<deviceId>-<serialHex>.crt}; {@link #revokeDevice} adds the device's
 * unexpired serials to {@code pki/revoked.txt} (lines {@code serialHex reasonCode epochSeconds
 * deviceId}) and re-issues the CRL {@code pki/manufacturer-ca.crl} (PEM, public, valid for
 * {@link #CRL_VALIDITY}; its number, kept in {@code pki/crl-number}, grows with every CRL).
 * {@link #issueCrl} re-issues it unchanged but for the dates, which must happen before its next
 * update passes: relying parties fail closed on a stale CRL. {@link #init} issues an empty one.
 *
 * <p>All keys are EC P-256, generated here; each private key is only ever written into its own
 * PKCS#12 store (owner-only, atomically written), with a password from {@link SecretSource}.
 * Key-store chains are {@code [leaf, issuing CA]}. Every failure throws {@link PkiException}.
 *
 * <p>{@link #open} reads only the public certificates; the manufacturer CA's private key is loaded
 * from its store for each {@link #certifyDevice} call and not kept.
 */
public final class DevelopmentPki {

    public static final String MANUFACTURER_CA_PASSWORD = "manufacturer-ca";
    public static final String DISTRIBUTION_CA_PASSWORD = "distribution-ca";
    public static final String PUBLISHER_PASSWORD = "publisher";
    public static final String SERVER_HTTPS_PASSWORD = "server-https";
    public static final String SERVER_CHANNEL_PASSWORD = "server-channel";

    public static final String CA_ALIAS = "ca";
    public static final String PUBLISHER_ALIAS = "publisher";
    public static final String SERVER_HTTPS_ALIAS = "server";
    public static final String SERVER_CHANNEL_ALIAS = "channel";

    /** Server names for the HTTPS certificate when the operator gives none. */
    public static final List<String> DEFAULT_SERVER_NAMES = List.of("localhost", "127.0.0.1");

    static final Duration CA_VALIDITY = Duration.ofDays(3650);
    static final Duration PUBLISHER_VALIDITY = Duration.ofDays(5 * 365);
    static final Duration SERVER_VALIDITY = Duration.ofDays(2 * 365);
    /** Default lifetime of a device certificate (a chip's identity lasts as long as the chip). */
    public static final Duration DEVICE_VALIDITY = Duration.ofDays(3650);
    /** Certificates start slightly in the past so small clock differences between hosts do not reject them. */
    static final Duration CLOCK_SKEW = Duration.ofMinutes(5);
    /** How long a CRL may be relied on: its nextUpdate is this long after its thisUpdate. */
    public static final Duration CRL_VALIDITY = Duration.ofDays(30);

    /** Upper bound on {@code revoked.txt} and the CRL number file; far beyond a development PKI's needs. */
    private static final int MAX_STATE_BYTES = 8 * 1024 * 1024;
    private static final String ISSUED_SUFFIX = ".crt";
    /** Serialises revocation updates within this JVM; a file lock does the same across processes. */
    private static final Object REVOCATION_LOCK = new Object();

    private static final Pattern DNS_NAME = Pattern.compile(
            "(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*");
    private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");

    private static final Set<ASN1ObjectIdentifier> EC_CSR_SIGNATURES = Set.of(
            X9ObjectIdentifiers.ecdsa_with_SHA256, X9ObjectIdentifiers.ecdsa_with_SHA384,
            X9ObjectIdentifiers.ecdsa_with_SHA512);
    private static final Set<ASN1ObjectIdentifier> RSA_CSR_SIGNATURES = Set.of(
            PKCSObjectIdentifiers.sha256WithRSAEncryption, PKCSObjectIdentifiers.sha384WithRSAEncryption,
            PKCSObjectIdentifiers.sha512WithRSAEncryption);

    private final Home home;
    private final X509Certificate manufacturerCa;
    private final X509Certificate distributionCa;
    private final X509Certificate publisher;

    private DevelopmentPki(Home home, X509Certificate manufacturerCa, X509Certificate distributionCa,
            X509Certificate publisher) {
        this.home = home;
        this.manufacturerCa = manufacturerCa;
        this.distributionCa = distributionCa;
        this.publisher = publisher;
    }

    /** Whether a PKI exists in {@code home}: its manufacturer CA store is written last by {@link #init}. */
    public static boolean exists(Home home) {
        return Files.isRegularFile(manufacturerCaStore(home));
    }

    /**
     * Creates a new PKI. Refuses if one exists unless {@code force}; with {@code force} every key
     * is replaced (device certificates issued by the old manufacturer CA then no longer verify).
     * Existing password files are reused.
     *
     * @param serverNames DNS names and IP addresses for the HTTPS certificate, e.g. {@link #DEFAULT_SERVER_NAMES}
     */
    public static DevelopmentPki init(Home home, List<String> serverNames, boolean force) {
        if (exists(home) && !force) {
            throw new PkiException("a PKI already exists in " + home.pkiDir() + "; pass --force to replace it");
        }
        GeneralNames sans = serverAltNames(serverNames);
        SecretSource secrets = new SecretSource(home);
        Home.ensurePrivateDirectory(home.pkiDir());
        Home.ensurePrivateDirectory(home.serverDir());

        Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        Instant start = now.minus(CLOCK_SKEW);

        KeyPair manufacturerKeys = newEcKeyPair();
        CertificateAuthority manufacturer = CertificateAuthority.createRoot(
                CertificateProfile.name(CertificateProfile.MANUFACTURER_CA_SUBJECT), manufacturerKeys,
                start, now.plus(CA_VALIDITY));
        KeyPair distributionKeys = newEcKeyPair();
        CertificateAuthority distribution = CertificateAuthority.createRoot(
                CertificateProfile.name(CertificateProfile.DISTRIBUTION_CA_SUBJECT), distributionKeys,
                start, now.plus(CA_VALIDITY));
        X509Certificate distributionCert = distribution.certificate();

        // distribution CA first, manufacturer CA store last: exists() is true only for a complete PKI
        saveKey(pkiFile(home, "distribution-ca.p12"), secrets.getOrCreate(DISTRIBUTION_CA_PASSWORD), CA_ALIAS,
                distributionKeys.getPrivate(), List.of(distributionCert));
        Pem.writeCertificate(pkiFile(home, "distribution-ca.crt"), distributionCert);

        KeyPair publisherKeys = newEcKeyPair();
        X509Certificate publisherCert = distribution.issue(CertificateProfile.name(CertificateProfile.PUBLISHER_SUBJECT),
                publisherKeys.getPublic(), start, now.plus(PUBLISHER_VALIDITY), KeyUsage.digitalSignature,
                List.of(KeyPurposeId.id_kp_codeSigning), null);
        saveKey(pkiFile(home, "publisher.p12"), secrets.getOrCreate(PUBLISHER_PASSWORD), PUBLISHER_ALIAS,
                publisherKeys.getPrivate(), List.of(publisherCert, distributionCert));
        Pem.writeCertificate(pkiFile(home, "publisher.crt"), publisherCert);

        KeyPair httpsKeys = newEcKeyPair();
        X509Certificate httpsCert = distribution.issue(CertificateProfile.name(CertificateProfile.SERVER_HTTPS_SUBJECT),
                httpsKeys.getPublic(), start, now.plus(SERVER_VALIDITY), KeyUsage.digitalSignature,
                List.of(KeyPurposeId.id_kp_serverAuth), sans);
        saveKey(serverHttpsStore(home), secrets.getOrCreate(SERVER_HTTPS_PASSWORD), SERVER_HTTPS_ALIAS,
                httpsKeys.getPrivate(), List.of(httpsCert, distributionCert));

        KeyPair channelKeys = newEcKeyPair();
        X509Certificate channelCert = distribution.issue(
                CertificateProfile.name(CertificateProfile.SERVER_CHANNEL_SUBJECT), channelKeys.getPublic(), start,
                now.plus(SERVER_VALIDITY), KeyUsage.digitalSignature, List.of(KeyPurposeId.id_kp_serverAuth), null);
        saveKey(serverChannelStore(home), secrets.getOrCreate(SERVER_CHANNEL_PASSWORD), SERVER_CHANNEL_ALIAS,
                channelKeys.getPrivate(), List.of(channelCert, distributionCert));

        X509Certificate manufacturerCert = manufacturer.certificate();
        Pem.writeCertificate(pkiFile(home, "manufacturer-ca.crt"), manufacturerCert);
        // A new manufacturer CA starts with an empty index, no revocations and an empty CRL
        // (serials of the replaced CA mean nothing to it).
        withRevocationLock(home, () -> {
            clearRevocationState(home);
            writeCrl(home, manufacturer, List.of(), Instant.now().truncatedTo(ChronoUnit.SECONDS));
            return null;
        });
        saveKey(manufacturerCaStore(home), secrets.getOrCreate(MANUFACTURER_CA_PASSWORD), CA_ALIAS,
                manufacturerKeys.getPrivate(), List.of(manufacturerCert));

        return new DevelopmentPki(home, manufacturerCert, distributionCert, publisherCert);
    }

    /** Opens an existing PKI (public certificates only); fails if there is none. */
    public static DevelopmentPki open(Home home) {
        if (!exists(home)) {
            throw new PkiException("no PKI in " + home.pkiDir() + "; initialise it first");
        }
        return new DevelopmentPki(home,
                Pem.readCertificate(pkiFile(home, "manufacturer-ca.crt")),
                Pem.readCertificate(pkiFile(home, "distribution-ca.crt")),
                Pem.readCertificate(pkiFile(home, "publisher.crt")));
    }

    // ---- device certificates -----------------------------------------------------------------

    /** {@link #certifyDevice(String, PKCS10CertificationRequest, Duration)} with {@link #DEVICE_VALIDITY}. */
    public X509Certificate certifyDevice(String deviceId, PKCS10CertificationRequest csr) {
        return certifyDevice(deviceId, csr, DEVICE_VALIDITY);
    }

    /**
     * Certifies a TRP's identity key, valid from now (less {@link #CLOCK_SKEW}) for
     * {@code validity}, but never beyond the manufacturer CA's own expiry.
     */
    public X509Certificate certifyDevice(String deviceId, PKCS10CertificationRequest csr, Duration validity) {
        if (validity == null || validity.isNegative() || validity.isZero()) {
            throw new PkiException("device certificate validity must be positive");
        }
        Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        Instant notAfter = now.plus(validity);
        Instant caNotAfter = manufacturerCa.getNotAfter().toInstant();
        if (notAfter.isAfter(caNotAfter)) {
            notAfter = caNotAfter;
        }
        return certifyDevice(deviceId, csr, now.minus(CLOCK_SKEW), notAfter);
    }

    /**
     * Certifies a TRP's identity key for exactly {@code [notBefore, notAfter]} (tests use this for
     * expired or not-yet-valid certificates).
     *
     * <p>Checks, in order: the device ID is valid; the key is one of
     * {@link KeyType#ACCEPTED}; the CSR is signed by that key with a SHA-2 signature (proof of
     * possession). The CSR's requested subject and attributes are ignored: the subject is
     * {@link CertificateProfile#deviceSubject}, key usage digitalSignature + keyAgreement (EC) or
     * digitalSignature + keyEncipherment (RSA), EKU clientAuth, CA:false.
     */
    public X509Certificate certifyDevice(String deviceId, PKCS10CertificationRequest csr, Instant notBefore,
            Instant notAfter) {
        CertificateProfile.requireDeviceId(deviceId);
        if (csr == null) {
            throw new PkiException("no certification request for device " + deviceId);
        }
        KeyType type = KeyType.of(csr.getSubjectPublicKeyInfo());
        PublicKey key = verifyProofOfPossession(deviceId, csr, type);
        int usage = type == KeyType.EC_P256
                ? KeyUsage.digitalSignature | KeyUsage.keyAgreement
                : KeyUsage.digitalSignature | KeyUsage.keyEncipherment;
        X509Certificate cert = loadManufacturer().issue(CertificateProfile.deviceSubject(deviceId), key, notBefore,
                notAfter, usage, List.of(KeyPurposeId.id_kp_clientAuth), null);
        // Recorded before it is handed out, so that every certificate in circulation can be revoked.
        Pem.writeCertificate(issuedDir(home).resolve(deviceId + "-" + cert.getSerialNumber().toString(16)
                + ISSUED_SUFFIX), cert);
        return cert;
    }

    // ---- revocation ------------------------------------------------------------------------------

    /**
     * Every certificate this manufacturer CA issued for {@code deviceId} (from the index, oldest
     * first), including expired and revoked ones. Index entries of another CA (a replaced PKI)
     * are ignored; an unreadable entry of this device fails.
     */
    public List<X509Certificate> issuedCertificates(String deviceId) {
        CertificateProfile.requireDeviceId(deviceId);
        Path dir = issuedDir(home);
        List<X509Certificate> found = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return found;
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*" + ISSUED_SUFFIX)) {
            for (Path file : files) {
                String name = file.getFileName().toString();
                String stem = name.substring(0, name.length() - ISSUED_SUFFIX.length());
                int dash = stem.lastIndexOf('-');
                // device IDs may contain '-', serials (hex) never do: the ID is everything before the last '-'
                if (dash <= 0 || !stem.substring(0, dash).equals(deviceId)) {
                    continue;
                }
                X509Certificate cert = Pem.readCertificate(file);
                if (issuedByManufacturer(cert) && deviceId.equals(CertificateProfile.deviceIdOf(cert))) {
                    found.add(cert);
                }
            }
        } catch (IOException e) {
            throw new PkiException("cannot list " + dir + ": " + e.getClass().getSimpleName(), e);
        }
        found.sort(Comparator.comparing(X509Certificate::getNotBefore)
                .thenComparing(X509Certificate::getSerialNumber));
        return found;
    }

    /** {@link #revokeDevice(String, RevocationReason)} with a reason parsed by {@link RevocationReason#parse}. */
    public X509CRL revokeDevice(String deviceId, String reason) {
        return revokeDevice(deviceId, RevocationReason.parse(reason));
    }

    /**
     * Revokes every unexpired certificate issued for {@code deviceId} (already revoked ones keep
     * their first reason and date) and re-issues the CRL, which is returned. Needs the
     * manufacturer CA's password.
     *
     * @throws PkiException if no certificate was issued for the device, or all of them have expired
     */
    public X509CRL revokeDevice(String deviceId, RevocationReason reason) {
        CertificateProfile.requireDeviceId(deviceId);
        RevocationReason why = reason == null ? RevocationReason.UNSPECIFIED : reason;
        List<X509Certificate> issued = issuedCertificates(deviceId);
        if (issued.isEmpty()) {
            throw new PkiException("no certificate was issued for device " + deviceId);
        }
        Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        List<X509Certificate> live = issued.stream().filter(c -> c.getNotAfter().toInstant().isAfter(now)).toList();
        if (live.isEmpty()) {
            throw new PkiException("every certificate issued for device " + deviceId
                    + " has expired; there is nothing to revoke");
        }
        CertificateAuthority ca = loadManufacturer();
        return withRevocationLock(home, () -> {
            List<RevokedLine> lines = new ArrayList<>(readRevoked(home));
            Set<BigInteger> known = new HashSet<>();
            lines.forEach(l -> known.add(l.revocation().serial()));
            boolean added = false;
            for (X509Certificate cert : live) {
                if (known.add(cert.getSerialNumber())) {
                    lines.add(new RevokedLine(new Revocation(cert.getSerialNumber(), why, now), deviceId));
                    added = true;
                }
            }
            if (added) {
                writeRevoked(home, lines);
            }
            return writeCrl(home, ca, revocationsOf(lines), now);
        });
    }

    /**
     * Re-issues the manufacturer CA's CRL with every revocation so far, valid from now for
     * {@link #CRL_VALIDITY}, under the next CRL number; writes {@link #crlFile} and returns it.
     * Needs the manufacturer CA's password.
     */
    public X509CRL issueCrl() {
        CertificateAuthority ca = loadManufacturer();
        return withRevocationLock(home, () -> writeCrl(home, ca, revocationsOf(readRevoked(home)),
                Instant.now().truncatedTo(ChronoUnit.SECONDS)));
    }

    /** Every revocation recorded so far, in the order they were made. */
    public List<Revocation> revocations() {
        return revocationsOf(readRevoked(home));
    }

    private boolean issuedByManufacturer(X509Certificate cert) {
        if (!cert.getIssuerX500Principal().equals(manufacturerCa.getSubjectX500Principal())) {
            return false;
        }
        try {
            cert.verify(manufacturerCa.getPublicKey());
            return true;
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    /** One line of {@code revoked.txt}: the revocation and, for people reading the file, the device. */
    private record RevokedLine(Revocation revocation, String deviceId) {
    }

    private static List<Revocation> revocationsOf(List<RevokedLine> lines) {
        return lines.stream().map(RevokedLine::revocation).toList();
    }

    private static List<RevokedLine> readRevoked(Home home) {
        Path file = revokedList(home);
        byte[] data = AtomicFiles.readIfExists(file, MAX_STATE_BYTES);
        List<RevokedLine> lines = new ArrayList<>();
        if (data == null) {
            return lines;
        }
        String[] text = new String(data, StandardCharsets.US_ASCII).split("\\R");
        for (int i = 0; i < text.length; i++) {
            String line = text[i].strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String[] fields = line.split("\\s+");
            try {
                if (fields.length < 3 || fields.length > 4) {
                    throw new IllegalArgumentException("expected 3 or 4 fields");
                }
                Revocation revocation = new Revocation(new BigInteger(fields[0], 16),
                        RevocationReason.ofCode(Integer.parseInt(fields[1])),
                        Instant.ofEpochSecond(Long.parseLong(fields[2])));
                lines.add(new RevokedLine(revocation, fields.length == 4 ? fields[3] : null));
            } catch (RuntimeException e) {
                // never issue a CRL that silently drops a revocation
                throw new PkiException("line " + (i + 1) + " of " + file + " is malformed; expected"
                        + " 'serialHex reasonCode epochSeconds [deviceId]'", e);
            }
        }
        return lines;
    }

    private static void writeRevoked(Home home, List<RevokedLine> lines) {
        StringBuilder text = new StringBuilder(
                "# Revoked device certificates of the manufacturer CA: serialHex reasonCode epochSeconds deviceId\n");
        for (RevokedLine line : lines) {
            Revocation r = line.revocation();
            text.append(r.serialHex()).append(' ').append(r.reason().code()).append(' ')
                    .append(r.revokedAt().getEpochSecond());
            if (line.deviceId() != null) {
                text.append(' ').append(line.deviceId());
            }
            text.append('\n');
        }
        AtomicFiles.write(revokedList(home), text.toString().getBytes(StandardCharsets.US_ASCII),
                AtomicFiles.OWNER_ONLY);
    }

    /** Takes the next CRL number (stored before the CRL is written, so no number is used twice), signs, writes. */
    private static X509CRL writeCrl(Home home, CertificateAuthority ca, List<Revocation> revocations, Instant now) {
        BigInteger number = lastCrlNumber(home).add(BigInteger.ONE);
        AtomicFiles.write(crlNumberFile(home), (number.toString() + "\n").getBytes(StandardCharsets.US_ASCII),
                AtomicFiles.OWNER_ONLY);
        X509CRL crl = ca.issueCrl(number, now, now.plus(CRL_VALIDITY), revocations);
        AtomicFiles.write(crlFile(home), Crls.toPem(crl).getBytes(StandardCharsets.US_ASCII),
                AtomicFiles.PUBLIC_READ);
        return crl;
    }

    /** The last CRL number used: from {@code crl-number}, else from the current CRL file, else 0. */
    private static BigInteger lastCrlNumber(Home home) {
        Path file = crlNumberFile(home);
        byte[] stored = AtomicFiles.readIfExists(file, 1024);
        if (stored != null) {
            try {
                BigInteger n = new BigInteger(new String(stored, StandardCharsets.US_ASCII).strip());
                if (n.signum() >= 0) {
                    return n;
                }
            } catch (NumberFormatException e) {
                // fall through: a damaged counter must not stop revocation
            }
        }
        byte[] crlData = AtomicFiles.readIfExists(crlFile(home), MAX_STATE_BYTES);
        if (crlData != null) {
            try {
                BigInteger n = Crls.number(Crls.parse(crlData));
                if (n != null) {
                    return n;
                }
            } catch (CRLException e) {
                // no usable previous CRL
            }
        }
        return BigInteger.ZERO;
    }

    private static void clearRevocationState(Home home) {
        try {
            Path dir = issuedDir(home);
            if (Files.isDirectory(dir)) {
                try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*" + ISSUED_SUFFIX)) {
                    for (Path file : files) {
                        Files.delete(file);
                    }
                }
            }
            Files.deleteIfExists(revokedList(home));
            Files.deleteIfExists(crlNumberFile(home));
        } catch (IOException e) {
            throw new PkiException("cannot clear the revocation state in " + home.pkiDir() + ": "
                    + e.getClass().getSimpleName(), e);
        }
    }

    /** Runs {@code action} holding this JVM's revocation lock and an exclusive lock on {@code pki/revocation.lock}. */
    private static <T> T withRevocationLock(Home home, Supplier<T> action) {
        synchronized (REVOCATION_LOCK) {
            Path lockFile = home.pkiDir().resolve("revocation.lock");
            try (FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                    FileLock lock = channel.lock()) {
                return action.get();
            } catch (IOException e) {
                throw new PkiException("cannot lock " + lockFile + ": " + e.getClass().getSimpleName(), e);
            }
        }
    }

    private static PublicKey verifyProofOfPossession(String deviceId, PKCS10CertificationRequest csr, KeyType type) {
        ASN1ObjectIdentifier algorithm = csr.getSignatureAlgorithm().getAlgorithm();
        Set<ASN1ObjectIdentifier> allowed = type == KeyType.EC_P256 ? EC_CSR_SIGNATURES : RSA_CSR_SIGNATURES;
        if (!allowed.contains(algorithm)) {
            throw new PkiException("certification request for device " + deviceId + " uses signature algorithm "
                    + algorithm.getId() + "; expected SHA-256/384/512 with " + (type == KeyType.EC_P256 ? "ECDSA" : "RSA"));
        }
        try {
            JcaPKCS10CertificationRequest jca = new JcaPKCS10CertificationRequest(csr).setProvider(CertificateAuthority.BC);
            PublicKey key = jca.getPublicKey();
            ContentVerifierProvider verifier = new JcaContentVerifierProviderBuilder()
                    .setProvider(CertificateAuthority.BC).build(key);
            if (!csr.isSignatureValid(verifier)) {
                throw new PkiException("certification request for device " + deviceId
                        + " has an invalid signature (no proof of possession of the key)");
            }
            return key;
        } catch (GeneralSecurityException | OperatorCreationException | PKCSException | RuntimeException e) {
            if (e instanceof PkiException) {
                throw (PkiException) e;
            }
            throw new PkiException("certification request for device " + deviceId + " cannot be verified", e);
        }
    }

    private CertificateAuthority loadManufacturer() {
        Path store = manufacturerCaStore();
        KeyStore ks = KeyStores.load(store, password(MANUFACTURER_CA_PASSWORD));
        try {
            Key key = ks.getKey(CA_ALIAS, password(MANUFACTURER_CA_PASSWORD));
            Certificate cert = ks.getCertificate(CA_ALIAS);
            if (!(key instanceof PrivateKey) || !(cert instanceof X509Certificate)) {
                throw new PkiException("key store " + store + " has no CA key entry '" + CA_ALIAS + "'");
            }
            // The public PEM is what devices and operators are given; it must be this CA.
            if (!cert.equals(manufacturerCa)) {
                throw new PkiException(manufacturerCaPem() + " does not match " + store);
            }
            return new CertificateAuthority((PrivateKey) key, (X509Certificate) cert);
        } catch (GeneralSecurityException e) {
            throw new PkiException("cannot read the CA key from " + store, e);
        }
    }

    private char[] password(String name) {
        try {
            return new SecretSource(home).get(name);
        } catch (IllegalStateException e) {
            throw new PkiException(e.getMessage(), e);
        }
    }

    // ---- accessors -------------------------------------------------------------------------------

    public Home home() {
        return home;
    }

    public X509Certificate manufacturerCaCertificate() {
        return manufacturerCa;
    }

    public X509Certificate distributionCaCertificate() {
        return distributionCa;
    }

    /**
     * Signs {@code statement} with the publisher key of {@code home} ({@code pki/publisher.p12},
     * alias {@value #PUBLISHER_ALIAS}, password from {@link SecretSource} name
     * {@value #PUBLISHER_PASSWORD}): the signature {@code program publish} uploads, base64 DER
     * (algorithm by the key, {@link Signatures}). The key is unwrapped for this one signature.
     *
     * @throws PkiException if the key store or key cannot be read or used
     */
    public static String signAsPublisher(Home home, ProgramStatement statement) {
        Path store = pkiFile(home, "publisher.p12");
        char[] password = new SecretSource(home).get(PUBLISHER_PASSWORD);
        try {
            Key key = KeyStores.load(store, password).getKey(PUBLISHER_ALIAS, password);
            if (!(key instanceof PrivateKey privateKey)) {
                throw new PkiException("no publisher key '" + PUBLISHER_ALIAS + "' in " + store);
            }
            return java.util.Base64.getEncoder().encodeToString(Signatures.sign(privateKey, statement.signedBytes()));
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new PkiException("cannot sign with the publisher key: " + e.getMessage(), e);
        } finally {
            java.util.Arrays.fill(password, '\0');
        }
    }

    public X509Certificate publisherCertificate() {
        return publisher;
    }

    public Path manufacturerCaStore() {
        return manufacturerCaStore(home);
    }

    public Path manufacturerCaPem() {
        return manufacturerCaPem(home);
    }

    /** {@code <home>/pki/manufacturer-ca.crt}: the public trust anchor for device certificates. */
    public static Path manufacturerCaPem(Home home) {
        return home.manufacturerCaCertificate();
    }

    /** {@code <home>/pki/manufacturer-ca.crl}: the manufacturer CA's CRL (PEM, public). */
    public static Path crlFile(Home home) {
        return home.manufacturerCrl();
    }

    /** {@code <home>/pki/issued}: one PEM file {@code <deviceId>-<serialHex>.crt} per device certificate. */
    public static Path issuedDir(Home home) {
        return pkiFile(home, "issued");
    }

    /** {@code <home>/pki/revoked.txt}: the revocations every new CRL contains. */
    public static Path revokedList(Home home) {
        return pkiFile(home, "revoked.txt");
    }

    static Path crlNumberFile(Home home) {
        return pkiFile(home, "crl-number");
    }

    public Path distributionCaStore() {
        return pkiFile(home, "distribution-ca.p12");
    }

    public Path distributionCaPem() {
        return home.distributionCaCertificate();
    }

    public Path publisherStore() {
        return pkiFile(home, "publisher.p12");
    }

    public Path publisherPem() {
        return home.publisherCertificate();
    }

    public Path serverHttpsStore() {
        return serverHttpsStore(home);
    }

    public Path serverChannelStore() {
        return serverChannelStore(home);
    }

    /** {@code <home>/pki/manufacturer-ca.p12}. */
    public static Path manufacturerCaStore(Home home) {
        return pkiFile(home, "manufacturer-ca.p12");
    }

    /** {@code <home>/server/https.p12}, for the server without opening the PKI. */
    public static Path serverHttpsStore(Home home) {
        return home.serverHttpsStore();
    }

    /** {@code <home>/server/channel.p12}, for the server without opening the PKI. */
    public static Path serverChannelStore(Home home) {
        return home.serverChannelStore();
    }

    // ---- helpers ---------------------------------------------------------------------------------

    private static Path pkiFile(Home home, String name) {
        return home.pkiDir().resolve(name);
    }

    private static void saveKey(Path file, char[] password, String alias, PrivateKey key, List<X509Certificate> chain) {
        KeyStore store = KeyStores.create();
        try {
            store.setKeyEntry(alias, key, password, chain.toArray(new Certificate[0]));
        } catch (GeneralSecurityException e) {
            throw new PkiException("cannot store key '" + alias + "' for " + file, e);
        }
        KeyStores.save(store, file, password);
    }

    private static KeyPair newEcKeyPair() {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(new ECGenParameterSpec("secp256r1"));
            return generator.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new PkiException("cannot generate an EC P-256 key pair", e);
        }
    }

    private static GeneralNames serverAltNames(List<String> serverNames) {
        if (serverNames == null || serverNames.isEmpty()) {
            throw new PkiException("the HTTPS certificate needs at least one server name");
        }
        List<GeneralName> names = new ArrayList<>();
        for (String raw : serverNames) {
            String name = raw == null ? "" : raw.strip();
            if (IPV4.matcher(name).matches() || name.contains(":")) {
                try {
                    names.add(new GeneralName(GeneralName.iPAddress, name));
                } catch (RuntimeException e) {
                    throw new PkiException("invalid IP address '" + name + "' in server names", e);
                }
            } else if (DNS_NAME.matcher(name).matches()) {
                names.add(new GeneralName(GeneralName.dNSName, name));
            } else {
                throw new PkiException("invalid server name '" + name + "': use a DNS name or an IP address");
            }
        }
        return new GeneralNames(names.toArray(new GeneralName[0]));
    }
}
