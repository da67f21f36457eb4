package dev.progdist.processors.program;

import dev.progdist.processors.auth.UserAuthentication;
import dev.progdist.processors.http.HttpExchanges;
import dev.progdist.processors.http.ProblemException;
import dev.progdist.processors.http.ProblemResponder;
import dev.progdist.processors.store.AuditTrail;
import dev.progdist.protocol.program.EnvelopeMode;
import dev.progdist.protocol.program.ProgramStatement;
import dev.progdist.protocol.program.ProgramVersions;
import dev.progdist.protocol.wire.ProblemType;
import java.io.InputStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.regex.Pattern;
import org.apache.camel.Exchange;
import org.apache.camel.Message;

/**
 * Operator-only program endpoints. The routes require the operator role first.
 *
 * <p>Publishing ({@code POST /api/v1/programs/{programId}/versions/{version}}, body = the program
 * bytes) runs in three steps around the route's signature check:
 * <ol>
 *   <li>{@link #preparePublish}: builds the {@link ProgramStatement} from the path and headers,
 *       refuses a published version early, keeps the request body stream in
 *       {@value #CONTENT} and makes the statement bytes the body and the publisher signature the
 *       {@value #SIGNATURE_HEADER} header;</li>
 *   <li>the route: {@link PublishSignatureCheck} with the publisher certificate's key (a failure is
 *       answered by {@link #refuseSignature});</li>
 *   <li>{@link #completePublish}: streams the body into the blob store, refuses bytes that are not
 *       the signed ones, records the version and answers 201.</li>
 * </ol>
 *
 * <p>Throws {@link ProblemException}: {@code program-exists}, {@code publisher-signature-invalid},
 * {@code program-digest-mismatch}, {@code length-required}, {@code body-too-large},
 * {@code missing-field}, {@code invalid-field}, {@code malformed-request},
 * {@code unsupported-media-type}, {@code not-found}, and the body problems of {@link HttpExchanges}.
 */
public class ProgramAdministration {

    public static final String SHA256_HEADER = "Progdist-Program-Sha256";
    public static final String SIGNATURE_HEADER_IN = "Progdist-Publisher-Signature";
    public static final String DEFAULT_MODE_HEADER = "Progdist-Default-Mode";
    /** The header the signature check reads the signature from (base64; camel-crypto's name). */
    public static final String SIGNATURE_HEADER = "CamelDigitalSignature";

    /** Exchange property: the request body stream, kept while the body is the statement. */
    public static final String CONTENT = "progdistProgramContent";
    public static final String STATEMENT = "progdistProgramStatement";
    public static final String SIGNATURE = "progdistPublisherSignature";
    public static final String DEFAULT_MODE = "progdistProgramDefaultMode";

    /** Largest page of {@code GET /api/v1/deliveries}; the default is {@value #DEFAULT_DELIVERIES}. */
    public static final int MAX_DELIVERIES = 1000;
    public static final int DEFAULT_DELIVERIES = 100;

    private static final Pattern DECIMAL = Pattern.compile("[0-9]{1,19}");
    /** An ECDSA P-256 signature is at most 72 bytes DER; anything far longer is not one. */
    private static final int MAX_SIGNATURE_CHARS = 512;

    /** A published version as the API shows it. */
    public record VersionView(String programId, String version, String sha256, long size, String defaultMode,
            String publisherSignature, String publisherFingerprint, String publishedBy, Instant publishedAt) {

        static VersionView of(ProgramCatalog.ProgramVersion v) {
            return new VersionView(v.programId(), v.version(), v.sha256(), v.size(),
                    v.defaultMode() == null ? null : v.defaultMode().label(), v.publisherSignature(),
                    v.publisherFingerprint(), v.publishedBy(), v.publishedAt());
        }
    }

    /** Body of {@code POST /api/v1/programs/{programId}/grants}. */
    public record GrantRequest(String userId) {
    }

    private final ProgramCatalog catalog;
    private final Entitlements entitlements;
    private final DeliveryLedger deliveries;
    private final AuditTrail audit;
    private final String publisherFingerprint;
    private final long maxProgramSize;

