package dev.workloadidentity.spring.testsupport.entra;

import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import com.azure.core.credential.AccessToken;
import com.azure.core.credential.TokenRequestContext;
import com.azure.identity.WorkloadIdentityCredential;
import com.microsoft.aad.msal4j.MsalServiceException;
import dev.workloadidentity.spring.testsupport.TestClients;
import dev.workloadidentity.spring.testsupport.json.Json;
import dev.workloadidentity.spring.testsupport.kubernetes.ProjectedTokenVolume;
import dev.workloadidentity.spring.testsupport.kubernetes.ServiceAccountTokenIssuer;
import dev.workloadidentity.spring.testsupport.tls.FakeAzureTls;
import dev.workloadidentity.spring.testsupport.token.InvalidTokenException;
import dev.workloadidentity.spring.testsupport.token.Jwt;
import dev.workloadidentity.spring.testsupport.token.JwtClaims;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatNoException;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.assertj.core.api.Assertions.tuple;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

/**
 * The fake Entra driven by the real {@code WorkloadIdentityCredential} (azure-identity + MSAL4J) over HTTPS.
 */
class FakeEntraTests {

    private static final String VAULT_SCOPE = "https://vault.azure.net/.default";

    private static final String TENANT = UUID.randomUUID().toString();

    private static final String CLIENT = UUID.randomUUID().toString();

    private static final String NAMESPACE = "shop";

    private static final String SERVICE_ACCOUNT = "orders";

    private static FakeEntra entra;

    private static ServiceAccountTokenIssuer cluster;

    @TempDir
    Path directory;

    private ProjectedTokenVolume volume;

    @BeforeAll
    static void startEntra() {
        FakeAzureTls.jvmDefault();
        cluster = ServiceAccountTokenIssuer.forTenant(TENANT);
        entra = FakeEntra.start(TENANT)
            .trustIssuer(cluster)
            .addFederatedIdentityCredential(CLIENT,
                    FederatedIdentityCredential.forServiceAccount(cluster.issuerUrl(), NAMESPACE, SERVICE_ACCOUNT));
    }

    @AfterAll
    static void stopEntra() {
        entra.close();
    }

    @BeforeEach
    void projectVolume() {
        this.volume = new ProjectedTokenVolume(this.directory);
        entra.clearTokenRequests();
    }

    @Test
    void authorityHostHasTheWebhooksTrailingSlash() {
        assertThat(entra.authorityHost()).isEqualTo("https://127.0.0.1:" + entra.port() + "/");
        assertThat(entra.tokenEndpoint()).isEqualTo(entra.authorityHost() + TENANT + "/oauth2/v2.0/token");
    }

    @Test
    void exchangesTheProjectedTokenForAnAccessToken() throws InvalidTokenException {
        this.volume.write(cluster.mint(NAMESPACE, SERVICE_ACCOUNT));

        AccessToken token = credential(CLIENT).getTokenSync(new TokenRequestContext().addScopes(VAULT_SCOPE));

        JwtClaims claims = Jwt.verify(token.getToken(), entra.publicKey()).claims();
        assertThat(claims.audience()).containsExactly("https://vault.azure.net");
        assertThat(claims.issuer()).isEqualTo("https://sts.windows.net/" + TENANT + "/");
        assertThat(claims.string("appid")).isEqualTo(CLIENT);
        assertThat(claims.string("tid")).isEqualTo(TENANT);
        assertThat(claims.string("ver")).isEqualTo("1.0");
        assertThat(claims.string("oid")).isNotBlank().isEqualTo(claims.subject());
        assertThat(claims.issuedAt()).isNotNull();
        assertThat(claims.notBefore()).isBeforeOrEqualTo(Instant.now());
        assertThat(claims.expiresAt()).isCloseTo(Instant.now().plusSeconds(3599), within(Duration.ofSeconds(30)));
        assertThat(token.getExpiresAt()).isCloseTo(OffsetDateTime.now().plusSeconds(3599),
                within(Duration.ofSeconds(30)));
        assertThat(entra.tokenRequests()).singleElement().satisfies((request) -> {
            assertThat(request.succeeded()).isTrue();
            assertThat(request.outcome()).isEqualTo("success");
            assertThat(request.status()).isEqualTo(200);
            assertThat(request.tenant()).isEqualTo(TENANT);
            assertThat(request.clientId()).isEqualTo(CLIENT);
            assertThat(request.resource()).isEqualTo("https://vault.azure.net");
        });
    }

