package dev.progdist.protocol.wire;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

/** The error codes are API: they must be unique, stable and parse back. */
class ProblemTypeTest {

    @Test
    void codesAndUrisAreUnique() {
        assertThat(Arrays.stream(ProblemType.values()).map(ProblemType::code)).doesNotHaveDuplicates();
        assertThat(Arrays.stream(ProblemType.values()).map(ProblemType::uri)).doesNotHaveDuplicates();
    }

    @ParameterizedTest
    @EnumSource(ProblemType.class)
    void fromUriRoundTrips(ProblemType t) {
        assertThat(ProblemType.fromUri(t.uri().toString())).isSameAs(t);
        assertThat(ProblemType.fromUri(t.code())).isSameAs(t);
        assertThat(t.uri().toString()).isEqualTo("urn:progdist:problem:" + t.code());
        assertThat(t.code()).matches("[a-z]+(-[a-z]+)*");
        assertThat(t.status()).isBetween(400, 599);
        assertThat(t.title()).isNotBlank();
    }

    @ParameterizedTest
    @NullAndEmptySource
    @ValueSource(strings = {"no-such-code", "urn:progdist:problem:", "urn:progdist:problem:no-such-code",
        "BAD-CREDENTIALS", "BAD_CREDENTIALS", "urn:other:problem:bad-credentials", " bad-credentials",
        "urn:progdist:problem:urn:progdist:problem:bad-credentials", "https://progdist.dev/problem/bad-credentials"})
    void unknownIsNull(String value) {
        assertThat(ProblemType.fromUri(value)).isNull();
    }

    /** Pinned values: clients depend on these exact codes and statuses. */
    @Test
    void stableCodes() {
        assertThat(ProblemType.BAD_CREDENTIALS.code()).isEqualTo("bad-credentials");
        assertThat(ProblemType.BAD_CREDENTIALS.status()).isEqualTo(401);
        assertThat(ProblemType.LOGIN_THROTTLED.status()).isEqualTo(429);
        assertThat(ProblemType.ACCOUNT_LOCKED.status()).isEqualTo(429);
        assertThat(ProblemType.INVALID_TOKEN.status()).isEqualTo(401);
        assertThat(ProblemType.SESSION_EXPIRED.status()).isEqualTo(401);
        assertThat(ProblemType.FORBIDDEN.status()).isEqualTo(403);
        assertThat(ProblemType.BODY_TOO_LARGE.status()).isEqualTo(413);
        assertThat(ProblemType.UNSUPPORTED_MEDIA_TYPE.status()).isEqualTo(415);
        assertThat(ProblemType.INTERNAL_ERROR.status()).isEqualTo(500);
        assertThat(ProblemType.MEDIA_TYPE).isEqualTo("application/problem+json");
        // issue 8
        assertThat(ProblemType.ACCOUNT_DISABLED.code()).isEqualTo("account-disabled");
        assertThat(ProblemType.ACCOUNT_DISABLED.status()).isEqualTo(403);
        assertThat(ProblemType.TOO_MANY_SESSIONS.status()).isEqualTo(429);
        assertThat(ProblemType.SERVER_BUSY.status()).isEqualTo(503);
        assertThat(ProblemType.ID_CONFLICT.code()).isEqualTo("id-conflict");
        assertThat(ProblemType.ID_CONFLICT.status()).isEqualTo(409);
        assertThat(ProblemType.TOO_MANY_USER_CHANNELS.status()).isEqualTo(429);
        assertThat(ProblemType.CHANNEL_RATE_LIMITED.status()).isEqualTo(429);
    }

    @Test
    void problemOfFillsTheDocument() {
        Problem p = Problem.of(ProblemType.FORBIDDEN, "operator role needed", "/api/v1/users");
        assertThat(p).isEqualTo(new Problem("urn:progdist:problem:forbidden", ProblemType.FORBIDDEN.title(), 403,
                "operator role needed", "/api/v1/users", "forbidden"));
    }
}
