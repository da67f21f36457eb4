package dev.progdist.protocol.wire;

import java.time.Instant;

/**
 * Answer to {@code POST /api/v1/sessions} and to a refresh. The token is a bearer secret: send it
 * as {@code Authorization: Bearer <token>}, never log it. {@link #toString()} hides it.
 */
public record SessionResponse(String sessionId, String token, Instant expiresAt, String userId, String role) {

    @Override
    public String toString() {
        return "SessionResponse[sessionId=" + sessionId + ", token=***, expiresAt=" + expiresAt + ", userId="
                + userId + ", role=" + role + "]";
    }
}
