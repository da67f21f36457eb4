package dev.progdist.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

/** Device IDs end up in file paths, queue names and certificate subjects: nothing may escape. */
class DeviceIdTest {

    private static final String SIXTY_FOUR = "a".repeat(64);

    @ParameterizedTest
    @ValueSource(strings = {"a", "Z", "0", "trp-001", "TRP_42", "9lives", "a-", "a_", "x-y_z-0"})
    void validIds(String id) {
        assertThat(DeviceId.isValid(id)).isTrue();
        assertThat(DeviceId.require(id)).isSameAs(id);
    }

    @Test
    void sixtyFourCharactersAreTheMaximum() {
        assertThat(DeviceId.isValid(SIXTY_FOUR)).isTrue();
        assertThat(DeviceId.isValid(SIXTY_FOUR + "a")).isFalse();
    }

    @ParameterizedTest
    @NullAndEmptySource
    @ValueSource(strings = {"../x", "..", ".", "a.b", "a/b", "a\\b", "-a", "_a", " a", "a ", "a b", "a\n", "a\u0000",
        "\u00e4", "a\u00e9", "\uff41", "\u0661", "trp*", "trp.in", "a:b", "a,b", "CN=x", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"})
    void invalidIds(String id) {
        assertThat(DeviceId.isValid(id)).isFalse();
        assertThatThrownBy(() -> DeviceId.require(id)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("1 to 64");
        assertThatThrownBy(() -> DeviceId.inboundQueue(id)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> DeviceId.outboundQueue(id)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void queueNames() {
        assertThat(DeviceId.inboundQueue("trp-001")).isEqualTo("trp.trp-001.in");
        assertThat(DeviceId.outboundQueue("trp-001")).isEqualTo("trp.trp-001.out");
    }

    @Test
    void homeDirectoryOfAValidIdStaysInsideTheHome() {
        Home home = Home.at(java.nio.file.Path.of("/tmp/progdist-home"));
        assertThat(home.trpDir("trp-001")).isEqualTo(home.root().resolve("trp").resolve("trp-001"));
        assertThatThrownBy(() -> home.trpDir("../pki")).isInstanceOf(IllegalArgumentException.class);
    }

    /** Whatever is accepted is short, of the safe alphabet, and distinct queue names follow. */
    @Property(tries = 3000)
    void acceptedIdsAreSafe(@ForAll String id) {
        if (DeviceId.isValid(id)) {
            assertThat(id).hasSizeBetween(1, 64).matches("[A-Za-z0-9][A-Za-z0-9_-]*");
            assertThat(DeviceId.inboundQueue(id)).isEqualTo("trp." + id + ".in").doesNotContain("..");
        }
    }

    @Property(tries = 1000)
    void idsOfTheSafeAlphabetAreAccepted(
            @ForAll @net.jqwik.api.constraints.AlphaChars @net.jqwik.api.constraints.NumericChars
            @net.jqwik.api.constraints.Chars({'_', '-'}) @net.jqwik.api.constraints.StringLength(min = 1, max = 64)
            String id) {
        boolean startsSafe = Character.isLetterOrDigit(id.charAt(0));
        assertThat(DeviceId.isValid(id)).isEqualTo(startsSafe);
    }
}