    @Test
    void accessTokenValidatorAcceptsOnlyTheResourcesTokens() {
        this.volume.write(cluster.mint(NAMESPACE, SERVICE_ACCOUNT));
        String token = credential(CLIENT).getTokenSync(new TokenRequestContext().addScopes(VAULT_SCOPE)).getToken();

        assertThatNoException().isThrownBy(() -> entra.accessTokenValidator("https://vault.azure.net").validate(token));
        assertThatNoException().isThrownBy(() -> entra.accessTokenValidator("https://vault.azure.net/").validate(token));
        assertThatExceptionOfType(InvalidTokenException.class)
            .isThrownBy(() -> entra.accessTokenValidator("https://storage.azure.com").validate(token))
            .withMessageContaining("audience");
        String otherKey = Jwt.sign(entra.accessTokenClaims(CLIENT, "https://vault.azure.net"),
                Jwt.generateKeyPair().getPrivate());
        assertThatExceptionOfType(InvalidTokenException.class)
            .isThrownBy(() -> entra.accessTokenValidator("https://vault.azure.net").validate(otherKey));
    }

    @Test
    void recordsEveryTokenRequestInOrder() {
        this.volume.write(cluster.mint(NAMESPACE, SERVICE_ACCOUNT));
        WorkloadIdentityCredential credential = credential(CLIENT);

        credential.getTokenSync(new TokenRequestContext().addScopes(VAULT_SCOPE));
        credential.getTokenSync(new TokenRequestContext().addScopes("https://storage.azure.com/.default"));
        WorkloadIdentityCredential unknown = credential(UUID.randomUUID().toString());
        catchThrowable(() -> unknown.getTokenSync(new TokenRequestContext().addScopes(VAULT_SCOPE)));

        assertThat(entra.tokenRequests()).extracting(TokenRequest::resource, TokenRequest::outcome)
            .containsExactly(tuple("https://vault.azure.net", "success"), tuple("https://storage.azure.com", "success"),
                    tuple("https://vault.azure.net", "AADSTS700016"));
    }

    /**
     * Pins an MSAL4J 1.23.1 quirk that matters when counting token requests against this fake: with instance
     * discovery disabled, MSAL saves tokens under the authority's host ({@code 127.0.0.1}) but looks them up under
     * host and port ({@code 127.0.0.1:<port>}), so its cache never hits and every {@code getToken} on the bare
     * credential is a network acquisition. (SDK clients still cache in azure-core's {@code AccessTokenCache}.)
     * If this fails, MSAL has fixed it: adjust the integrator notes and drop this test.
     */
    @Test
    void msalCacheMissesWhenTheAuthorityHasAPort() {
        this.volume.write(cluster.mint(NAMESPACE, SERVICE_ACCOUNT));
        WorkloadIdentityCredential credential = credential(CLIENT);

        credential.getTokenSync(new TokenRequestContext().addScopes(VAULT_SCOPE));
        credential.getTokenSync(new TokenRequestContext().addScopes(VAULT_SCOPE));

        assertThat(entra.tokenRequests()).hasSize(2);
    }

