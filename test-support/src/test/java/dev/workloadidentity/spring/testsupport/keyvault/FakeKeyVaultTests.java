package dev.workloadidentity.spring.testsupport.keyvault;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import com.azure.core.credential.TokenCredential;
import com.azure.core.exception.HttpResponseException;
import com.azure.core.exception.ResourceNotFoundException;
import com.azure.core.http.policy.FixedDelayOptions;
import com.azure.core.http.policy.RetryOptions;
import com.azure.security.keyvault.secrets.SecretClient;
import com.azure.security.keyvault.secrets.SecretClientBuilder;
import com.azure.security.keyvault.secrets.models.KeyVaultSecret;
import com.azure.security.keyvault.secrets.models.SecretProperties;
import dev.workloadidentity.spring.testsupport.FakeAzure;
import dev.workloadidentity.spring.testsupport.FakeAzureExtension;
import dev.workloadidentity.spring.testsupport.TestClients;
import dev.workloadidentity.spring.testsupport.entra.FakeEntra;
import dev.workloadidentity.spring.testsupport.entra.TokenRequest;
import dev.workloadidentity.spring.testsupport.json.Json;
import dev.workloadidentity.spring.testsupport.keyvault.FakeKeyVault.VaultRequest;
import dev.workloadidentity.spring.testsupport.tls.FakeAzureTls;
import dev.workloadidentity.spring.testsupport.token.Jwt;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.tuple;

/** The fake Key Vault driven by the real {@code SecretClient}, authenticated by workload identity. */
class FakeKeyVaultTests {

    private static final String TENANT = UUID.randomUUID().toString();

    private static final String CLIENT = UUID.randomUUID().toString();

    @RegisterExtension
    static final FakeAzureExtension azure = new FakeAzureExtension(
            FakeAzure.builder().tenantId(TENANT).clientId(CLIENT).serviceAccount("shop", "orders").keyVault());

    private static FakeEntra entra;

    private static FakeKeyVault vault;

    private static TokenCredential workloadIdentity;

    @BeforeAll
    static void clients(FakeAzure running) {
        entra = running.entra();
        vault = running.keyVault();
        workloadIdentity = TestClients.workloadIdentity(entra, TENANT, CLIENT, running.tokenFile());
    }

    @Test
    void setsAndGetsSecretsWithAWorkloadIdentityToken() {
        SecretClient client = client(workloadIdentity);

        KeyVaultSecret set = client.setSecret("db-password", "s3cret");
        KeyVaultSecret got = client.getSecret("db-password");

        assertThat(got.getValue()).isEqualTo("s3cret");
        assertThat(got.getProperties().getVersion()).isEqualTo(set.getProperties().getVersion()).hasSize(32);
        assertThat(got.getId()).isEqualTo(vault.vaultUrl() + "/secrets/db-password/" + set.getProperties().getVersion());
        assertThat(got.getProperties().isEnabled()).isTrue();
        assertThat(vault.secret("db-password")).isEqualTo("s3cret");
        assertThat(entra.tokenRequests()).extracting(TokenRequest::resource).contains("https://vault.azure.net");
    }

    @Test
    void firstRequestIsChallengedThenRetriedWithAToken() {
        // A vault on a new port: SecretClient caches challenges per host and port for the whole JVM.
        try (FakeKeyVault fresh = FakeKeyVault.start(TENANT, entra.accessTokenValidator(FakeKeyVault.RESOURCE))) {
            fresh.setSecret("challenge", "value");
            SecretClient client = new SecretClientBuilder().vaultUrl(fresh.vaultUrl())
                .credential(workloadIdentity)
                .disableChallengeResourceVerification()
                .buildClient();

            assertThat(client.getSecret("challenge").getValue()).isEqualTo("value");

            assertThat(fresh.requests()).extracting(FakeKeyVault.VaultRequest::status, FakeKeyVault.VaultRequest::hadToken)
                .containsExactly(tuple(401, false), tuple(200, true));
        }
    }

