package dev.progdist.processors.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bouncycastle.crypto.generators.Argon2BytesGenerator;
import org.bouncycastle.crypto.params.Argon2Parameters;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

class PasswordHasherTest {

    /** Cheap cost for tests: the cost does not change what is being checked. */
    private static final PasswordHasher HASHER = new PasswordHasher(1024, 1, 1);

    private static final Pattern PHC = Pattern.compile(
            "\\$argon2id\\$v=19\\$m=(\\d+),t=(\\d+),p=(\\d+)\\$([A-Za-z0-9+/]+)\\$([A-Za-z0-9+/]+)");

    private static char[] pw(String s) {
        return s.toCharArray();
    }

    @Test
    void roundTrip() {
        String stored = HASHER.hash(pw("correct horse battery staple"));
        assertThat(HASHER.verify(pw("correct horse battery staple"), stored)).isTrue();
    }

    @Test
    void wrongPasswordIsRefused() {
        String stored = HASHER.hash(pw("correct horse battery staple"));
        assertThat(HASHER.verify(pw("correct horse battery stapl"), stored)).isFalse();
        assertThat(HASHER.verify(pw("Correct horse battery staple"), stored)).isFalse();
        assertThat(HASHER.verify(pw(""), stored)).isFalse();
        assertThat(HASHER.verify(null, stored)).isFalse();
    }

    @Test
    void nonAsciiPasswordsRoundTripAndDiffer() {
        String stored = HASHER.hash(pw("pässwörd-\u20ac-\uD83D\uDD11"));
        assertThat(HASHER.verify(pw("pässwörd-\u20ac-\uD83D\uDD11"), stored)).isTrue();
        assertThat(HASHER.verify(pw("passwort-\u20ac-\uD83D\uDD11"), stored)).isFalse();
    }

    /** Protects against rainbow tables / equal hashes revealing equal passwords: a fresh salt per hash. */
    @Test
    void eachHashHasAFreshSalt() {
        String a = HASHER.hash(pw("same secret"));
        String b = HASHER.hash(pw("same secret"));
        assertThat(a).isNotEqualTo(b);
        assertThat(salt(a)).isNotEqualTo(salt(b));
        assertThat(hashPart(a)).isNotEqualTo(hashPart(b));
        assertThat(HASHER.verify(pw("same secret"), a)).isTrue();
        assertThat(HASHER.verify(pw("same secret"), b)).isTrue();
    }

    @Test
    void formatIsPhcArgon2idWithTheConfiguredCost() {
        PasswordHasher hasher = new PasswordHasher(2048, 2, 2);
        String stored = hasher.hash(pw("secret"));
        Matcher m = PHC.matcher(stored);
        assertThat(m.matches()).as(stored).isTrue();
        assertThat(m.group(1)).isEqualTo("2048");
        assertThat(m.group(2)).isEqualTo("2");
        assertThat(m.group(3)).isEqualTo("2");
        // 16-byte salt and 32-byte hash, standard base64 without padding
        assertThat(Base64.getDecoder().decode(m.group(4))).hasSize(16);
        assertThat(m.group(4)).hasSize(22);
        assertThat(Base64.getDecoder().decode(m.group(5))).hasSize(32);
        assertThat(m.group(5)).hasSize(43);
        assertThat(m.group(4) + m.group(5)).doesNotContain("=");
        assertThat(stored).doesNotContain("secret");
        assertThat(hasher.verify(pw("secret"), stored)).isTrue();
    }

    /** Any change to the stored hash bytes must make verification fail. */
    @Test
    void flippedCharacterInHashPartFails() {
        String stored = HASHER.hash(pw("secret"));
        String hash = hashPart(stored);
        int start = stored.length() - hash.length();
        // every character but the last, whose low bits are padding in unpadded base64
        for (int i = 0; i < hash.length() - 1; i++) {
            String tampered = replaceAt(stored, start + i);
            assertThat(HASHER.verify(pw("secret"), tampered)).as("tampered at %d: %s", i, tampered).isFalse();
        }
    }

    @Test
    void flippedCharacterInSaltFails() {
        String stored = HASHER.hash(pw("secret"));
        int saltStart = stored.indexOf('$', stored.indexOf("p=")) + 1;
        assertThat(HASHER.verify(pw("secret"), replaceAt(stored, saltStart + 3))).isFalse();
    }

