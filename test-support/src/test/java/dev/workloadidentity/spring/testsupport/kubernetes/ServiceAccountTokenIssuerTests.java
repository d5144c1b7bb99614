package dev.workloadidentity.spring.testsupport.kubernetes;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;

import dev.workloadidentity.spring.testsupport.token.InvalidTokenException;
import dev.workloadidentity.spring.testsupport.token.Jwt;
import dev.workloadidentity.spring.testsupport.token.JwtClaims;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

class ServiceAccountTokenIssuerTests {

    private static final Instant now = Instant.parse("2026-12-03T12:00:00Z");

    private final ServiceAccountTokenIssuer issuer = new ServiceAccountTokenIssuer(
            "https://oidc.fake-aks.local/tenant/cluster/", Clock.fixed(now, ZoneOffset.UTC));

    @Test
    void forTenantLooksLikeAnAksIssuer() {
        ServiceAccountTokenIssuer aks = ServiceAccountTokenIssuer.forTenant("my-tenant");

        assertThat(aks.issuerUrl()).matches("https://oidc\\.fake-aks\\.local/my-tenant/[0-9a-f-]{36}/");
    }

    @Test
    void mintsTheClaimsTheKubeletSets() throws InvalidTokenException {
        Jwt jwt = Jwt.verify(this.issuer.mint("shop", "orders"), this.issuer.publicKey());
        JwtClaims claims = jwt.claims();

        assertThat(jwt.keyId()).isEqualTo(this.issuer.keyId());
        assertThat(claims.issuer()).isEqualTo("https://oidc.fake-aks.local/tenant/cluster/");
        assertThat(claims.subject()).isEqualTo("system:serviceaccount:shop:orders");
        assertThat(claims.get("aud")).isEqualTo(java.util.List.of("api://AzureADTokenExchange"));
        assertThat(claims.issuedAt()).isEqualTo(now);
        assertThat(claims.notBefore()).isEqualTo(now);
        assertThat(claims.expiresAt()).isEqualTo(now.plus(Duration.ofHours(1)));
        assertThat(claims.string("jti")).isNotBlank();
        @SuppressWarnings("unchecked")
        Map<String, Object> kubernetes = (Map<String, Object>) claims.get("kubernetes.io");
        assertThat(kubernetes).containsEntry("namespace", "shop").containsKeys("pod", "serviceaccount");
        @SuppressWarnings("unchecked")
        Map<String, Object> pod = (Map<String, Object>) kubernetes.get("pod");
        @SuppressWarnings("unchecked")
        Map<String, Object> serviceAccount = (Map<String, Object>) kubernetes.get("serviceaccount");
        assertThat(pod).containsKeys("name", "uid");
        assertThat((String) pod.get("name")).startsWith("orders-");
        assertThat(serviceAccount).containsEntry("name", "orders").containsKey("uid");
    }

    @Test
    void serviceAccountUidIsStableAcrossTokensAndJtiIsNot() throws InvalidTokenException {
        JwtClaims first = Jwt.decode(this.issuer.mint("shop", "orders")).claims();
        JwtClaims second = Jwt.decode(this.issuer.mint("shop", "orders")).claims();

        assertThat(serviceAccountUid(first)).isEqualTo(serviceAccountUid(second));
        assertThat(first.string("jti")).isNotEqualTo(second.string("jti"));
    }

    @Test
    void mintsDeliberatelyWrongTokens() throws InvalidTokenException {
        JwtClaims otherAudience = Jwt.decode(this.issuer.token("shop", "orders").audience("https://kubernetes.default.svc").mint())
            .claims();
        JwtClaims otherSubject = Jwt.decode(this.issuer.token("shop", "orders").subject("system:serviceaccount:x:y").mint())
            .claims();
        JwtClaims otherIssuer = Jwt.decode(this.issuer.token("shop", "orders").issuer("https://elsewhere/").mint()).claims();
        JwtClaims expired = Jwt.decode(this.issuer.token("shop", "orders").expired().mint()).claims();
        JwtClaims early = Jwt.decode(this.issuer.token("shop", "orders").notYetValid().mint()).claims();
        JwtClaims longLived = Jwt.decode(this.issuer.token("shop", "orders").lifetime(Duration.ofDays(2)).mint()).claims();

        assertThat(otherAudience.audience()).containsExactly("https://kubernetes.default.svc");
        assertThat(otherSubject.subject()).isEqualTo("system:serviceaccount:x:y");
        assertThat(otherIssuer.issuer()).isEqualTo("https://elsewhere/");
        assertThat(expired.expiresAt()).isBefore(now);
        assertThat(early.notBefore()).isAfter(now);
        assertThat(longLived.expiresAt()).isEqualTo(now.plus(Duration.ofDays(2)));
    }

    @Test
    void tokenSignedByUnknownKeyDoesNotVerify() {
        String token = this.issuer.token("shop", "orders").signedByUnknownKey().mint();
        String other = this.issuer.token("shop", "orders").signedBy(Jwt.generateKeyPair().getPrivate()).mint();

        assertThatExceptionOfType(InvalidTokenException.class).isThrownBy(() -> Jwt.verify(token, this.issuer.publicKey()));
        assertThatExceptionOfType(InvalidTokenException.class).isThrownBy(() -> Jwt.verify(other, this.issuer.publicKey()));
    }

    private static Object serviceAccountUid(JwtClaims claims) {
        Map<?, ?> kubernetes = (Map<?, ?>) claims.get("kubernetes.io");
        return ((Map<?, ?>) kubernetes.get("serviceaccount")).get("uid");
    }

}