    public ProgramAdministration(ProgramCatalog catalog, Entitlements entitlements, DeliveryLedger deliveries,
            AuditTrail audit, String publisherFingerprint, long maxProgramSize) {
        this.catalog = catalog;
        this.entitlements = entitlements;
        this.deliveries = deliveries;
        this.audit = audit;
        this.publisherFingerprint = publisherFingerprint;
        this.maxProgramSize = maxProgramSize;
    }

    // ---- publishing ------------------------------------------------------------------------------

    /** Step 1 of a publish: see the class comment. Reads nothing of the body. */
    public void preparePublish(Exchange exchange) {
        Message in = exchange.getMessage();
        String programId = in.getHeader("programId", String.class);
        String version = in.getHeader("version", String.class);
        if (!ProgramVersions.isProgramId(programId)) {
            throw new ProblemException(ProblemType.INVALID_FIELD,
                    "the program ID must match " + ProgramVersions.PROGRAM_ID_PATTERN);
        }
        if (!ProgramVersions.isVersion(version)) {
            throw new ProblemException(ProblemType.INVALID_FIELD,
                    "the version must match " + ProgramVersions.VERSION_PATTERN);
        }
        String contentType = in.getHeader(Exchange.CONTENT_TYPE, String.class);
        String mediaType = contentType == null ? "" : contentType.split(";", 2)[0].strip().toLowerCase(Locale.ROOT);
        if (!mediaType.equals("application/octet-stream")) {
            throw new ProblemException(ProblemType.UNSUPPORTED_MEDIA_TYPE,
                    "send the program bytes with Content-Type: application/octet-stream");
        }
        String sha256 = required(in, SHA256_HEADER).toLowerCase(Locale.ROOT);
        if (!ProgramStatement.isSha256Hex(sha256)) {
            throw new ProblemException(ProblemType.INVALID_FIELD,
                    "header '" + SHA256_HEADER + "' must be 64 hex digits");
        }
        String signature = required(in, SIGNATURE_HEADER_IN);
        if (signature.length() > MAX_SIGNATURE_CHARS) {
            throw new ProblemException(ProblemType.PUBLISHER_SIGNATURE_INVALID, "the signature is far too long");
        }
        try {
            // strict base64 here: camel-crypto's decoder would skip characters that are not base64
            signature = Base64.getEncoder().encodeToString(Base64.getDecoder().decode(signature));
        } catch (IllegalArgumentException e) {
            throw new ProblemException(ProblemType.PUBLISHER_SIGNATURE_INVALID,
                    "header '" + SIGNATURE_HEADER_IN + "' is not base64");
        }
        EnvelopeMode mode = null;
        String modeHeader = in.getHeader(DEFAULT_MODE_HEADER, String.class);
        if (modeHeader != null && !modeHeader.isBlank()) {
            try {
                mode = EnvelopeMode.parse(modeHeader);
            } catch (IllegalArgumentException e) {
                throw new ProblemException(ProblemType.INVALID_FIELD,
                        "header '" + DEFAULT_MODE_HEADER + "' must be 'direct' or 'wrapped'");
            }
        }
        long size = contentLength(in);
        ProgramStatement statement = new ProgramStatement(programId, version, sha256, size);
        try {
            catalog.requireNew(programId, version);
        } catch (ProgramCatalog.VersionExistsException e) {
            throw exists(e);
        } catch (dev.progdist.processors.store.IdConflictException e) {
            throw new ProblemException(ProblemType.ID_CONFLICT, e.getMessage());
        }
        exchange.setProperty(CONTENT, in.getBody(InputStream.class));
        exchange.setProperty(STATEMENT, statement);
        exchange.setProperty(SIGNATURE, signature);
        exchange.setProperty(DEFAULT_MODE, mode);
        // only this step decides what is verified, and against which key
        in.removeHeaders("CamelSignature*");
        in.setHeader(SIGNATURE_HEADER, signature);
        in.setBody(statement.signedBytes());
    }

    /**
     * Called by the route when the publisher signature does not verify: writes the
     * {@code publisher-signature-invalid} problem as the response (the route then stops).
     */
    public void refuseSignature(Exchange exchange) {
        ProgramStatement s = exchange.getProperty(STATEMENT, ProgramStatement.class);
        audit.record("program-publish-refused", operator(exchange), subject(s), "publisher-signature-invalid");
        exchange.setException(null);
        ProblemResponder.write(exchange, new ProblemException(ProblemType.PUBLISHER_SIGNATURE_INVALID,
                "the publisher signature does not verify for program " + s.programId() + " version " + s.version()
                        + " with this SHA-256 and size"));
    }

