package dev.progdist.processors.rollout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.progdist.protocol.channel.ChannelCode;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The engine's small parts: failure classification, filters, durations, the random order. */
class RolloutPartsTest {

    @Test
    void failureKindsSeparateSecurityFromOrdinaryErrors() {
        for (String code : List.of("cert-revoked", "cert-expired", "cert-untrusted", "device-disabled",
                "device-unknown", "device-not-owned", "receipt-invalid", "publisher-signature-invalid",
                "hello-mismatch", "trp-envelope-authentication-failed", "trp-envelope-unwrap-failed",
                "trp-envelope-wrong-recipient", "trp-envelope-digest-mismatch", "trp-publisher-signature-invalid",
                "trp-publisher-certificate-invalid", "trp-program-digest-mismatch")) {
            assertThat(FailureKind.of(code)).as(code).isEqualTo(FailureKind.SECURITY);
        }
        for (String code : List.of("revocation-unavailable", "timed-out", "server-lost", "internal-error",
                "trp-storage-full", "trp-install-failed", "trp-envelope-io", "tls-failure", "idle-timeout",
                "installed-unverified", "not-entitled")) {
            assertThat(FailureKind.of(code)).as(code).isEqualTo(FailureKind.ERROR);
        }
        assertThat(FailureKind.of(ChannelCode.ROLLOUT_STOPPED.label())).isEqualTo(FailureKind.CANCELLED);
        assertThat(FailureKind.of(null)).isEqualTo(FailureKind.ERROR);
        // every TRP envelope code but its own I/O is the envelope failing to open or authenticate
        for (ChannelCode c : ChannelCode.values()) {
            if (c.origin() == ChannelCode.Origin.ENVELOPE && c != ChannelCode.ENVELOPE_IO) {
                assertThat(FailureKind.of("trp-" + c.label())).as(c.label()).isEqualTo(FailureKind.SECURITY);
            }
            if (c.origin() == ChannelCode.Origin.CERTIFICATE && c != ChannelCode.REVOCATION_UNAVAILABLE) {
                assertThat(FailureKind.of(c.label())).as(c.label()).isEqualTo(FailureKind.SECURITY);
            }
        }
    }

    @Test
    void filtersParseAndMatchTheSameWayInSqlAndJava() {
        TargetFilter f = TargetFilter.parse(" owner=alice, device=lab-?? tag=beta tag=eu ");
        assertThat(f.text()).isEqualTo("owner=alice device=lab-?? tag=beta tag=eu");
        assertThat(f.matches("lab-01", "alice", Set.of("beta", "eu", "x"))).isTrue();
        assertThat(f.matches("lab-001", "alice", Set.of("beta", "eu"))).isFalse();
        assertThat(f.matches("lab-01", "bob", Set.of("beta", "eu"))).isFalse();
        assertThat(f.matches("lab-01", "alice", Set.of("beta"))).isFalse();
        assertThat(TargetFilter.like("a_b*c?")).isEqualTo("a!_b%c_");
        for (String bad : List.of("", "owner=", "owner=a owner=b", "colour=red", "tag=", "device=a;b", "x")) {
            assertThatThrownBy(() -> TargetFilter.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void settingsFromPropertiesWithDefaults() {
        java.util.Map<String, String> props = java.util.Map.of("progdist.rollout.approval", "true",
                "progdist.rollout.default-device-timeout", "PT10M", "progdist.rollout.default-error-threshold", "5");
        RolloutSettings s = RolloutSettings.of(props::get);
        assertThat(s.approval()).isTrue();
        assertThat(s.defaultDeviceTimeout()).isEqualTo(Duration.ofMinutes(10));
        assertThat(s.defaultErrorThreshold()).isEqualTo("5");
        assertThat(s.defaultRetryBackoff()).isEqualTo(RolloutSettings.defaults().defaultRetryBackoff());
        assertThatThrownBy(() -> RolloutSettings.of(java.util.Map.of("progdist.rollout.default-retries", "x")::get))
                .hasMessageContaining("progdist.rollout.default-retries");
    }

    @Test
    void durationsInBothForms() {
        assertThat(Durations.parse("30s")).isEqualTo(Duration.ofSeconds(30));
        assertThat(Durations.parse("5m")).isEqualTo(Duration.ofMinutes(5));
        assertThat(Durations.parse("2h")).isEqualTo(Duration.ofHours(2));
        assertThat(Durations.parse("1d")).isEqualTo(Duration.ofDays(1));
        assertThat(Durations.parse("PT30M")).isEqualTo(Duration.ofMinutes(30));
        assertThat(Durations.parse("pt1h")).isEqualTo(Duration.ofHours(1));
        assertThatThrownBy(() -> Durations.parse("soon")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void theRandomOrderIsAPermutationDeterminedByItsSeed() {
        for (long n : new long[] {1, 2, 3, 7, 100, 1025}) {
            PositionPermutation p = new PositionPermutation(n, 42);
            Set<Long> seen = new HashSet<>();
            for (long i = 0; i < n; i++) {
                long x = p.apply(i);
                assertThat(x).isBetween(0L, n - 1);
                seen.add(x);
            }
            assertThat(seen).hasSize((int) n);
        }
        PositionPermutation a = new PositionPermutation(1000, 7);
        PositionPermutation b = new PositionPermutation(1000, 7);
        PositionPermutation c = new PositionPermutation(1000, 8);
        int same = 0;
        for (long i = 0; i < 1000; i++) {
            assertThat(a.apply(i)).isEqualTo(b.apply(i));
            same += a.apply(i) == c.apply(i) ? 1 : 0;
        }
        assertThat(same).isLessThan(50);
    }
}