    @Test
    void readsSeededSecretsAndVersions() {
        vault.setSecret("api-key", "v1").setSecret("api-key", "v2");
        SecretClient client = client(workloadIdentity);

        KeyVaultSecret latest = client.getSecret("api-key");
        assertThat(latest.getValue()).isEqualTo("v2");
        assertThat(vault.secret("api-key")).isEqualTo("v2");
    }

    @Test
    void listsEachSecretOnceWithAnIdWithoutVersion() {
        vault.setSecret("listed-a", "1").setSecret("listed-a", "2").setSecret("listed-b", "3");
        SecretClient client = client(workloadIdentity);

        List<SecretProperties> listed = client.listPropertiesOfSecrets()
            .stream()
            .filter((secret) -> secret.getName().startsWith("listed-"))
            .toList();

        assertThat(listed).extracting(SecretProperties::getName).containsExactly("listed-a", "listed-b");
        assertThat(listed).allSatisfy((secret) -> {
            assertThat(secret.isEnabled()).isTrue();
            assertThat(secret.getVersion()).isNull();
        });
        assertThat(client.getSecret("listed-a", listed.get(0).getVersion()).getValue()).isEqualTo("2");
    }

    @Test
    void missingSecretIsSecretNotFound() {
        SecretClient client = client(workloadIdentity);

        assertThatExceptionOfType(ResourceNotFoundException.class).isThrownBy(() -> client.getSecret("missing"))
            .satisfies((ex) -> assertThat(ex.getResponse().getStatusCode()).isEqualTo(404))
            .withMessageContaining("SecretNotFound");
    }

    @Test
    void tokenForAnotherResourceIsRejectedWith401() {
        SecretClient client = client(TestClients.fixedToken(entra.issueAccessToken(CLIENT, "https://storage.azure.com")));

        assertThatExceptionOfType(HttpResponseException.class).isThrownBy(() -> client.getSecret("anything"))
            .satisfies((ex) -> assertThat(ex.getResponse().getStatusCode()).isEqualTo(401));
    }

    @Test
    void tokenSignedByAnotherKeyIsRejectedWith401() {
        String forged = Jwt.sign(entra.accessTokenClaims(CLIENT, FakeKeyVault.RESOURCE),
                Jwt.generateKeyPair().getPrivate());
        SecretClient client = client(TestClients.fixedToken(forged));

        assertThatExceptionOfType(HttpResponseException.class).isThrownBy(() -> client.setSecret("x", "y"))
            .satisfies((ex) -> assertThat(ex.getResponse().getStatusCode()).isEqualTo(401));
        assertThat(vault.secret("x")).isNull();
    }

    @Test
    void challengeIsKeyVaultsOwn() throws Exception {
        HttpResponse<String> response = send(HttpRequest.newBuilder(uri("/secrets/anything/?api-version=2025-07-01")));

        assertThat(response.statusCode()).isEqualTo(401);
        assertThat(response.headers().firstValue("WWW-Authenticate")).hasValue("Bearer authorization="
                + "\"https://login.microsoftonline.com/" + TENANT + "\", resource=\"https://vault.azure.net\"");
        assertThat(Json.parseObject(response.body())).containsKey("error");
    }

