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
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.PropertySource;
import org.springframework.test.annotation.DirtiesContext;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The sample as a pod would run it: the webhook's variables, and Spring Cloud Azure pointed at a fake Azure
 * that checks every token. Calls go over HTTP to the app and over HTTPS/AMQPS from the app to the fakes.
 * <p>
 * The variables and the fakes' properties are system properties while the class runs: the Key Vault property
 * source loads before the test's dynamic properties exist, and the bootstrap phase finds workload identity only
 * in the process environment or system properties, as on a pod. The context is closed when the class ends, as its
 * fake Azure is, instead of staying cached against stopped fakes while {@link TwoIdentitiesSampleIT} runs.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@DirtiesContext
class SampleApplicationIT {

    @RegisterExtension
    static final FakeAzureExtension azure = new FakeAzureExtension(FakeAzure.builder()
        .serviceAccount("workload-identity-sample", "workload-identity-sample")
        .keyVault()
        .blobStorage()
        .serviceBus());

    private static final String GREETING = "hello from the fake Key Vault";

    private static final PodSystemProperties podSystemProperties = new PodSystemProperties();

    private final HttpClient http = HttpClient.newHttpClient();

    @Value("${local.server.port}")
    int port;

    @Autowired
    ConfigurableEnvironment environment;

    @BeforeAll
    static void podEnvironment() {
        Map<String, String> properties = new LinkedHashMap<>(azure.get().webhookEnvironment());
        properties.putAll(azure.get().springProperties());
        podSystemProperties.set(properties);
        azure.get().keyVault().setSecret("greeting", GREETING);
    }

    @AfterAll
    static void restoreSystemProperties() {
        podSystemProperties.restore();
    }

    @Test
    void greetingArrivesFromKeyVaultAtStartup() throws Exception {
        PropertySource<?> keyVault = this.environment.getPropertySources().get("key-vault");
        assertThat(keyVault).as("Key Vault property source 'key-vault'").isNotNull();
        assertThat(keyVault.getProperty("greeting")).isEqualTo(GREETING);
        assertThat(get("/greeting")).isEqualTo(GREETING);
        assertThat(azure.get().keyVault().requests()).anySatisfy((request) -> {
            assertThat(request.path()).startsWith("/secrets/greeting");
            assertThat(request.status()).isEqualTo(200);
        });
        assertThat(azure.get().entra().tokenRequests()).anySatisfy((request) -> {
            assertThat(request.resource()).isEqualTo("https://vault.azure.net");
            assertThat(request.succeeded()).isTrue();
            assertThat(request.clientId()).isEqualTo(azure.get().clientId());
        });
    }

    @Test
    void everyServiceAcceptsTheWorkloadIdentity() throws Exception {
        String body = get("/service-calls");
        List<Map<String, Object>> calls = JsonPath.read(body, "$[*]");
        assertThat(calls).extracting((call) -> call.get("service"))
            .containsExactly("keyvault", "blob", "servicebus");
        assertThat(calls).allSatisfy((call) -> assertThat(call.get("ok")).as("%s", call).isEqualTo(true));
        assertThat(body).contains(GREETING);
        assertThat(azure.get().entra().tokenRequests()).allSatisfy((request) -> {
            assertThat(request.succeeded()).isTrue();
            assertThat(request.clientId()).isEqualTo(azure.get().clientId());
        });
    }

    @Test
    void healthShowsTheWorkloadIdentityWithoutAnyToken() throws Exception {
        String body = get("/actuator/health");
        assertThat((String) JsonPath.read(body, "$.components.workloadIdentity.status")).isEqualTo("UP");
        assertThat((String) JsonPath.read(body, "$.components.workloadIdentity.details.clientId"))
            .isEqualTo(azure.get().clientId());
        assertThat((String) JsonPath.read(body, "$.components.workloadIdentity.details.accessTokenExpiresAt"))
            .isNotBlank();
        assertThat(body).doesNotContainPattern("eyJ[A-Za-z0-9_-]+\\.eyJ");
    }

    @Test
    void readinessIncludesTheWorkloadIdentity() throws Exception {
        String body = get("/actuator/health/readiness");
        assertThat((String) JsonPath.read(body, "$.status")).isEqualTo("UP");
        assertThat((String) JsonPath.read(body, "$.components.workloadIdentity.status")).isEqualTo("UP");
    }

    private String get(String path) throws IOException, InterruptedException {
        HttpResponse<String> response = this.http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + this.port + path)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as("GET %s: %s", path, response.body()).isEqualTo(200);
        return response.body();
    }

}