    /** The counterpart of the quirk above: on port 443 the authority has no port, and MSAL's cache hits. */
    @Test
    void msalCacheHitsWhenTheAuthorityHasNoPort() {
        FakeEntra portless;
        try {
            portless = FakeEntra.start(TENANT, FakeAzureTls.jvmDefault(), Clock.systemUTC(), 443);
        }
        catch (UncheckedIOException ex) {
            Assumptions.abort("127.0.0.1:443 cannot be bound here (needs root and a free port): " + ex.getMessage());
            return;
        }
        try (portless) {
            portless.trustIssuer(cluster)
                .addFederatedIdentityCredential(CLIENT,
                        FederatedIdentityCredential.forServiceAccount(cluster.issuerUrl(), NAMESPACE, SERVICE_ACCOUNT));
            this.volume.write(cluster.mint(NAMESPACE, SERVICE_ACCOUNT));
            WorkloadIdentityCredential credential = TestClients.workloadIdentity(portless, TENANT, CLIENT,
                    this.volume.tokenFile());

            credential.getTokenSync(new TokenRequestContext().addScopes(VAULT_SCOPE));
            credential.getTokenSync(new TokenRequestContext().addScopes(VAULT_SCOPE));

            assertThat(portless.authorityHost()).isEqualTo("https://127.0.0.1/");
            assertThat(portless.tokenRequests()).hasSize(1);
        }
    }

    @Test
    void rotatedTokenIsSentOnTheNextNetworkAcquisition() throws InvalidTokenException {
        String first = cluster.mint(NAMESPACE, SERVICE_ACCOUNT);
        String second = cluster.mint(NAMESPACE, SERVICE_ACCOUNT);
        this.volume.write(first);
        WorkloadIdentityCredential credential = credential(CLIENT);
        credential.getTokenSync(new TokenRequestContext().addScopes(VAULT_SCOPE));

        this.volume.rotate(second);
        credential.getTokenSync(new TokenRequestContext().addScopes("https://storage.azure.com/.default"));

        assertThat(entra.tokenRequests()).extracting(TokenRequest::assertionId)
            .containsExactly(jti(first), jti(second));
    }

    @Test
    void rotationRecoversFromAnExpiredToken() {
        this.volume.write(cluster.token(NAMESPACE, SERVICE_ACCOUNT).expired().mint());
        WorkloadIdentityCredential credential = credential(CLIENT);
        TokenRequestContext vault = new TokenRequestContext().addScopes(VAULT_SCOPE);
        assertThat(msalFailure(() -> credential.getTokenSync(vault)).getMessage()).startsWith("AADSTS700024:");

        this.volume.rotate(cluster.mint(NAMESPACE, SERVICE_ACCOUNT));

        assertThat(credential.getTokenSync(vault).getToken()).isNotBlank();
        assertThat(entra.tokenRequests()).extracting(TokenRequest::outcome).containsExactly("AADSTS700024", "success");
    }

    @Test
    void accessTokenLifetimeIsConfigurable() {
        try (FakeEntra shortLived = FakeEntra.start(TENANT, FakeAzureTls.jvmDefault(), Clock.systemUTC())) {
            shortLived.trustIssuer(cluster)
                .addFederatedIdentityCredential(CLIENT,
                        FederatedIdentityCredential.forServiceAccount(cluster.issuerUrl(), NAMESPACE, SERVICE_ACCOUNT))
                .accessTokenLifetime(Duration.ofMinutes(10));
            this.volume.write(cluster.mint(NAMESPACE, SERVICE_ACCOUNT));

            AccessToken token = TestClients.workloadIdentity(shortLived, TENANT, CLIENT, this.volume.tokenFile())
                .getTokenSync(new TokenRequestContext().addScopes(VAULT_SCOPE));

            assertThat(token.getExpiresAt()).isCloseTo(OffsetDateTime.now().plusMinutes(10),
                    within(Duration.ofSeconds(30)));
        }
    }

    @Test
    void answerDelayHoldsErrorsToo() {
        this.volume.write(cluster.mint(NAMESPACE, SERVICE_ACCOUNT));
        TokenRequestContext vault = new TokenRequestContext().addScopes(VAULT_SCOPE);
        entra.answerDelay(Duration.ofMillis(300));
        try {
            long started = System.nanoTime();
            credential(CLIENT).getTokenSync(vault);
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isGreaterThanOrEqualTo(Duration.ofMillis(300));

            started = System.nanoTime();
            msalFailure(() -> credential(UUID.randomUUID().toString()).getTokenSync(vault));
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isGreaterThanOrEqualTo(Duration.ofMillis(300));
        }
        finally {
            entra.answerDelay(Duration.ZERO);
        }
        assertThat(entra.tokenRequests()).extracting(TokenRequest::outcome).containsExactly("success", "AADSTS700016");
    }