    /** The cost parameters are part of the hash: lowering them in the stored string must not verify. */
    @Test
    void changedCostInStoredValueFails() {
        String stored = HASHER.hash(pw("secret"));
        assertThat(HASHER.verify(pw("secret"), stored.replace("m=1024,", "m=1032,"))).isFalse();
        assertThat(HASHER.verify(pw("secret"), stored.replace(",t=1,", ",t=2,"))).isFalse();
        assertThat(HASHER.verify(pw("secret"), stored.replace(",p=1$", ",p=2$"))).isFalse();
    }

    @ParameterizedTest
    @NullAndEmptySource
    @ValueSource(strings = {
        "garbage",
        "$",
        "$$$$$",
        "$argon2id$",
        "$argon2id$v=19$m=1024,t=1,p=1",
        "$argon2id$v=19$m=1024,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA",
        "$argon2id$v=19$m=1024,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$",
        "$argon2i$v=19$m=1024,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "$argon2d$v=19$m=1024,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "$argon2id$v=16$m=1024,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "$argon2id$v=19$m=1024,t=0,p=1$c2FsdHNhbHRzYWx0c2FsdA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "$argon2id$v=19$m=1024,t=1,p=0$c2FsdHNhbHRzYWx0c2FsdA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "$argon2id$v=19$m=7,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "$argon2id$v=19$m=16,t=1,p=4$c2FsdHNhbHRzYWx0c2FsdA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "$argon2id$v=19$m=-1024,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "$argon2id$v=19$t=1,m=1024,p=1$c2FsdHNhbHRzYWx0c2FsdA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "$argon2id$v=19$m=1024,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        "$argon2id$v=19$m=1024,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA$extra",
        "$argon2id$v=19$m=1024,t=1,p=1$c2Fsd-NhbHRzYWx0c2FsdA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "$argon2id$v=19$m=1024,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$AAAAAAAAAAAAAAAA_AAAAAAAAAAAAAAAAAAAAAAAAAA",
        " $argon2id$v=19$m=1024,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "$argon2id$v=19$m=1024,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n",
        "$argon2id$v=19$m=1024,t=1,p=1$c2FsdA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "$argon2id$v=19$m=1024,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$AAAA",
        "$argon2id$v=19$m=\u0661\u0660\u0662\u0664,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "plaintext-password"
    })
    void malformedStoredValuesAreFalseAndNeverThrow(String stored) {
        assertThat(HASHER.verify(pw("secret"), stored)).isFalse();
    }

    /**
     * Truncated stored values (a too-short column, a bad copy) must be refused, not crash the login.
     * Covers all cut lengths whose parts still decode as base64; lengths that leave a part with
     * length % 4 == 1 are in {@link #truncatedToInvalidBase64LengthIsFalse()}.
     */
    @Test
    void truncatedStoredValuesAreFalse() {
        String stored = HASHER.hash(pw("secret"));
        for (int len = 0; len < stored.length(); len++) {
            String cut = stored.substring(0, len);
            assertThat(HASHER.verify(pw("secret"), cut)).as("cut to %d: %s", len, cut).isFalse();
        }
    }

    @Test
    void truncatedToInvalidBase64LengthIsFalse() {
        String stored = HASHER.hash(pw("secret")); // hash part is 43 characters
        String cut = stored.substring(0, stored.length() - 2); // 41 characters: 41 % 4 == 1
        assertThat(HASHER.verify(pw("secret"), cut)).isFalse();
        String salt17 = "$argon2id$v=19$m=1024,t=1,p=1$c2FsdHNhbHRzYWx0c$"
                + "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
        assertThat(HASHER.verify(pw("secret"), salt17)).isFalse();
    }

