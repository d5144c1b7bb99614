package dev.workloadidentity.spring.sample;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.jayway.jsonpath.JsonPath;
import dev.workloadidentity.spring.testsupport.FakeAzure;
import dev.workloadidentity.spring.testsupport.FakeAzureExtension;
import dev.workloadidentity.spring.testsupport.storage.StorageGateway.BlobRequest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.ActiveProfiles;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

/**
 * The sample with the {@code two-identities} profile, against a fake Azure whose roles are assigned as that
 * profile expects: Key Vault and Service Bus to the pod's identity only, Blob storage to {@code blob-writer} only,
 * so each call succeeds only if its client signed in as the identity the profile gives it.
 * <p>
 * As in {@link SampleApplicationIT}, the webhook's variables, the fakes' properties and
 * {@code BLOB_WRITER_CLIENT_ID} are system properties while the class runs (the bootstrap phase finds workload
 * identity only there or in the process environment), and are restored afterwards. The class has a fake Azure of
 * its own (role assignments cannot be taken back) and closes its application context when it ends.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@ActiveProfiles("two-identities")
@DirtiesContext
class TwoIdentitiesSampleIT {

    private static final String BLOB_WRITER = "blob-writer";

    @RegisterExtension
    static final FakeAzureExtension azure = new FakeAzureExtension(FakeAzure.builder()
        .serviceAccount("workload-identity-sample", "workload-identity-sample")
        .identity(BLOB_WRITER)
        .keyVault()
        .blobStorage()
        .serviceBus());

    private static final String GREETING = "hello from the fake Key Vault, to the pod's identity";

    private static final PodSystemProperties podSystemProperties = new PodSystemProperties();

    private final HttpClient http = HttpClient.newHttpClient();

    @Value("${local.server.port}")
    int port;

    @BeforeAll
    static void podEnvironmentAndRoles() {
        FakeAzure fake = azure.get();
        fake.keyVault().assignRole(fake.clientId());
        fake.serviceBus().assignRole(fake.clientId());
        fake.blobStorage().assignRole(fake.clientId(BLOB_WRITER));
        Map<String, String> properties = new LinkedHashMap<>(fake.webhookEnvironment());
        properties.putAll(fake.springProperties());
        // What the profile's ${BLOB_WRITER_CLIENT_ID} reads; on AKS, the Deployment's env.
        properties.put("BLOB_WRITER_CLIENT_ID", fake.clientId(BLOB_WRITER));
        podSystemProperties.set(properties);
        fake.keyVault().setSecret("greeting", GREETING);
    }

    @AfterAll
    static void restoreSystemProperties() {
        podSystemProperties.restore();
    }

    @Test
    void eachServiceSeesTheIdentityItsClientNames() throws Exception {
        String body = get(this.port, "/service-calls");
        List<Map<String, Object>> calls = JsonPath.read(body, "$[*]");
        assertThat(calls).extracting((call) -> call.get("service"))
            .containsExactly("keyvault", "blob", "servicebus");
        assertThat(calls).allSatisfy((call) -> assertThat(call.get("ok")).as("%s", call).isEqualTo(true));
        assertThat(body).contains(GREETING);
        String pod = azure.get().clientId();
        String blobWriter = azure.get().clientId(BLOB_WRITER);
        assertThat(pod).isNotEqualTo(blobWriter);
        // Served Blob requests (the other test's app gets 403s as the pod's identity).
        assertThat(azure.get().blobStorage().requests()).filteredOn((request) -> request.status() < 400)
            .isNotEmpty()
            .allSatisfy((request) -> {
                assertThat(request.hadToken()).as("%s", request).isTrue();
                assertThat(request.clientId()).as("%s", request).isEqualTo(blobWriter);
            });
        assertThat(azure.get().keyVault().requests()).filteredOn((request) -> request.hadToken())
            .isNotEmpty()
            .allSatisfy((request) -> assertThat(request.clientId()).as("%s", request).isEqualTo(pod));
        assertThat(azure.get().serviceBus().putTokenRequests()).isNotEmpty()
            .allSatisfy((request) -> assertThat(request.clientId()).as("%s", request).isEqualTo(pod));
        assertThat(azure.get().entra().tokenRequests()).anySatisfy((request) -> {
            assertThat(request.resource()).isEqualTo("https://storage.azure.com");
            assertThat(request.clientId()).isEqualTo(blobWriter);
            assertThat(request.succeeded()).isTrue();
        });
    }

    @Test
    void healthShowsBothIdentitiesUp() throws Exception {
        String body = get(this.port, "/actuator/health/workloadIdentity");
        assertThat((String) JsonPath.read(body, "$.status")).isEqualTo("UP");
        assertThat((String) JsonPath.read(body, "$.components.default.status")).isEqualTo("UP");
        assertThat((String) JsonPath.read(body, "$.components.default.details.clientId"))
            .isEqualTo(azure.get().clientId());
        assertThat((String) JsonPath.read(body, "$.components['blob-writer'].status")).isEqualTo("UP");
        assertThat((String) JsonPath.read(body, "$.components['blob-writer'].details.clientId"))
            .isEqualTo(azure.get().clientId(BLOB_WRITER));
        assertThat(body).doesNotContainPattern("eyJ[A-Za-z0-9_-]+\\.eyJ");
        String blobWriter = get(this.port, "/actuator/health/workloadIdentity/blob-writer");
        assertThat((String) JsonPath.read(blobWriter, "$.status")).isEqualTo("UP");
        String readiness = get(this.port, "/actuator/health/readiness");
        assertThat((String) JsonPath.read(readiness, "$.status")).isEqualTo("UP");
    }

    /** The roles matter: the same fake Azure refuses the sample's default profile, whose Blob client is the pod's. */
    @Test
    void withoutTheProfileBlobStorageRefusesThePodsIdentity() throws Exception {
        try (ConfigurableApplicationContext app = new SpringApplicationBuilder(SampleApplication.class)
            .run("--server.port=0", "--server.address=127.0.0.1")) {
            assertThat(app.getEnvironment().getActiveProfiles()).isEmpty();
            int appPort = app.getEnvironment().getRequiredProperty("local.server.port", Integer.class);
            List<Map<String, Object>> calls = JsonPath.read(get(appPort, "/service-calls"), "$[*]");
            assertThat(calls).extracting((call) -> call.get("service"), (call) -> call.get("ok"))
                .containsExactly(tuple("keyvault", true), tuple("blob", false), tuple("servicebus", true));
            assertThat((String) calls.get(1).get("detail")).contains("403", "AuthorizationPermissionMismatch");
        }
        List<BlobRequest> refused = azure.get()
            .blobStorage()
            .requests()
            .stream()
            .filter((request) -> request.status() == 403)
            .toList();
        assertThat(refused).isNotEmpty()
            .allSatisfy((request) -> assertThat(request.clientId()).isEqualTo(azure.get().clientId()));
    }

    private String get(int port, String path) throws IOException, InterruptedException {
        HttpResponse<String> response = this.http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as("GET %s: %s", path, response.body()).isEqualTo(200);
        return response.body();
    }

}
