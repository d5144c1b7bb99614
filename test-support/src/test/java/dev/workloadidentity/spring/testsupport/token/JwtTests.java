package dev.workloadidentity.spring.testsupport.token;

import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import dev.workloadidentity.spring.testsupport.json.Json;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatNoException;

class JwtTests {

    private static final KeyPair keys = Jwt.generateKeyPair();

    private static final Instant now = Instant.parse("2026-12-03T12:00:00Z");

    private static JwtClaims claims() {
        return JwtClaims.builder()
            .issuer("https://issuer.example/")
            .subject("someone")
            .audience("https://vault.azure.net")
            .issuedAt(now)
            .notBefore(now)
            .expiresAt(now.plus(Duration.ofHours(1)))
            .claim("nested", Map.of("a", List.of("b", "c")))
            .build();
    }

    @Test
    void signedTokenVerifiesAndRoundTripsClaims() throws InvalidTokenException {
        String token = Jwt.sign(claims(), keys.getPrivate(), "key-1");

        Jwt jwt = Jwt.verify(token, keys.getPublic());

        assertThat(token.split("\\.")).hasSize(3);
        assertThat(jwt.algorithm()).isEqualTo("RS256");
        assertThat(jwt.keyId()).isEqualTo("key-1");
        assertThat(jwt.header()).containsEntry("typ", "JWT");
        assertThat(jwt.claims().issuer()).isEqualTo("https://issuer.example/");
        assertThat(jwt.claims().subject()).isEqualTo("someone");
        assertThat(jwt.claims().audience()).containsExactly("https://vault.azure.net");
        assertThat(jwt.claims().expiresAt()).isEqualTo(now.plus(Duration.ofHours(1)));
        assertThat(jwt.claims().notBefore()).isEqualTo(now);
        assertThat(jwt.claims().issuedAt()).isEqualTo(now);
        assertThat(jwt.claims().get("nested")).isEqualTo(Map.of("a", List.of("b", "c")));
        assertThat(((Number) jwt.claims().get("exp")).longValue()).isEqualTo(now.plus(Duration.ofHours(1)).getEpochSecond());
    }

    @Test
    void audienceArrayIsReadAsList() throws InvalidTokenException {
        String token = Jwt.sign(claims().toBuilder().audiences(List.of("a", "b")).build(), keys.getPrivate());

        assertThat(Jwt.decode(token).claims().audience()).containsExactly("a", "b");
        assertThat(Jwt.decode(token).keyId()).isNull();
    }

    @Test
    void otherKeyDoesNotVerify() {
        String token = Jwt.sign(claims(), Jwt.generateKeyPair().getPrivate());

        assertThatExceptionOfType(InvalidTokenException.class).isThrownBy(() -> Jwt.verify(token, keys.getPublic()))
            .withMessage("Token signature does not verify with the expected key");
    }

    @Test
    void tamperedPayloadDoesNotVerify() {
        String[] parts = Jwt.sign(claims(), keys.getPrivate()).split("\\.");
        String payload = encode(Json.write(claims().toBuilder().subject("someone-else").build().asMap()));
        String tampered = parts[0] + "." + payload + "." + parts[2];

        assertThatExceptionOfType(InvalidTokenException.class)
            .isThrownBy(() -> Jwt.verify(tampered, keys.getPublic()));
    }

    @Test
    void unsignedTokenIsRejectedEvenThoughItDecodes() throws InvalidTokenException {
        String unsigned = encode("{\"alg\":\"none\"}") + "." + encode(Json.write(claims().asMap())) + ".";

        assertThat(Jwt.decode(unsigned).algorithm()).isEqualTo("none");
        assertThatExceptionOfType(InvalidTokenException.class).isThrownBy(() -> Jwt.verify(unsigned, keys.getPublic()))
            .withMessage("Token algorithm is 'none', not RS256");
    }

    @Test
    void hs256IsRejected() {
        String[] parts = Jwt.sign(claims(), keys.getPrivate()).split("\\.");
        String hs256 = encode("{\"alg\":\"HS256\",\"typ\":\"JWT\"}") + "." + parts[1] + "." + parts[2];

        assertThatExceptionOfType(InvalidTokenException.class).isThrownBy(() -> Jwt.verify(hs256, keys.getPublic()))
            .withMessageContaining("HS256");
    }

    @Test
    void malformedTokensAreRejectedWithoutQuotingThem() {
        for (String malformed : List.of("not-a-jwt", "a.b", "!!!.@@@.###", encode("[1]") + "." + encode("{}") + ".",
                encode("{\"alg\":\"RS256\"}") + "." + encode("{\"secret-ish\":") + ".x")) {
            assertThatExceptionOfType(InvalidTokenException.class).as(malformed)
                .isThrownBy(() -> Jwt.decode(malformed))
                .satisfies((ex) -> assertThat(ex.getMessage()).doesNotContain(malformed).doesNotContain("secret-ish"));
        }
    }

    @Test
    void accessTokenValidatorChecksIssuerAudienceAndLifetime() {
        Clock clock = Clock.fixed(now.plus(Duration.ofMinutes(1)), ZoneOffset.UTC);
        AccessTokenValidator validator = new JwtAccessTokenValidator(keys.getPublic(), "https://issuer.example/",
                List.of("https://vault.azure.net", "https://vault.azure.net/"), clock);

        assertThatNoException().isThrownBy(() -> validator.validate(Jwt.sign(claims(), keys.getPrivate())));
        assertThatNoException().isThrownBy(() -> validator
            .validate(Jwt.sign(claims().toBuilder().audience("https://vault.azure.net/").build(), keys.getPrivate())));
        assertRejected(validator, claims().toBuilder().issuer("https://other.example/").build(), "Invalid issuer");
        assertRejected(validator, claims().toBuilder().audience("https://storage.azure.com").build(),
                "Invalid audience");
        assertRejected(validator, claims().toBuilder().expiresAt(now).build(), "expired");
        assertRejected(validator, claims().toBuilder().expiresAt(null).build(), "expired");
        assertRejected(validator, claims().toBuilder().notBefore(now.plus(Duration.ofMinutes(2))).build(),
                "not valid yet");
        String otherKey = Jwt.sign(claims(), Jwt.generateKeyPair().getPrivate());
        assertThatExceptionOfType(InvalidTokenException.class).isThrownBy(() -> validator.validate(otherKey));
    }

    private static void assertRejected(AccessTokenValidator validator, JwtClaims claims, String reason) {
        String token = Jwt.sign(claims, keys.getPrivate());
        assertThatExceptionOfType(InvalidTokenException.class).isThrownBy(() -> validator.validate(token))
            .withMessageContaining(reason)
            .satisfies((ex) -> assertThat(ex.getMessage()).doesNotContain(token));
    }

    private static String encode(String json) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(json.getBytes(StandardCharsets.UTF_8));
    }

}