    @Test
    void refreshInIsConfigurable() {
        try (FakeEntra early = FakeEntra.start(TENANT, FakeAzureTls.jvmDefault(), Clock.systemUTC())) {
            early.trustIssuer(cluster)
                .addFederatedIdentityCredential(CLIENT,
                        FederatedIdentityCredential.forServiceAccount(cluster.issuerUrl(), NAMESPACE, SERVICE_ACCOUNT))
                .accessTokenLifetime(Duration.ofMinutes(10))
                .refreshIn(Duration.ofMinutes(1));
            this.volume.write(cluster.mint(NAMESPACE, SERVICE_ACCOUNT));

            AccessToken token = TestClients.workloadIdentity(early, TENANT, CLIENT, this.volume.tokenFile())
                .getTokenSync(new TokenRequestContext().addScopes(VAULT_SCOPE));

            assertThat(token.getRefreshAt()).isCloseTo(OffsetDateTime.now().plusMinutes(1),
                    within(Duration.ofSeconds(30)));
        }
    }

    @Test
    void clockSkewAllowanceStampsExpThatMuchLaterThanTheExpiryTheClientIsTold() throws InvalidTokenException {
        try (FakeEntra lenient = FakeEntra.start(TENANT, FakeAzureTls.jvmDefault(), Clock.systemUTC())) {
            lenient.trustIssuer(cluster)
                .addFederatedIdentityCredential(CLIENT,
                        FederatedIdentityCredential.forServiceAccount(cluster.issuerUrl(), NAMESPACE, SERVICE_ACCOUNT))
                .accessTokenLifetime(Duration.ofMinutes(10))
                .clockSkewAllowance(Duration.ofSeconds(30));
            this.volume.write(cluster.mint(NAMESPACE, SERVICE_ACCOUNT));

            AccessToken token = TestClients.workloadIdentity(lenient, TENANT, CLIENT, this.volume.tokenFile())
                .getTokenSync(new TokenRequestContext().addScopes(VAULT_SCOPE));

            assertThat(token.getExpiresAt()).isCloseTo(OffsetDateTime.now().plusMinutes(10),
                    within(Duration.ofSeconds(5)));
            assertThat(Jwt.decode(token.getToken()).claims().expiresAt())
                .isCloseTo(token.getExpiresAt().toInstant().plusSeconds(30), within(Duration.ofSeconds(2)));
        }
    }

    @Test
    void unknownTenantIs90002() {
        this.volume.write(cluster.mint(NAMESPACE, SERVICE_ACCOUNT));
        WorkloadIdentityCredential credential = TestClients.workloadIdentity(entra, UUID.randomUUID().toString(),
                CLIENT, this.volume.tokenFile());

        assertRejected(credential, 400, "invalid_request", 90002);
    }

    @Test
    void unknownClientIdIs700016() {
        this.volume.write(cluster.mint(NAMESPACE, SERVICE_ACCOUNT));

        assertRejected(credential(UUID.randomUUID().toString()), 400, "unauthorized_client", 700016);
    }

    @Test
    void malformedAssertionIs50027() {
        this.volume.write("this-is-not-a-jwt");

        MsalServiceException failure = assertRejected(credential(CLIENT), 400, "invalid_request", 50027);
        assertThat(failure.getMessage()).doesNotContain("this-is-not-a-jwt");
    }

    @Test
    void issuerWhoseKeysCannotBeFetchedIs90061() {
        ServiceAccountTokenIssuer unpublished = ServiceAccountTokenIssuer.forTenant(TENANT);
        String clientId = UUID.randomUUID().toString();
        entra.addFederatedIdentityCredential(clientId,
                FederatedIdentityCredential.forServiceAccount(unpublished.issuerUrl(), NAMESPACE, SERVICE_ACCOUNT));
        this.volume.write(unpublished.mint(NAMESPACE, SERVICE_ACCOUNT));

        assertRejected(credential(clientId), 400, "invalid_request", 90061);
    }

