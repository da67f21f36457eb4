package dev.progdist.protocol.wire;

/**
 * An RFC 9457 problem document as progdist sends it. {@code code} repeats the last part of
 * {@code type} for clients that prefer a short token; {@code detail} is for people and never
 * contains secrets.
 */
public record Problem(String type, String title, int status, String detail, String instance, String code) {

    public static Problem of(ProblemType type, String detail, String instance) {
        return new Problem(type.uri().toString(), type.title(), type.status(), detail, instance, type.code());
    }
}
