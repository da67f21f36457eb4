package dev.progdist.protocol.wire;

import java.net.URI;

/**
 * Stable error codes of the progdist HTTP API. Each leaves the server as an RFC 9457
 * {@code application/problem+json} document whose {@code type} is {@link #uri()} and whose
 * {@code code} member is {@link #code()}. Codes never change meaning; new ones are added.
 */
public enum ProblemType {
    BAD_CREDENTIALS("bad-credentials", 401, "User ID or secret is wrong"),
    LOGIN_THROTTLED("login-throttled", 429, "Too many failed logins: wait before trying again"),
    ACCOUNT_LOCKED("account-locked", 429, "Too many failed logins: logins for this user ID are locked for a while"),
    MISSING_TOKEN("missing-token", 401, "This call needs 'Authorization: Bearer <token>' from POST /api/v1/sessions"),
    INVALID_TOKEN("invalid-token", 401, "The session token is not valid"),
    SESSION_EXPIRED("session-expired", 401, "The session has expired: log in again"),
    FORBIDDEN("forbidden", 403, "Your role does not allow this call"),
    MALFORMED_REQUEST("malformed-request", 400, "The request is not well-formed HTTP for this API"),
    MALFORMED_JSON("malformed-json", 400, "The request body is not valid JSON of the expected shape"),
    MISSING_FIELD("missing-field", 400, "A required field is missing"),
    INVALID_FIELD("invalid-field", 400, "A field has a value that is not allowed"),
    BODY_TOO_LARGE("body-too-large", 413, "The request body is larger than this endpoint accepts"),
    UNSUPPORTED_MEDIA_TYPE("unsupported-media-type", 415, "Send the body as application/json"),
    TOKEN_IN_QUERY("token-in-query", 400,
            "Send the bearer token in the Authorization header only, never in the URL or the body"),
    METHOD_NOT_ALLOWED("method-not-allowed", 405, "The API does not answer this HTTP method"),
    REQUEST_TIMEOUT("request-timeout", 408, "The request body did not arrive in time"),
    URI_TOO_LONG("uri-too-long", 414, "The request URI is longer than the server accepts"),
    HEADERS_TOO_LARGE("headers-too-large", 431, "The request headers are larger than the server accepts"),
    SERVER_BUSY("server-busy", 503, "The server is handling too many such requests: retry later"),
    NOT_FOUND("not-found", 404, "No such resource"),
    CONFLICT("conflict", 409, "The resource already exists"),
    CHANNEL_BUSY("channel-busy", 409, "Another request of this session's second path is in progress"),
    TOO_MANY_CHANNELS("too-many-channels", 503, "The server has too many open second paths: retry later"),
    PROGRAM_EXISTS("program-exists", 409, "This program version is already published"),
    PUBLISHER_SIGNATURE_INVALID("publisher-signature-invalid", 400,
            "The publisher signature does not verify for this program statement"),
    PROGRAM_DIGEST_MISMATCH("program-digest-mismatch", 400,
            "The uploaded bytes do not match the signed SHA-256 and size"),
    LENGTH_REQUIRED("length-required", 411, "This upload needs a Content-Length header"),
    NOT_ENTITLED("not-entitled", 403, "The user is not entitled to this program"),
    ACCOUNT_DISABLED("account-disabled", 403, "This user is disabled: ask an operator"),
    TOO_MANY_SESSIONS("too-many-sessions", 429, "This user has the most open sessions allowed: close one or wait"),
    ID_CONFLICT("id-conflict", 409, "An existing ID differs from this one only in case"),
    TOO_MANY_USER_CHANNELS("too-many-user-channels", 429,
            "This user has the most open second paths allowed: end one or wait"),
    CHANNEL_RATE_LIMITED("channel-rate-limited", 429,
            "This session started too many second paths in a short time: wait before the next"),
    UNKNOWN_PROGRAM("unknown-program", 400, "No such program version is published"),
    EMPTY_TARGETS("empty-targets", 400, "The rollout's targets select no device"),
    INVALID_TARGETS("invalid-targets", 400, "Some listed target devices are unknown or disabled"),
    INVALID_STATE("invalid-state", 409, "The rollout's state does not allow this action"),
    SELF_APPROVAL("self-approval", 403, "A rollout must be approved or denied by an operator other than its creator"),
    DEVICE_NOT_OWNED("device-not-owned", 403, "The device is not registered to this user"),
    DEVICE_DISABLED("device-disabled", 409, "The device is disabled: ask an operator"),
    CERTIFICATE_REFUSED("certificate-refused", 400,
            "The device certificate was refused: it does not validate, or it names another device"),
    INTERNAL_ERROR("internal-error", 500, "The server failed to handle the request");

    public static final String MEDIA_TYPE = "application/problem+json";
    private static final String PREFIX = "urn:progdist:problem:";

    private final String code;
    private final int status;
    private final String title;

    ProblemType(String code, int status, String title) {
        this.code = code;
        this.status = status;
        this.title = title;
    }

    public String code() {
        return code;
    }

    public int status() {
        return status;
    }

    public String title() {
        return title;
    }

    public URI uri() {
        return URI.create(PREFIX + code);
    }

    /** The type for a {@code type} URI or bare code, or {@code null} if unknown. */
    public static ProblemType fromUri(String typeOrCode) {
        if (typeOrCode == null) {
            return null;
        }
        String code = typeOrCode.startsWith(PREFIX) ? typeOrCode.substring(PREFIX.length()) : typeOrCode;
        for (ProblemType t : values()) {
            if (t.code.equals(code)) {
                return t;
            }
        }
        return null;
    }
}
