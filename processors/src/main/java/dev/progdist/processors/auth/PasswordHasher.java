package dev.progdist.processors.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bouncycastle.crypto.generators.Argon2BytesGenerator;
import org.bouncycastle.crypto.params.Argon2Parameters;

/**
 * Slow, salted password hashing with Argon2id (RFC 9106) through Bouncy Castle, stored in the
 * PHC string format {@code $argon2id$v=19$m=<KiB>,t=<passes>,p=<lanes>$<salt>$<hash>}.
 *
 * <p>The default cost (19 MiB, 2 passes, 1 lane) is OWASP's minimum recommendation. The cost is
 * stored with each hash, so raising it only affects new hashes; {@link #needsRehash} tells when
 * an old one should be replaced. Verification compares in constant time and returns {@code false}
 * (never throws) for any malformed stored value.
 */
public final class PasswordHasher {

    /** Longer secrets are refused before hashing, so a huge body cannot buy a huge hash. */
    public static final int MAX_PASSWORD_CHARS = 1024;

    /** Largest memory cost accepted from a stored hash (256 MiB). */
    static final int MAX_MEMORY_KIB = 256 * 1024;

    private static final Pattern PHC = Pattern.compile(
            "\\$argon2id\\$v=19\\$m=(\\d{1,7}),t=(\\d{1,3}),p=(\\d{1,2})\\$([A-Za-z0-9+/]{16,64})\\$([A-Za-z0-9+/]{16,128})");
    private static final Base64.Encoder B64 = Base64.getEncoder().withoutPadding();
    private static final Base64.Decoder B64D = Base64.getDecoder();

    private final int memoryKiB;
    private final int iterations;
    private final int parallelism;
    private final SecureRandom random = new SecureRandom();

    public PasswordHasher(int memoryKiB, int iterations, int parallelism) {
        if (memoryKiB < 8 * parallelism || iterations < 1 || parallelism < 1) {
            throw new IllegalArgumentException("invalid Argon2id cost m=" + memoryKiB + " t=" + iterations
                    + " p=" + parallelism);
        }
        this.memoryKiB = memoryKiB;
        this.iterations = iterations;
        this.parallelism = parallelism;
    }

    /** OWASP's minimum for Argon2id: m=19 MiB, t=2, p=1. */
    public static PasswordHasher owaspDefault() {
        return new PasswordHasher(19 * 1024, 2, 1);
    }

    public String hash(char[] password) {
        checkLength(password);
        byte[] salt = new byte[16];
        random.nextBytes(salt);
        byte[] out = derive(password, salt, memoryKiB, iterations, parallelism);
        return "$argon2id$v=19$m=" + memoryKiB + ",t=" + iterations + ",p=" + parallelism + "$"
                + B64.encodeToString(salt) + "$" + B64.encodeToString(out);
    }

    /** True only if {@code stored} is a well-formed hash of {@code password}. */
    public boolean verify(char[] password, String stored) {
        if (password == null || password.length > MAX_PASSWORD_CHARS || stored == null) {
            return false;
        }
        Matcher m = PHC.matcher(stored);
        if (!m.matches()) {
            return false;
        }
        int mem = Integer.parseInt(m.group(1));
        int t = Integer.parseInt(m.group(2));
        int p = Integer.parseInt(m.group(3));
        // bound the work a corrupt or hostile stored value can demand before hashing anything
        if (mem > MAX_MEMORY_KIB || mem < 8 * p || t < 1 || t > 16 || p < 1 || p > 16) {
            return false;
        }
        byte[] salt;
        byte[] expected;
        try {
            salt = B64D.decode(m.group(4));
            expected = B64D.decode(m.group(5));
        } catch (IllegalArgumentException truncated) {
            return false;
        }
        byte[] actual = derive(password, salt, mem, t, p, expected.length);
        return MessageDigest.isEqual(expected, actual);
    }

    /** True when {@code stored} was made with a different cost than this hasher's. */
    public boolean needsRehash(String stored) {
        return stored == null || !stored.startsWith("$argon2id$v=19$m=" + memoryKiB + ",t=" + iterations + ",p="
                + parallelism + "$");
    }

    private static void checkLength(char[] password) {
        if (password == null || password.length == 0 || password.length > MAX_PASSWORD_CHARS) {
            throw new IllegalArgumentException("a secret must have 1 to " + MAX_PASSWORD_CHARS + " characters");
        }
    }

    private static byte[] derive(char[] password, byte[] salt, int mem, int t, int p) {
        return derive(password, salt, mem, t, p, 32);
    }

    private static byte[] derive(char[] password, byte[] salt, int mem, int t, int p, int length) {
        Argon2Parameters params = new Argon2Parameters.Builder(Argon2Parameters.ARGON2_id)
                .withVersion(Argon2Parameters.ARGON2_VERSION_13)
                .withMemoryAsKB(mem)
                .withIterations(t)
                .withParallelism(p)
                .withSalt(salt)
                .build();
        Argon2BytesGenerator generator = new Argon2BytesGenerator();
        generator.init(params);
        byte[] out = new byte[length];
        byte[] utf8 = new String(password).getBytes(StandardCharsets.UTF_8);
        try {
            generator.generateBytes(utf8, out);
        } finally {
            java.util.Arrays.fill(utf8, (byte) 0);
        }
        return out;
    }
}