    @Test
    void assertionSignedByAnotherKeyIs700027() {
        this.volume.write(cluster.token(NAMESPACE, SERVICE_ACCOUNT).signedByUnknownKey().mint());

        assertRejected(credential(CLIENT), 401, "invalid_client", 700027);
    }

    @Test
    void expiredAssertionIs700024() {
        this.volume.write(cluster.token(NAMESPACE, SERVICE_ACCOUNT).expired().mint());

        MsalServiceException failure = assertRejected(credential(CLIENT), 401, "invalid_client", 700024);
        assertThat(failure.getMessage()).contains("Client assertion is not within its valid time range");
    }

    @Test
    void notYetValidAssertionIs700024() {
        this.volume.write(cluster.token(NAMESPACE, SERVICE_ACCOUNT).notYetValid().mint());

        assertRejected(credential(CLIENT), 401, "invalid_client", 700024);
    }

    @Test
    void assertionFromAnotherIssuerIs700211() {
        ServiceAccountTokenIssuer otherCluster = ServiceAccountTokenIssuer.forTenant(TENANT);
        entra.trustIssuer(otherCluster);
        this.volume.write(otherCluster.mint(NAMESPACE, SERVICE_ACCOUNT));

        MsalServiceException failure = assertRejected(credential(CLIENT), 401, "invalid_client", 700211);
        assertThat(failure.getMessage()).contains("assertion issuer '" + otherCluster.issuerUrl() + "'");
    }

    @Test
    void issuerWithoutTrailingSlashIs700211() {
        String withoutSlash = cluster.issuerUrl().substring(0, cluster.issuerUrl().length() - 1);
        this.volume.write(cluster.token(NAMESPACE, SERVICE_ACCOUNT).issuer(withoutSlash).mint());

        assertRejected(credential(CLIENT), 401, "invalid_client", 700211);
    }

    @Test
    void assertionForAnotherServiceAccountIs700213() {
        this.volume.write(cluster.mint(NAMESPACE, "payments"));

        MsalServiceException failure = assertRejected(credential(CLIENT), 401, "invalid_client", 700213);
        assertThat(failure.getMessage()).contains("assertion subject 'system:serviceaccount:shop:payments'");
    }

    @Test
    void subjectMatchingIsCaseSensitive() {
        this.volume.write(cluster.mint("Shop", SERVICE_ACCOUNT));

        assertRejected(credential(CLIENT), 401, "invalid_client", 700213);
    }

    @Test
    void assertionWithAnotherAudienceIs700212() {
        this.volume.write(cluster.token(NAMESPACE, SERVICE_ACCOUNT).audience("https://kubernetes.default.svc").mint());

        MsalServiceException failure = assertRejected(credential(CLIENT), 401, "invalid_client", 700212);
        assertThat(failure.getMessage()).contains("assertion audience 'https://kubernetes.default.svc'");
    }

    @Test
    void assertionLivingLongerThanADayIs70023() {
        this.volume.write(cluster.token(NAMESPACE, SERVICE_ACCOUNT).lifetime(Duration.ofDays(365)).mint());

        MsalServiceException failure = assertRejected(credential(CLIENT), 400, "invalid_request", 70023);
        assertThat(failure.getMessage()).contains("exceeds the maximum allowed (24 hours)");
    }

    @Test
    void forcedAnswerReplacesTheChecksUntilStopped() {
        this.volume.write(cluster.mint(NAMESPACE, SERVICE_ACCOUNT));
        entra.failTokenRequests(401, "invalid_client", 7000215, "Invalid client secret provided.");
        try {
            MsalServiceException failure = assertRejected(credential(CLIENT), 401, "invalid_client", 7000215);
            assertThat(failure.getMessage()).startsWith("AADSTS7000215: Invalid client secret provided.");
        }
        finally {
            entra.stopFailingTokenRequests();
        }
        assertThat(credential(CLIENT).getTokenSync(new TokenRequestContext().addScopes(VAULT_SCOPE)).getToken())
            .isNotBlank();
    }