    /** Step 3 of a publish: see the class comment. */
    public void completePublish(Exchange exchange) {
        ProgramStatement statement = exchange.getProperty(STATEMENT, ProgramStatement.class);
        InputStream content = exchange.getProperty(CONTENT, InputStream.class);
        String operator = operator(exchange);
        ProgramCatalog.ProgramVersion published;
        try {
            published = catalog.publish(statement, exchange.getProperty(SIGNATURE, String.class), publisherFingerprint,
                    exchange.getProperty(DEFAULT_MODE, EnvelopeMode.class), operator,
                    content == null ? InputStream.nullInputStream() : content);
        } catch (ProgramCatalog.VersionExistsException e) {
            throw exists(e);
        } catch (dev.progdist.processors.store.IdConflictException e) {
            throw new ProblemException(ProblemType.ID_CONFLICT, e.getMessage());
        } catch (BlobStore.MismatchException e) {
            audit.record("program-publish-refused", operator, subject(statement), "program-digest-mismatch");
            throw new ProblemException(ProblemType.PROGRAM_DIGEST_MISMATCH, "the uploaded bytes are not the "
                    + statement.size() + " bytes with SHA-256 " + statement.sha256() + " that the publisher signed");
        } catch (BlobStore.InputFailedException e) {
            throw new ProblemException(ProblemType.MALFORMED_REQUEST, "the program bytes could not be read to the end");
        }
        audit.record("program-published", operator, subject(statement),
                "sha256 " + published.sha256() + ", " + published.size() + " bytes");
        HttpExchanges.replyJson(exchange, 201, VersionView.of(published));
        exchange.getMessage().setHeader("Location", "/api/v1/programs/" + published.programId());
    }

    // ---- catalog, grants, deliveries ---------------------------------------------------------------

    /** {@code GET /api/v1/programs}: every program with its latest version and version count. */
    public void listPrograms(Exchange exchange) {
        Map<String, List<ProgramCatalog.ProgramVersion>> byProgram = new LinkedHashMap<>();
        for (ProgramCatalog.ProgramVersion v : catalog.all()) {
            byProgram.computeIfAbsent(v.programId(), k -> new ArrayList<>()).add(v);
        }
        List<Map<String, Object>> programs = new ArrayList<>();
        byProgram.forEach((id, versions) -> {
            Map<String, Object> p = new LinkedHashMap<>();
            p.put("programId", id);
            p.put("versions", versions.size());
            // all() lists each program oldest first in version order
            p.put("latest", VersionView.of(versions.get(versions.size() - 1)));
            programs.add(p);
        });
        HttpExchanges.replyJson(exchange, 200, Map.of("programs", programs));
    }

    /** {@code GET /api/v1/programs/{programId}}: its versions, oldest first. */
    public void programVersions(Exchange exchange) {
        String programId = exchange.getMessage().getHeader("programId", String.class);
        List<VersionView> versions = catalog.versions(programId).stream().map(VersionView::of).toList();
        if (versions.isEmpty()) {
            throw new ProblemException(ProblemType.NOT_FOUND, "no published program '" + programId + "'");
        }
        HttpExchanges.replyJson(exchange, 200, Map.of("programId", programId, "versions", versions,
                "latest", versions.get(versions.size() - 1).version()));
    }

    /** {@code POST /api/v1/programs/{programId}/grants}: 201 for a new grant, 200 if it existed. */
    public void grant(Exchange exchange) {
        String programId = requireProgram(exchange);
        GrantRequest request = HttpExchanges.readJson(exchange, GrantRequest.class, 4096);
        boolean existed = entitlements.isEntitled(request.userId(), programId);
        Entitlements.Grant grant;
        try {
            grant = entitlements.grant(programId, request.userId(), operator(exchange));
        } catch (NoSuchElementException e) {
            throw new ProblemException(ProblemType.NOT_FOUND, "no user '" + request.userId() + "'");
        }
        if (!existed) {
            audit.record("program-granted", operator(exchange), "program:" + programId, "user " + grant.userId());
        }
        HttpExchanges.replyJson(exchange, existed ? 200 : 201, grant);
    }

