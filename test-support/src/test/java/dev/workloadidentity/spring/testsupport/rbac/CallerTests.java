package dev.workloadidentity.spring.testsupport.rbac;

import java.security.KeyPair;

import dev.workloadidentity.spring.testsupport.token.Jwt;
import dev.workloadidentity.spring.testsupport.token.JwtClaims;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class CallerTests {

    private static final KeyPair KEYS = Jwt.generateKeyPair();

    @Test
    void readsAppIdAndObjectIdOfAV1Token() {
        String token = sign(JwtClaims.builder().claim("appid", "client-1").claim("oid", "object-1").build());

        assertThat(Caller.of(token)).isEqualTo(new Caller("client-1", "object-1"));
        assertThat(Caller.clientIdOf(token)).isEqualTo("client-1");
    }

    @Test
    void readsAzpOfAV2Token() {
        assertThat(Caller.clientIdOf(sign(JwtClaims.builder().claim("azp", "client-2").build()))).isEqualTo("client-2");
    }

    @Test
    void opaqueTokenOrTokenWithoutClientIdHasNoCaller() {
        assertThat(Caller.of("not-a-jwt")).isNull();
        assertThat(Caller.clientIdOf(sign(JwtClaims.builder().subject("someone").build()))).isNull();
    }

    private static String sign(JwtClaims claims) {
        return Jwt.sign(claims, KEYS.getPrivate());
    }

}