    @Test
    void forcedAnswerCanCarryRetryAfter() {
        this.volume.write(cluster.mint(NAMESPACE, SERVICE_ACCOUNT));
        entra.failTokenRequests(429, "temporarily_unavailable", 50196, "Too many requests.", Duration.ofSeconds(1));
        try {
            MsalServiceException failure = assertRejected(credential(CLIENT), 429, "temporarily_unavailable", 50196);
            // The JDK's server capitalizes header names its own way; HTTP header names are case-insensitive.
            assertThat(failure.headers()).anySatisfy((name, values) -> {
                assertThat(name).isEqualToIgnoringCase("Retry-After");
                assertThat(values).containsExactly("1");
            });
        }
        finally {
            entra.stopFailingTokenRequests();
        }
    }

    @Test
    void answerDelayHoldsEachAnswerAndCountsTheRequestsWaiting() throws Exception {
        this.volume.write(cluster.mint(NAMESPACE, SERVICE_ACCOUNT));
        WorkloadIdentityCredential credential = credential(CLIENT);
        entra.answerDelay(Duration.ofMillis(500));
        try {
            long started = System.nanoTime();
            CompletableFuture<AccessToken> token = CompletableFuture
                .supplyAsync(() -> credential.getTokenSync(new TokenRequestContext().addScopes(VAULT_SCOPE)));
            await().atMost(Duration.ofSeconds(10)).until(() -> entra.pendingTokenRequests() == 1);
            assertThat(token.get(10, TimeUnit.SECONDS).getToken()).isNotBlank();
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isGreaterThanOrEqualTo(Duration.ofMillis(500));
            assertThat(entra.pendingTokenRequests()).isZero();
        }
        finally {
            entra.answerDelay(Duration.ZERO);
        }
        assertThat(entra.tokenRequests()).extracting(TokenRequest::outcome).containsExactly("success");
    }

    @Test
    void applicationWithoutFederatedCredentialsIs70021() {
        String clientId = UUID.randomUUID().toString();
        entra.registerApplication(clientId);
        this.volume.write(cluster.mint(NAMESPACE, SERVICE_ACCOUNT));

        MsalServiceException failure = assertRejected(credential(clientId), 400, "invalid_request", 70021);
        assertThat(failure.getMessage()).contains(
                "No matching federated identity record found for presented assertion. Assertion Issuer: '"
                        + cluster.issuerUrl() + "'. Assertion Subject: 'system:serviceaccount:shop:orders'."
                        + " Assertion Audience: 'api://AzureADTokenExchange'.");
    }

    @Test
    void errorBodyHasEntrasShape() throws Exception {
        String requestId = UUID.randomUUID().toString();
        String form = "client_id=" + CLIENT + "&grant_type=client_credentials&scope=openid+profile+offline_access+"
                + "https%3A%2F%2Fvault.azure.net%2F.default&client_assertion_type="
                + "urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion="
                + cluster.token(NAMESPACE, SERVICE_ACCOUNT).expired().mint();

        HttpResponse<String> response = post(entra.tokenEndpoint(), form, requestId);

        assertThat(response.statusCode()).isEqualTo(401);
        assertThat(response.headers().firstValue("client-request-id")).hasValue(requestId);
        Map<String, Object> body = Json.parseObject(response.body());
        assertThat(body).containsOnlyKeys("error", "error_description", "error_codes", "timestamp", "trace_id",
                "correlation_id", "error_uri");
        assertThat(body).containsEntry("error", "invalid_client")
            .containsEntry("error_codes", List.of(700024))
            .containsEntry("correlation_id", requestId)
            .containsEntry("error_uri", "https://login.microsoftonline.com/error?code=700024");
        String traceId = (String) body.get("trace_id");
        assertThat(UUID.fromString(traceId)).isNotNull();
        assertThat((String) body.get("timestamp")).matches("\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2}Z");
        assertThat((String) body.get("error_description")).startsWith("AADSTS700024: ")
            .endsWith("\r\nTrace ID: " + traceId + "\r\nCorrelation ID: " + requestId + "\r\nTimestamp: "
                    + body.get("timestamp"))
            .doesNotContain(form.substring(form.indexOf("client_assertion=") + 17));
    }

