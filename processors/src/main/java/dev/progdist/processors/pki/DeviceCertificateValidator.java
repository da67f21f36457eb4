package dev.progdist.processors.pki;

import dev.progdist.processors.pki.DeviceCertificateException.Reason;
import dev.progdist.protocol.Home;
import dev.progdist.protocol.keys.CertificateProfile;
import dev.progdist.protocol.keys.CertificateProfile.KeyType;
import dev.progdist.protocol.keys.Fingerprints;
import dev.progdist.protocol.keys.Crls;
import dev.progdist.protocol.keys.Pem;
import dev.progdist.protocol.keys.PkiException;
import java.io.IOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.security.cert.CRLException;
import java.security.cert.CRLReason;
import java.security.cert.CertPath;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertPathValidatorException.BasicReason;
import java.security.cert.CertStore;
import java.security.cert.CertificateException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.CertificateParsingException;
import java.security.cert.CertificateRevokedException;
import java.security.cert.CollectionCertStoreParameters;
import java.security.cert.PKIXParameters;
import java.security.cert.PKIXReason;
import java.security.cert.PKIXRevocationChecker;
import java.security.cert.TrustAnchor;
import java.security.cert.X509CRL;
import java.security.cert.X509CRLEntry;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Date;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Decides whether a TRP may authenticate with a certificate chain, as presented in a TLS
 * handshake (leaf first, possibly followed by the manufacturer CA or anything else: only the
 * leaf is judged, against the configured manufacturer CA as the one trust anchor).
 *
 * <p>Checks, in this order, each failure with its own {@link Reason}:
 * <ol>
 *   <li>a chain with a leaf at all ({@code cert-malformed});</li>
 *   <li>the leaf is signed by the manufacturer CA ({@code cert-untrusted});</li>
 *   <li>it is within its validity period at {@code clock}'s time ({@code cert-expired},
 *       {@code cert-not-yet-valid});</li>
 *   <li>it is a TLS client key: digitalSignature, EKU clientAuth, not a CA ({@code cert-key-usage});</li>
 *   <li>it is a device certificate: device subject and ID, EC P-256 or RSA 3072+ key
 *       ({@code cert-profile});</li>
 *   <li>the CRL file exists, is signed by the manufacturer CA and its nextUpdate has not passed
 *       ({@code revocation-unavailable}: fail closed);</li>
 *   <li>the CRL does not list the leaf's serial, whatever the entry's revocation date
 *       ({@code cert-revoked}; the JDK alone would accept a certificate whose revocation date is
 *       after the validation time, e.g. when the CA host's clock is ahead);</li>
 *   <li>the JDK's PKIX validation with that CRL as the only revocation source, no OCSP and no
 *       network ({@code cert-revoked}, or the reason matching what PKIX reports).</li>
 * </ol>
 * Steps 2, 3, 6 and 7 repeat what PKIX checks (it does not check the leaf's key usage), so the
 * reason given is precise and does not depend on the order of the JDK's internal checks; PKIX
 * stays as the second line.
 *
 * <p>The CRL file is looked at with one {@code stat} per call and parsed (and its signature
 * verified) again only when its file key, modification time or size changes, so a new CRL is
 * in effect for the next handshake without a restart.
 *
 * <p>The two signature checks (step 2 and PKIX in step 8) are the expensive part: two ECDSA or RSA
 * verifications, and one device is judged several times per delivery (rollout creation, group
 * start, handshake). Their outcome depends only on the certificate's bytes, the anchor and the CRL,
 * so each loaded CRL remembers the fingerprints (SHA-256 of the DER) that passed steps 2 and 8 under
 * it, at most {@link #PASSED_CACHE_SIZE}; every other step runs on every call, with the time of
 * that call. A new CRL starts with nothing remembered; a refusal is never remembered. Thread-safe.
 */
public final class DeviceCertificateValidator implements CertificateValidation {

    /** Longer chains are refused outright: a device sends its certificate and at most its CA. */
    public static final int MAX_CHAIN_LENGTH = 8;
    /** Upper bound on the CRL file. */
    public static final int MAX_CRL_BYTES = 8 * 1024 * 1024;
    /** A CRL's thisUpdate may be this far ahead of our clock (clocks of CA host and server differ). */
    public static final Duration CRL_CLOCK_SKEW = Duration.ofMinutes(5);
    /** Fingerprints remembered per CRL as having passed the signature and PKIX checks (emptied when full). */
    public static final int PASSED_CACHE_SIZE = 50_000;

    private static final String CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";
    private static final int DIGITAL_SIGNATURE = 0;

    private final X509Certificate manufacturerCa;
    private final TrustAnchor anchor;
    private final PublicKey caKey;
    private final Path crlFile;
    private final Clock clock;
    private final Object reloadLock = new Object();
    private volatile CrlSnapshot snapshot;

    /**
     * @param manufacturerCa the only trust anchor: the CA that issues TRP certificates
     * @param crlFile        its CRL (PEM or DER); need not exist yet, but until it does every chain is refused
     * @param clock          the time at which certificates and the CRL are judged
     */
    public DeviceCertificateValidator(X509Certificate manufacturerCa, Path crlFile, Clock clock) {
        if (manufacturerCa == null || crlFile == null || clock == null) {
            throw new PkiException("a device certificate validator needs the manufacturer CA, a CRL file and a clock");
        }
        if (manufacturerCa.getBasicConstraints() < 0) {
            throw new PkiException("the manufacturer CA certificate is not a CA certificate");
        }
        this.manufacturerCa = manufacturerCa;
        this.anchor = new TrustAnchor(manufacturerCa, null);
        this.caKey = manufacturerCa.getPublicKey();
        this.crlFile = crlFile;
        this.clock = clock;
    }

    /**
     * The validator for the development PKI in {@code home}: its public manufacturer CA
     * certificate and CRL file. Needs no private key or password.
     */
    public static DeviceCertificateValidator forHome(Home home, Clock clock) {
        return new DeviceCertificateValidator(Pem.readCertificate(home.manufacturerCaCertificate()),
                home.manufacturerCrl(), clock);
    }

    public X509Certificate manufacturerCa() {
        return manufacturerCa;
    }

    public Path crlFile() {
        return crlFile;
    }

    /**
     * Validates {@code chain} (leaf first) now; returns the device it authenticates.
     *
     * @throws DeviceCertificateException with the reason the chain is refused
     */
    @Override
    public ValidatedDevice validate(List<X509Certificate> chain) throws DeviceCertificateException {
        X509Certificate leaf = leafOf(chain);
        String fingerprint;
        try {
            fingerprint = Fingerprints.sha256(leaf);
        } catch (PkiException e) {
            throw new DeviceCertificateException(Reason.CERT_MALFORMED, "the device certificate cannot be encoded",
                    null, e);
        }
        try {
            return validate(leaf, fingerprint, clock.instant());
        } catch (DeviceCertificateException e) {
            throw e;
        } catch (RuntimeException e) {
            // fail closed on anything unforeseen, without echoing what the certificate contained
            throw new DeviceCertificateException(Reason.CERT_MALFORMED, "the device certificate cannot be processed ("
                    + e.getClass().getSimpleName() + ")", fingerprint, e);
        }
    }

    private ValidatedDevice validate(X509Certificate leaf, String fingerprint, Instant now)
            throws DeviceCertificateException {
        requireIssuedByManufacturer(leaf, fingerprint, snapshot);
        requireWithinValidity(leaf, fingerprint, now);
        requireClientKeyUsage(leaf, fingerprint);
        String deviceId;
        KeyType keyType;
        try {
            deviceId = CertificateProfile.deviceIdOf(leaf);
            keyType = KeyType.of(leaf.getPublicKey());
        } catch (PkiException e) {
            throw new DeviceCertificateException(Reason.CERT_PROFILE, "not a device certificate: " + e.getMessage(),
                    fingerprint, e);
        }
        CrlSnapshot crl = currentCrl(fingerprint, now);
        requireNotListed(leaf, deviceId, fingerprint, crl.crl());
        if (!crl.passed(fingerprint)) {
            validatePath(leaf, deviceId, fingerprint, crl, now);
            crl.remember(fingerprint);
        }
        return new ValidatedDevice(deviceId, fingerprint, leaf, keyType);
    }

    // ---- explicit checks -------------------------------------------------------------------------

    private static X509Certificate leafOf(List<X509Certificate> chain) throws DeviceCertificateException {
        if (chain == null || chain.isEmpty()) {
            throw new DeviceCertificateException(Reason.CERT_MALFORMED, "no client certificate was presented");
        }
        if (chain.size() > MAX_CHAIN_LENGTH) {
            throw new DeviceCertificateException(Reason.CERT_MALFORMED, "the certificate chain has " + chain.size()
                    + " certificates; at most " + MAX_CHAIN_LENGTH + " are accepted");
        }
        for (X509Certificate cert : chain) {
            if (cert == null) {
                throw new DeviceCertificateException(Reason.CERT_MALFORMED, "the certificate chain has an empty entry");
            }
        }
        return chain.get(0);
    }

    /** {@code crl}: the CRL in effect (may be {@code null}); the signature is not checked again for a fingerprint it remembers. */
    private void requireIssuedByManufacturer(X509Certificate leaf, String fingerprint, CrlSnapshot crl)
            throws DeviceCertificateException {
        if (!leaf.getIssuerX500Principal().equals(manufacturerCa.getSubjectX500Principal())) {
            throw new DeviceCertificateException(Reason.CERT_UNTRUSTED,
                    "the device certificate was not issued by the manufacturer CA", fingerprint, null);
        }
        if (crl != null && crl.passed(fingerprint)) {
            return;
        }
        try {
            leaf.verify(caKey);
        } catch (GeneralSecurityException | RuntimeException e) {
            throw new DeviceCertificateException(Reason.CERT_UNTRUSTED, "the device certificate's signature does not"
                    + " verify with the manufacturer CA's key (issued by another CA of the same name?)", fingerprint, e);
        }
    }

    private static void requireWithinValidity(X509Certificate leaf, String fingerprint, Instant now)
            throws DeviceCertificateException {
        try {
            leaf.checkValidity(Date.from(now));
        } catch (CertificateExpiredException e) {
            throw expired(leaf, fingerprint, e);
        } catch (CertificateNotYetValidException e) {
            throw notYetValid(leaf, fingerprint, e);
        }
    }

    private static DeviceCertificateException expired(X509Certificate leaf, String fingerprint, Throwable cause) {
        return new DeviceCertificateException(Reason.CERT_EXPIRED,
                "the device certificate expired at " + leaf.getNotAfter().toInstant(), fingerprint, cause);
    }

    private static DeviceCertificateException notYetValid(X509Certificate leaf, String fingerprint, Throwable cause) {
        return new DeviceCertificateException(Reason.CERT_NOT_YET_VALID,
                "the device certificate is valid only from " + leaf.getNotBefore().toInstant(), fingerprint, cause);
    }

    private static void requireClientKeyUsage(X509Certificate leaf, String fingerprint)
            throws DeviceCertificateException {
        if (leaf.getBasicConstraints() >= 0) {
            throw new DeviceCertificateException(Reason.CERT_KEY_USAGE,
                    "the certificate is a CA certificate, not a device certificate", fingerprint, null);
        }
        boolean[] keyUsage = leaf.getKeyUsage();
        if (keyUsage == null || keyUsage.length <= DIGITAL_SIGNATURE || !keyUsage[DIGITAL_SIGNATURE]) {
            throw new DeviceCertificateException(Reason.CERT_KEY_USAGE,
                    "the device certificate's key usage does not include digitalSignature", fingerprint, null);
        }
        List<String> extendedKeyUsage;
        try {
            extendedKeyUsage = leaf.getExtendedKeyUsage();
        } catch (CertificateParsingException e) {
            throw new DeviceCertificateException(Reason.CERT_MALFORMED,
                    "the device certificate's extended key usage cannot be parsed", fingerprint, e);
        }
        if (extendedKeyUsage == null || !extendedKeyUsage.contains(CLIENT_AUTH)) {
            throw new DeviceCertificateException(Reason.CERT_KEY_USAGE,
                    "the device certificate is not for TLS client authentication (no clientAuth extended key usage)",
                    fingerprint, null);
        }
    }

    // ---- the CRL ---------------------------------------------------------------------------------

    /**
     * The parsed, signature-checked CRL, or why there is none; keyed by what {@code stat} says of the
     * file. {@code passed}: fingerprints whose signature and PKIX path validated under this CRL.
     */
    private record CrlSnapshot(Object fileKey, FileTime modified, long size, X509CRL crl, CertStore store,
            String problem, Throwable cause, Set<String> passed) {

        CrlSnapshot(Object fileKey, FileTime modified, long size, X509CRL crl, CertStore store, String problem,
                Throwable cause) {
            this(fileKey, modified, size, crl, store, problem, cause, ConcurrentHashMap.newKeySet());
        }

        boolean describes(BasicFileAttributes attributes) {
            return Objects.equals(fileKey, attributes.fileKey()) && modified.equals(attributes.lastModifiedTime())
                    && size == attributes.size();
        }

        boolean passed(String fingerprint) {
            return problem == null && passed.contains(fingerprint);
        }

        void remember(String fingerprint) {
            if (passed.size() >= PASSED_CACHE_SIZE) {
                passed.clear();
            }
            passed.add(fingerprint);
        }
    }

    private CrlSnapshot currentCrl(String fingerprint, Instant now) throws DeviceCertificateException {
        CrlSnapshot crl = loadCrl(fingerprint);
        if (crl.problem() != null) {
            throw unavailable(crl.problem(), fingerprint, crl.cause());
        }
        if (crl.crl().getThisUpdate().toInstant().isAfter(now.plus(CRL_CLOCK_SKEW))) {
            throw unavailable("the manufacturer CA's CRL is valid only from " + crl.crl().getThisUpdate().toInstant()
                    + " (check the clocks)", fingerprint, null);
        }
        Instant nextUpdate = crl.crl().getNextUpdate().toInstant();
        if (!now.isBefore(nextUpdate)) {
            throw unavailable("the manufacturer CA's CRL " + crlFile + " was due for renewal at " + nextUpdate
                    + "; issue a new one (progdist pki crl)", fingerprint, null);
        }
        return crl;
    }

    private CrlSnapshot loadCrl(String fingerprint) throws DeviceCertificateException {
        BasicFileAttributes attributes;
        try {
            attributes = Files.readAttributes(crlFile, BasicFileAttributes.class);
        } catch (NoSuchFileException e) {
            throw unavailable("the manufacturer CA's CRL " + crlFile + " does not exist", fingerprint, e);
        } catch (IOException e) {
            throw unavailable("cannot read the manufacturer CA's CRL " + crlFile + ": "
                    + e.getClass().getSimpleName(), fingerprint, e);
        }
        CrlSnapshot cached = snapshot;
        if (cached != null && cached.describes(attributes)) {
            return cached;
        }
        synchronized (reloadLock) {
            cached = snapshot;
            if (cached == null || !cached.describes(attributes)) {
                // tagged with the attributes seen before reading: if the file changed meanwhile, the next call reloads
                cached = parseCrl(attributes);
                snapshot = cached;
            }
            return cached;
        }
    }

    private CrlSnapshot parseCrl(BasicFileAttributes attributes) {
        Object key = attributes.fileKey();
        FileTime modified = attributes.lastModifiedTime();
        long size = attributes.size();
        if (!attributes.isRegularFile()) {
            return new CrlSnapshot(key, modified, size, null, null,
                    "the manufacturer CA's CRL " + crlFile + " is not a regular file", null);
        }
        X509CRL crl;
        try {
            crl = Crls.parse(Crls.read(crlFile, MAX_CRL_BYTES));
        } catch (IOException e) {
            return new CrlSnapshot(key, modified, size, null, null, "cannot read the manufacturer CA's CRL " + crlFile
                    + ": " + e.getClass().getSimpleName(), e);
        } catch (CRLException e) {
            return new CrlSnapshot(key, modified, size, null, null,
                    "the manufacturer CA's CRL " + crlFile + " is not a valid CRL: " + e.getMessage(), e);
        }
        String problem = null;
        Throwable cause = null;
        if (!crl.getIssuerX500Principal().equals(manufacturerCa.getSubjectX500Principal())) {
            problem = "the CRL in " + crlFile + " was not issued by the manufacturer CA";
        } else {
            try {
                crl.verify(caKey);
            } catch (GeneralSecurityException | RuntimeException e) {
                problem = "the CRL in " + crlFile + " is not signed by the manufacturer CA's key";
                cause = e;
            }
        }
        if (problem == null && crl.hasUnsupportedCriticalExtension()) {
            problem = "the CRL in " + crlFile + " has critical extensions progdist does not support";
        }
        if (problem == null && crl.getNextUpdate() == null) {
            problem = "the CRL in " + crlFile + " has no next update, so its freshness is unknown";
        }
        if (problem != null) {
            return new CrlSnapshot(key, modified, size, null, null, problem, cause);
        }
        try {
            CertStore store = CertStore.getInstance("Collection", new CollectionCertStoreParameters(List.of(crl)));
            return new CrlSnapshot(key, modified, size, crl, store, null, null);
        } catch (GeneralSecurityException e) {
            return new CrlSnapshot(key, modified, size, null, null, "cannot use the CRL in " + crlFile, e);
        }
    }

    private static void requireNotListed(X509Certificate leaf, String deviceId, String fingerprint, X509CRL crl)
            throws DeviceCertificateException {
        X509CRLEntry entry = crl.getRevokedCertificate(leaf);
        if (entry != null) {
            CRLReason reason = entry.getRevocationReason();
            throw new DeviceCertificateException(Reason.CERT_REVOKED, "the certificate of device " + deviceId
                    + " has been revoked on " + entry.getRevocationDate().toInstant() + " (reason: "
                    + (reason == null ? CRLReason.UNSPECIFIED : reason) + ")", fingerprint, null);
        }
    }

    private static DeviceCertificateException unavailable(String message, String fingerprint, Throwable cause) {
        return new DeviceCertificateException(Reason.REVOCATION_UNAVAILABLE,
                "revocation status unavailable: " + message, fingerprint, cause);
    }

    // ---- PKIX ------------------------------------------------------------------------------------

    private void validatePath(X509Certificate leaf, String deviceId, String fingerprint, CrlSnapshot crl, Instant now)
            throws DeviceCertificateException {
        try {
            CertPath path = CertificateFactory.getInstance("X.509").generateCertPath(List.of(leaf));
            CertPathValidator validator = CertPathValidator.getInstance("PKIX");
            PKIXParameters parameters = new PKIXParameters(Set.of(anchor));
            parameters.setDate(Date.from(now));
            parameters.setCertStores(List.of(crl.store()));
            // CRLs only, from the CertStore only: no OCSP, no fallback, no soft failure. (CRL
            // distribution points are fetched only with com.sun.security.enableCRLDP, off by
            // default, and device certificates carry none.)
            PKIXRevocationChecker revocation = (PKIXRevocationChecker) validator.getRevocationChecker();
            revocation.setOptions(EnumSet.of(PKIXRevocationChecker.Option.PREFER_CRLS,
                    PKIXRevocationChecker.Option.NO_FALLBACK, PKIXRevocationChecker.Option.ONLY_END_ENTITY));
            parameters.setRevocationEnabled(true);
            parameters.addCertPathChecker(revocation);
            validator.validate(path, parameters);
        } catch (CertPathValidatorException e) {
            throw classify(e, leaf, deviceId, fingerprint);
        } catch (GeneralSecurityException e) {
            throw new DeviceCertificateException(Reason.CERT_UNTRUSTED,
                    "the device certificate path cannot be validated (" + e.getClass().getSimpleName() + ")",
                    fingerprint, e);
        }
    }

    /** Maps what the JDK's PKIX validator reports to a {@link Reason}; anything unrecognised is {@code cert-untrusted}. */
    static DeviceCertificateException classify(CertPathValidatorException e, X509Certificate leaf, String deviceId,
            String fingerprint) {
        CertPathValidatorException.Reason reason = e.getReason();
        CertificateRevokedException revoked = causeOf(e, CertificateRevokedException.class);
        if (reason == BasicReason.REVOKED || revoked != null) {
            String detail = revoked == null ? ""
                    : " on " + revoked.getRevocationDate().toInstant() + " (reason: " + revoked.getRevocationReason() + ")";
            return new DeviceCertificateException(Reason.CERT_REVOKED,
                    "the certificate of device " + deviceId + " has been revoked" + detail, fingerprint, e);
        }
        if (reason == BasicReason.UNDETERMINED_REVOCATION_STATUS) {
            return unavailable("the revocation status of the certificate of device " + deviceId
                    + " cannot be determined from the manufacturer CA's CRL", fingerprint, e);
        }
        if (reason == BasicReason.EXPIRED || causeOf(e, CertificateExpiredException.class) != null) {
            return expired(leaf, fingerprint, e);
        }
        if (reason == BasicReason.NOT_YET_VALID || causeOf(e, CertificateNotYetValidException.class) != null) {
            return notYetValid(leaf, fingerprint, e);
        }
        if (reason == PKIXReason.INVALID_KEY_USAGE) {
            return new DeviceCertificateException(Reason.CERT_KEY_USAGE,
                    "the certificate path has an invalid key usage", fingerprint, e);
        }
        if (reason == PKIXReason.UNRECOGNIZED_CRIT_EXT) {
            return new DeviceCertificateException(Reason.CERT_PROFILE,
                    "the device certificate has a critical extension progdist does not support", fingerprint, e);
        }
        // INVALID_SIGNATURE, ALGORITHM_CONSTRAINED, NO_TRUST_ANCHOR, NAME_CHAINING, NOT_CA_CERT,
        // PATH_TOO_LONG, INVALID_NAME, INVALID_POLICY, UNSPECIFIED: no trusted path
        return new DeviceCertificateException(Reason.CERT_UNTRUSTED,
                "the device certificate does not validate against the manufacturer CA (" + reason + ")", fingerprint, e);
    }

    private static <T extends Throwable> T causeOf(Throwable e, Class<T> type) {
        List<Throwable> seen = new ArrayList<>();
        for (Throwable t = e; t != null && !seen.contains(t); t = t.getCause()) {
            if (type.isInstance(t)) {
                return type.cast(t);
            }
            seen.add(t);
        }
        return null;
    }

    // ---- TLS -------------------------------------------------------------------------------------

    /**
     * A trust manager for the server side of a TLS handshake that authenticates TRPs: client
     * chains go through {@link #validate}; a refusal is passed to {@code onRefusal} (for logs and
     * audit; an exception it throws is attached as suppressed) and then ends the handshake. It
     * trusts no server and names the manufacturer CA as the only accepted issuer.
     */
    public X509ExtendedTrustManager clientTrustManager(Consumer<DeviceCertificateException> onRefusal) {
        return clientTrustManager(this, onRefusal);
    }

    /**
     * The same, with the chain judged by {@code stage} (the server's {@code certificate-validation}
     * route, which runs this validator's {@link #validate}).
     */
    public X509ExtendedTrustManager clientTrustManager(CertificateValidation stage,
            Consumer<DeviceCertificateException> onRefusal) {
        Objects.requireNonNull(stage, "stage");
        Objects.requireNonNull(onRefusal, "onRefusal");
        return new ClientTrustManager(stage, onRefusal);
    }

    private final class ClientTrustManager extends X509ExtendedTrustManager {

        private final CertificateValidation stage;
        private final Consumer<DeviceCertificateException> onRefusal;

        ClientTrustManager(CertificateValidation stage, Consumer<DeviceCertificateException> onRefusal) {
            this.stage = stage;
            this.onRefusal = onRefusal;
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            check(chain);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
                throws CertificateException {
            check(chain);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
                throws CertificateException {
            check(chain);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            throw refuseServer();
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
                throws CertificateException {
            throw refuseServer();
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
                throws CertificateException {
            throw refuseServer();
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[] {manufacturerCa};
        }

        private void check(X509Certificate[] chain) throws DeviceCertificateException {
            try {
                stage.validate(chain == null ? null : Arrays.asList(chain));
            } catch (DeviceCertificateException e) {
                try {
                    onRefusal.accept(e);
                } catch (RuntimeException listenerFailure) {
                    e.addSuppressed(listenerFailure);
                }
                throw e;
            }
        }

        private CertificateException refuseServer() {
            return new CertificateException("this trust manager authenticates TRP clients only; it trusts no server");
        }
    }
}
