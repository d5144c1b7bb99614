package dev.workloadidentity.spring.sample;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;

import com.jayway.jsonpath.JsonPath;
import dev.workloadidentity.spring.testsupport.FakeAzure;
import dev.workloadidentity.spring.testsupport.FakeAzureExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The sample as a pod would run it: the webhook's variables, and Spring Cloud Azure pointed at a fake Azure
 * that checks every token. Calls go over HTTP to the app and over HTTPS/AMQPS from the app to the fakes.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class SampleApplicationIT {

    @RegisterExtension
    static final FakeAzureExtension azure = new FakeAzureExtension(FakeAzure.builder()
        .serviceAccount("workload-identity-sample", "workload-identity-sample")
        .keyVault()
        .blobStorage()
        .serviceBus());

    private final HttpClient http = HttpClient.newHttpClient();

    @Value("${local.server.port}")
    int port;

    @DynamicPropertySource
    static void pointAtFakeAzure(DynamicPropertyRegistry registry) {
        azure.get().webhookEnvironment().forEach((key, value) -> registry.add(key, () -> value));
        azure.get().springProperties().forEach((key, value) -> registry.add(key, () -> value));
        azure.get().keyVault().setSecret("greeting", "hello from the fake Key Vault");
    }

    @Test
    void everyServiceAcceptsTheWorkloadIdentity() throws Exception {
        String body = get("/service-calls");
        List<Map<String, Object>> calls = JsonPath.read(body, "$[*]");
        assertThat(calls).extracting((call) -> call.get("service"))
            .containsExactly("keyvault", "blob", "servicebus");
        assertThat(calls).allSatisfy((call) -> assertThat(call.get("ok")).as("%s", call).isEqualTo(true));
        assertThat(body).contains("hello from the fake Key Vault");
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