    @Test
    void rejectedTokenGetsInvalidTokenChallenge() throws Exception {
        String token = entra.issueAccessToken(CLIENT, "https://storage.azure.com");

        HttpResponse<String> response = send(HttpRequest.newBuilder(uri("/secrets/anything/?api-version=2025-07-01"))
            .header("Authorization", "Bearer " + token));

        assertThat(response.statusCode()).isEqualTo(401);
        assertThat(response.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(
                (challenge) -> assertThat(challenge).contains("resource=\"https://vault.azure.net\"")
                    .endsWith(", error=\"invalid_token\""));
        assertThat(response.body()).doesNotContain(token).contains("audience");
    }

    @Test
    void getWithTrailingSlashAndVersionedGetAnswerTheSecretBundle() throws Exception {
        vault.setSecret("bundle", "value");
        String token = "Bearer " + entra.issueAccessToken(CLIENT, FakeKeyVault.RESOURCE);

        HttpResponse<String> latest = send(HttpRequest.newBuilder(uri("/secrets/bundle/?api-version=2025-07-01"))
            .header("Authorization", token));
        Map<String, Object> body = Json.parseObject(latest.body());
        String id = (String) body.get("id");
        String version = id.substring(id.lastIndexOf('/') + 1);
        HttpResponse<String> versioned = send(
                HttpRequest.newBuilder(uri("/secrets/bundle/" + version + "?api-version=2025-07-01"))
                    .header("Authorization", token));
        HttpResponse<String> unknownVersion = send(
                HttpRequest.newBuilder(uri("/secrets/bundle/0123456789abcdef0123456789abcdef?api-version=2025-07-01"))
                    .header("Authorization", token));
        HttpResponse<String> noApiVersion = send(HttpRequest.newBuilder(uri("/secrets/bundle/"))
            .header("Authorization", token));

        assertThat(latest.statusCode()).isEqualTo(200);
        assertThat(body).containsEntry("value", "value").containsKeys("id", "attributes");
        assertThat(id).startsWith("https://127.0.0.1:" + vault.port() + "/secrets/bundle/");
        @SuppressWarnings("unchecked")
        Map<String, Object> attributes = (Map<String, Object>) body.get("attributes");
        assertThat(attributes).containsEntry("enabled", true)
            .containsEntry("recoveryLevel", "Recoverable+Purgeable")
            .containsEntry("recoverableDays", 90)
            .containsKeys("created", "updated");
        assertThat(versioned.statusCode()).isEqualTo(200);
        assertThat(Json.parseObject(versioned.body())).containsEntry("id", id);
        assertThat(unknownVersion.statusCode()).isEqualTo(404);
        assertThat(Json.parseObject(unknownVersion.body()).get("error")).isEqualTo(Map.of("code", "SecretNotFound",
                "message", ((Map<?, ?>) Json.parseObject(unknownVersion.body()).get("error")).get("message")));
        assertThat(noApiVersion.statusCode()).isEqualTo(400);
    }

    @Test
    void identityHoldingARoleIsServedAndRecordedWithItsClientId() {
        try (FakeKeyVault rbac = rbacVault().assignRole(CLIENT)) {
            rbac.setSecret("greeting", "hello");

            assertThat(client(rbac, workloadIdentity).getSecret("greeting").getValue()).isEqualTo("hello");

            assertThat(rbac.requests()).extracting(VaultRequest::status, VaultRequest::clientId)
                .containsExactly(tuple(401, null), tuple(200, CLIENT));
        }
    }

    @Test
    void validTokenOfAnIdentityWithoutARoleIsForbiddenByRbac() {
        try (FakeKeyVault rbac = rbacVault().assignRole(UUID.randomUUID().toString())) {
            rbac.setSecret("greeting", "hello");

            assertThatExceptionOfType(HttpResponseException.class)
                .isThrownBy(() -> client(rbac, workloadIdentity).getSecret("greeting"))
                .satisfies((ex) -> assertThat(ex.getResponse().getStatusCode()).isEqualTo(403))
                .withMessageContaining("ForbiddenByRbac")
                .withMessageContaining("Caller: appid=" + CLIENT + ";");

            assertThat(rbac.requests()).last()
                .satisfies((request) -> assertThat(request.status()).isEqualTo(403))
                .satisfies((request) -> assertThat(request.clientId()).isEqualTo(CLIENT));
        }
    }

    @Test
    void forbiddenBodyIsKeyVaultsRbacErrorWithoutTheToken() throws Exception {
        try (FakeKeyVault rbac = rbacVault().assignRole(UUID.randomUUID().toString())) {
            String token = entra.issueAccessToken(CLIENT, FakeKeyVault.RESOURCE);

            HttpResponse<String> response = send(HttpRequest.newBuilder(
                    URI.create(rbac.vaultUrl() + "/secrets/db-password?api-version=2025-07-01"))
                .PUT(HttpRequest.BodyPublishers.ofString("{\"value\":\"s3cret\"}"))
                .header("Content-Type", "application/json")
                .header("Authorization", "Bearer " + token));

            assertThat(response.statusCode()).isEqualTo(403);
            Map<?, ?> error = (Map<?, ?>) Json.parseObject(response.body()).get("error");
            assertThat(error.get("code")).isEqualTo("Forbidden");
            assertThat(error.get("innererror")).isEqualTo(Map.of("code", "ForbiddenByRbac"));
            assertThat((String) error.get("message"))
                .startsWith("Caller is not authorized to perform action on resource.\r\n")
                .contains("Caller: appid=" + CLIENT + ";oid=")
                .contains(";iss=https://sts.windows.net/" + TENANT + "/\r\n")
                .contains("Action: 'Microsoft.KeyVault/vaults/secrets/setSecret/action'")
                .contains("Assignment: (not found)");
            assertThat(response.body()).doesNotContain(token);
            assertThat(rbac.secret("db-password")).isNull();
        }
    }

    @Test
    void withNoRoleAssignedAValidTokenOfAnyIdentityIsServed() throws Exception {
        String stranger = UUID.randomUUID().toString();
        vault.setSecret("open", "to all");

        HttpResponse<String> response = send(HttpRequest.newBuilder(uri("/secrets/open?api-version=2025-07-01"))
            .header("Authorization", "Bearer " + entra.issueAccessToken(stranger, FakeKeyVault.RESOURCE)));

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(vault.requests()).last()
            .satisfies((request) -> assertThat(request.clientId()).isEqualTo(stranger));
    }

    @Test
    void forgedTokenOfARoleHolderIsStillRejectedWith401WithoutAClientId() throws Exception {
        try (FakeKeyVault rbac = rbacVault().assignRole(CLIENT)) {
            String forged = Jwt.sign(entra.accessTokenClaims(CLIENT, FakeKeyVault.RESOURCE),
                    Jwt.generateKeyPair().getPrivate());

            HttpResponse<String> response = send(HttpRequest.newBuilder(
                    URI.create(rbac.vaultUrl() + "/secrets/anything?api-version=2025-07-01"))
                .header("Authorization", "Bearer " + forged));

            assertThat(response.statusCode()).isEqualTo(401);
            assertThat(rbac.requests()).extracting(VaultRequest::status, VaultRequest::clientId)
                .containsExactly(tuple(401, null));
        }
    }

    /** A vault of its own: roles cannot be taken back, and SecretClient caches challenges per host and port. */
    private static FakeKeyVault rbacVault() {
        return FakeKeyVault.start(TENANT, entra.accessTokenValidator(FakeKeyVault.RESOURCE));
    }

    private static SecretClient client(FakeKeyVault target, TokenCredential credential) {
        return new SecretClientBuilder().vaultUrl(target.vaultUrl())
            .credential(credential)
            .disableChallengeResourceVerification()
            .retryOptions(new RetryOptions(new FixedDelayOptions(0, Duration.ofMillis(1))))
            .buildClient();
    }

    private static SecretClient client(TokenCredential credential) {
        return client(vault, credential);
    }

    private static URI uri(String pathAndQuery) {
        return URI.create(vault.vaultUrl() + pathAndQuery);
    }

    private static HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
        HttpClient client = HttpClient.newBuilder().sslContext(FakeAzureTls.jvmDefault().clientContext()).build();
        return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

}