    /** {@code GET /api/v1/programs/{programId}/grants}. */
    public void listGrants(Exchange exchange) {
        String programId = exchange.getMessage().getHeader("programId", String.class);
        HttpExchanges.replyJson(exchange, 200, Map.of("programId", programId, "grants",
                ProgramVersions.isProgramId(programId) ? entitlements.grants(programId) : List.of()));
    }

    /** {@code DELETE /api/v1/programs/{programId}/grants/{userId}}: 204, or 404 if there was no such grant. */
    public void revoke(Exchange exchange) {
        String programId = exchange.getMessage().getHeader("programId", String.class);
        String userId = exchange.getMessage().getHeader("userId", String.class);
        if (!entitlements.revoke(programId, userId)) {
            throw new ProblemException(ProblemType.NOT_FOUND,
                    "user '" + userId + "' has no grant for program '" + programId + "'");
        }
        audit.record("program-revoked", operator(exchange), "program:" + programId, "user " + userId);
        HttpExchanges.replyEmpty(exchange, 204);
    }

    /** {@code GET /api/v1/deliveries?deviceId=&programId=&userId=&limit=}: newest first. */
    public void listDeliveries(Exchange exchange) {
        Message in = exchange.getMessage();
        String limitParam = blankToNull(in.getHeader("limit", String.class));
        int limit = DEFAULT_DELIVERIES;
        if (limitParam != null) {
            if (!DECIMAL.matcher(limitParam).matches() || Long.parseLong(limitParam) < 1
                    || Long.parseLong(limitParam) > MAX_DELIVERIES) {
                throw new ProblemException(ProblemType.INVALID_FIELD,
                        "query parameter 'limit' must be 1 to " + MAX_DELIVERIES);
            }
            limit = Integer.parseInt(limitParam);
        }
        HttpExchanges.replyJson(exchange, 200, Map.of("deliveries", deliveries.list(
                blankToNull(in.getHeader("deviceId", String.class)), blankToNull(in.getHeader("programId", String.class)),
                blankToNull(in.getHeader("userId", String.class)), limit)));
    }

    // ---- helpers ---------------------------------------------------------------------------------

    private long contentLength(Message in) {
        String header = in.getHeader(Exchange.CONTENT_LENGTH, String.class);
        if (header == null || header.isBlank()) {
            throw new ProblemException(ProblemType.LENGTH_REQUIRED,
                    "send the program with a Content-Length header (no chunked uploads)");
        }
        header = header.strip();
        if (!DECIMAL.matcher(header).matches()) {
            throw new ProblemException(ProblemType.MALFORMED_REQUEST, "the Content-Length header is not a number");
        }
        long size;
        try {
            size = Long.parseLong(header);
        } catch (NumberFormatException e) {
            throw new ProblemException(ProblemType.BODY_TOO_LARGE, "a program may have at most " + maxProgramSize
                    + " bytes");
        }
        if (size > maxProgramSize) {
            throw new ProblemException(ProblemType.BODY_TOO_LARGE, "a program may have at most " + maxProgramSize
                    + " bytes");
        }
        return size;
    }

    private String requireProgram(Exchange exchange) {
        String programId = exchange.getMessage().getHeader("programId", String.class);
        if (catalog.versions(programId).isEmpty()) {
            throw new ProblemException(ProblemType.NOT_FOUND, "no published program '" + programId + "'");
        }
        return programId;
    }

    private static String required(Message in, String header) {
        String value = in.getHeader(header, String.class);
        if (value == null || value.isBlank()) {
            throw new ProblemException(ProblemType.MISSING_FIELD, "header '" + header + "' is required");
        }
        return value.strip();
    }

    private static ProblemException exists(ProgramCatalog.VersionExistsException e) {
        return new ProblemException(ProblemType.PROGRAM_EXISTS, e.getMessage());
    }

    private static String operator(Exchange exchange) {
        return exchange.getProperty(UserAuthentication.USER_ID, String.class);
    }

    private static String subject(ProgramStatement s) {
        return s == null ? null : "program:" + s.programId() + "@" + s.version();
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.strip();
    }
}
