package dev.progdist.protocol.wire;

/** Body of {@code POST /api/v1/sessions}. {@link #toString()} hides the password. */
public record SessionRequest(String userId, String password) {

    @Override
    public String toString() {
        return "SessionRequest[userId=" + userId + ", password=***]";
    }
}