    @Test
    void correlationIdIsFreshWithoutAClientRequestId() throws Exception {
        HttpResponse<String> first = post(entra.authorityHost() + "unknown-tenant/oauth2/v2.0/token", "", null);
        HttpResponse<String> second = post(entra.authorityHost() + "unknown-tenant/oauth2/v2.0/token", "", null);

        assertThat(first.statusCode()).isEqualTo(400);
        String firstId = (String) Json.parseObject(first.body()).get("correlation_id");
        String secondId = (String) Json.parseObject(second.body()).get("correlation_id");
        assertThat(UUID.fromString(firstId)).isNotEqualTo(UUID.fromString(secondId));
        assertThat(Json.parseObject(first.body())).containsEntry("error_codes", List.of(90002));
    }

    @Test
    void clientCredentialsScopeMustEndWithDefault() throws Exception {
        String form = "client_id=" + CLIENT + "&grant_type=client_credentials&scope=https%3A%2F%2Fvault.azure.net%2Fsecrets.read"
                + "&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer"
                + "&client_assertion=" + cluster.mint(NAMESPACE, SERVICE_ACCOUNT);

        HttpResponse<String> response = post(entra.tokenEndpoint(), form, null);

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(Json.parseObject(response.body())).containsEntry("error", "invalid_scope")
            .containsEntry("error_codes", List.of(1002012));
    }

    @Test
    void otherPathsAreNotFound() throws Exception {
        HttpResponse<String> response = post(entra.authorityHost() + TENANT + "/oauth2/token", "", null);

        assertThat(response.statusCode()).isEqualTo(404);
        assertThat(entra.tokenRequests()).isEmpty();
    }

    @Test
    void failuresAreRecordedWithTheirCode() {
        this.volume.write(cluster.token(NAMESPACE, SERVICE_ACCOUNT).audience("wrong").mint());

        catchThrowable(() -> credential(CLIENT).getTokenSync(new TokenRequestContext().addScopes(VAULT_SCOPE)));

        assertThat(entra.tokenRequests()).singleElement().satisfies((request) -> {
            assertThat(request.succeeded()).isFalse();
            assertThat(request.errorCode()).isEqualTo(700212);
            assertThat(request.outcome()).isEqualTo("AADSTS700212");
            assertThat(request.status()).isEqualTo(401);
            assertThat(request.resource()).isEqualTo("https://vault.azure.net");
        });
    }

    private WorkloadIdentityCredential credential(String clientId) {
        return TestClients.workloadIdentity(entra, TENANT, clientId, this.volume.tokenFile());
    }

    private MsalServiceException assertRejected(WorkloadIdentityCredential credential, int status, String error,
            int code) {
        MsalServiceException failure = msalFailure(
                () -> credential.getTokenSync(new TokenRequestContext().addScopes(VAULT_SCOPE)));
        assertThat(failure.statusCode()).isEqualTo(status);
        assertThat(failure.errorCode()).isEqualTo(error);
        assertThat(failure.getMessage()).startsWith("AADSTS" + code + ":").contains("Trace ID: ");
        assertThat(failure.correlationId()).isNotBlank();
        assertThat(entra.tokenRequests()).last().extracting(TokenRequest::errorCode).isEqualTo(code);
        return failure;
    }

    private static MsalServiceException msalFailure(Runnable call) {
        Throwable failure = catchThrowable(call::run);
        assertThat(failure).as("token request should have failed").isNotNull();
        return TestClients.msalFailure(failure);
    }

    private static String jti(String token) throws InvalidTokenException {
        return Jwt.decode(token).claims().string("jti");
    }

    private static HttpResponse<String> post(String url, String form, String clientRequestId) throws Exception {
        HttpClient client = HttpClient.newBuilder().sslContext(FakeAzureTls.jvmDefault().clientContext()).build();
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .POST(HttpRequest.BodyPublishers.ofString(form));
        if (clientRequestId != null) {
            request.header("client-request-id", clientRequestId);
        }
        return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

}