    /**
     * A hostile or corrupt stored value must not make the server allocate gigabytes or spin: the
     * cost is bounded before any hashing.
     */
    @Test
    void absurdCostInStoredValueIsFalseQuickly() {
        String salt = "c2FsdHNhbHRzYWx0c2FsdA";
        String hash = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
        assertTimeoutPreemptively(Duration.ofSeconds(2), () -> {
            assertThat(HASHER.verify(pw("secret"), "$argon2id$v=19$m=99999999,t=1,p=1$" + salt + "$" + hash))
                    .isFalse();
            assertThat(HASHER.verify(pw("secret"), "$argon2id$v=19$m=9999999,t=1,p=1$" + salt + "$" + hash))
                    .isFalse();
            assertThat(HASHER.verify(pw("secret"), "$argon2id$v=19$m=1024,t=99999,p=1$" + salt + "$" + hash))
                    .isFalse();
            assertThat(HASHER.verify(pw("secret"), "$argon2id$v=19$m=1024,t=1,p=999$" + salt + "$" + hash))
                    .isFalse();
            assertThat(HASHER.verify(pw("secret"),
                    "$argon2id$v=19$m=99999999999999999999,t=1,p=1$" + salt + "$" + hash)).isFalse();
        });
    }

    /** A huge password must not buy a huge hash computation (and DoS the login endpoint). */
    @Test
    void tooLongPasswordIsRefused() {
        char[] max = new char[PasswordHasher.MAX_PASSWORD_CHARS];
        Arrays.fill(max, 'x');
        char[] tooLong = new char[PasswordHasher.MAX_PASSWORD_CHARS + 1];
        Arrays.fill(tooLong, 'x');

        String stored = HASHER.hash(max);
        assertThat(HASHER.verify(max, stored)).isTrue();
        assertThatThrownBy(() -> HASHER.hash(tooLong)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(String.valueOf(PasswordHasher.MAX_PASSWORD_CHARS));
        // even if the stored value were the hash of the long secret, it is not checked
        String storedLong = bcPhc(new String(tooLong).getBytes(StandardCharsets.UTF_8), new byte[16], 1024, 1, 1, 32);
        assertThat(HASHER.verify(tooLong, storedLong)).isFalse();
        assertThat(HASHER.verify(tooLong, stored)).isFalse();
    }

    @Test
    void emptyOrNullPasswordCannotBeHashed() {
        assertThatThrownBy(() -> HASHER.hash(new char[0])).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> HASHER.hash(null)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void invalidCostsAreRefusedByTheConstructor() {
        assertThatThrownBy(() -> new PasswordHasher(7, 1, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new PasswordHasher(1024, 0, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new PasswordHasher(1024, 1, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new PasswordHasher(16, 1, 4)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void needsRehashForOtherCostsOnly() {
        String stored = HASHER.hash(pw("secret"));
        assertThat(HASHER.needsRehash(stored)).isFalse();
        assertThat(new PasswordHasher(2048, 1, 1).needsRehash(stored)).isTrue();
        assertThat(new PasswordHasher(1024, 2, 1).needsRehash(stored)).isTrue();
        assertThat(new PasswordHasher(1024, 1, 2).needsRehash(stored)).isTrue();
        // a prefix match must not be enough: m=10240 is not m=1024
        assertThat(new PasswordHasher(10240, 1, 1).needsRehash(stored)).isTrue();
        assertThat(new PasswordHasher(102, 1, 1).needsRehash(stored)).isTrue();
        assertThat(HASHER.needsRehash(null)).isTrue();
        assertThat(HASHER.needsRehash("garbage")).isTrue();
        assertThat(HASHER.needsRehash("$2a$10$abcdefghijklmnopqrstuv")).isTrue();
    }

    /** A verifier with other costs still verifies old hashes: the cost comes from the stored value. */
    @Test
    void verifyUsesTheStoredCost() {
        String stored = new PasswordHasher(2048, 2, 2).hash(pw("secret"));
        assertThat(HASHER.verify(pw("secret"), stored)).isTrue();
        assertThat(HASHER.needsRehash(stored)).isTrue();
    }

    /** The one test at the real (OWASP minimum) cost: m=19 MiB, t=2, p=1. */
    @Test
    void owaspDefault() {
        PasswordHasher owasp = PasswordHasher.owaspDefault();
        String stored = owasp.hash(pw("secret"));
        assertThat(stored).startsWith("$argon2id$v=19$m=19456,t=2,p=1$");
        assertThat(owasp.verify(pw("secret"), stored)).isTrue();
        assertThat(owasp.verify(pw("secreT"), stored)).isFalse();
        assertThat(owasp.needsRehash(stored)).isFalse();
        assertThat(owasp.needsRehash(HASHER.hash(pw("secret")))).isTrue();
    }

    /**
     * Pins the stored format to real Argon2id: a PHC string computed here directly with Bouncy
     * Castle (fixed salt, m=1024, t=1, p=1, 32-byte tag, standard base64 without padding) verifies.
     */
    @Test
    void acceptsPhcStringBuiltDirectlyWithBouncyCastle() {
        byte[] salt = new byte[16];
        for (int i = 0; i < salt.length; i++) {
            salt[i] = (byte) (i * 7 + 1);
        }
        String stored = bcPhc("s3cret-\u00e9".getBytes(StandardCharsets.UTF_8), salt, 1024, 1, 1, 32);
        assertThat(HASHER.verify(pw("s3cret-\u00e9"), stored)).isTrue();
        assertThat(HASHER.verify(pw("s3cret-e"), stored)).isFalse();
        // the same tag under another algorithm name or version is not accepted
        assertThat(HASHER.verify(pw("s3cret-\u00e9"), stored.replace("argon2id", "argon2i"))).isFalse();
    }

    /** And the other direction: what hash() writes is what Bouncy Castle computes for its salt and cost. */
    @Test
    void hashOutputRecomputesWithBouncyCastle() {
        String stored = HASHER.hash(pw("another secret"));
        Matcher m = PHC.matcher(stored);
        assertThat(m.matches()).isTrue();
        byte[] salt = Base64.getDecoder().decode(m.group(4));
        String expected = bcPhc("another secret".getBytes(StandardCharsets.UTF_8), salt, 1024, 1, 1, 32);
        assertThat(stored).isEqualTo(expected);
    }

    /** RFC 9106 section 5.3 test vector for Argon2id, through the same Bouncy Castle primitive. */
    @Test
    void rfc9106Argon2idTestVector() {
        byte[] password = filled(32, 0x01);
        byte[] salt = filled(16, 0x02);
        byte[] secret = filled(8, 0x03);
        byte[] ad = filled(12, 0x04);
        Argon2Parameters params = new Argon2Parameters.Builder(Argon2Parameters.ARGON2_id)
                .withVersion(Argon2Parameters.ARGON2_VERSION_13)
                .withMemoryAsKB(32)
                .withIterations(3)
                .withParallelism(4)
                .withSalt(salt)
                .withSecret(secret)
                .withAdditional(ad)
                .build();
        Argon2BytesGenerator gen = new Argon2BytesGenerator();
        gen.init(params);
        byte[] tag = new byte[32];
        gen.generateBytes(password, tag);
        assertThat(HexFormat.of().formatHex(tag))
                .isEqualTo("0d640df58d78766c08c037a34a8b53c9d01ef0452d75b65eb52520e96b01e659");
    }

    // --- helpers ---

    private static byte[] filled(int n, int value) {
        byte[] b = new byte[n];
        Arrays.fill(b, (byte) value);
        return b;
    }

    private static String bcPhc(byte[] password, byte[] salt, int m, int t, int p, int len) {
        Argon2Parameters params = new Argon2Parameters.Builder(Argon2Parameters.ARGON2_id)
                .withVersion(Argon2Parameters.ARGON2_VERSION_13)
                .withMemoryAsKB(m)
                .withIterations(t)
                .withParallelism(p)
                .withSalt(salt)
                .build();
        Argon2BytesGenerator gen = new Argon2BytesGenerator();
        gen.init(params);
        byte[] out = new byte[len];
        gen.generateBytes(password, out);
        Base64.Encoder b64 = Base64.getEncoder().withoutPadding();
        return "$argon2id$v=19$m=" + m + ",t=" + t + ",p=" + p + "$" + b64.encodeToString(salt) + "$"
                + b64.encodeToString(out);
    }

    private static String salt(String stored) {
        String[] parts = stored.split("\\$");
        return parts[4];
    }

    private static String hashPart(String stored) {
        String[] parts = stored.split("\\$");
        return parts[5];
    }

    private static String replaceAt(String s, int i) {
        char c = s.charAt(i);
        char r = c == 'A' ? 'B' : 'A';
        return s.substring(0, i) + r + s.substring(i + 1);
    }

    private static int lastPartLengthMod4(String s) {
        List<String> parts = new ArrayList<>(Arrays.asList(s.split("\\$", -1)));
        String last = parts.get(parts.size() - 1);
        return last.length() % 4;
    }
}
