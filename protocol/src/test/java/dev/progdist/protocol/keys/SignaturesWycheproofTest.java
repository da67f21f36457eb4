package dev.progdist.protocol.keys;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Project Wycheproof's vectors through {@link Signatures#verify}, the check under both verifiers:
 * every {@code valid} vector must verify, every {@code invalid} one (BER, wrong lengths, r or s out
 * of range, edge-case points, ...) must throw {@link InvalidSignatureException}.
 *
 * <p>The vectors are read from {@code shared/wycheproof/} beside the repository (as CI lays it);
 * without that folder the test is skipped. Only ECDSA P-256 SHA-256 (DER) is there: the folder has no
 * RSA PKCS#1 v1.5 signature vectors, so RSA is covered by {@code SignatureVerifiersTest} alone.
 */
class SignaturesWycheproofTest {

    private static final String ECDSA_P256_SHA256 = "ecdsa_secp256r1_sha256_test.json";

    static Stream<Arguments> ecdsaP256Sha256() throws Exception {
        Path file = vectors(ECDSA_P256_SHA256);
        assumeTrue(file != null, "no shared/wycheproof/" + ECDSA_P256_SHA256 + " beside the repository");
        JsonNode root = new ObjectMapper().readTree(file.toFile());
        List<Arguments> cases = new ArrayList<>();
        KeyFactory ec = KeyFactory.getInstance("EC");
        for (JsonNode group : root.path("testGroups")) {
            PublicKey key = ec.generatePublic(new X509EncodedKeySpec(hex(group.path("publicKeyDer").asText())));
            for (JsonNode test : group.path("tests")) {
                cases.add(Arguments.of(test.path("tcId").asInt(), test.path("comment").asText(), key,
                        hex(test.path("msg").asText()), hex(test.path("sig").asText()),
                        test.path("result").asText()));
            }
        }
        assumeTrue(!cases.isEmpty(), "no vectors in " + file);
        return cases.stream();
    }

    @ParameterizedTest(name = "tcId {0}: {1} ({5})")
    @MethodSource("ecdsaP256Sha256")
    void ecdsaP256Sha256Der(int tcId, String comment, PublicKey key, byte[] message, byte[] signature, String result) {
        switch (result) {
            case "valid" -> assertThatCode(() -> Signatures.verify(key, message, signature)).doesNotThrowAnyException();
            case "invalid" -> assertThatThrownBy(() -> Signatures.verify(key, message, signature))
                    .isExactlyInstanceOf(InvalidSignatureException.class).hasMessage(InvalidSignatureException.MESSAGE);
            default -> throw new IllegalStateException("unexpected result " + result + " in tcId " + tcId);
        }
    }

    /** {@code shared/wycheproof/<name>} in the first parent of the working directory that has it. */
    private static Path vectors(String name) {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path candidate = dir.resolve("shared").resolve("wycheproof").resolve(name);
            if (Files.isRegularFile(candidate)) {
                return candidate;
            }
        }
        return null;
    }

    private static byte[] hex(String s) {
        return HexFormat.of().parseHex(s);
    }
}
