package dev.workloadidentity.spring.autoconfigure.health;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import com.azure.core.credential.TokenCredential;

import dev.workloadidentity.spring.autoconfigure.TokenFiles;
import dev.workloadidentity.spring.autoconfigure.WorkloadIdentityAutoConfiguration;
import dev.workloadidentity.spring.autoconfigure.WorkloadIdentityCredentialBuilderCustomizer;
import dev.workloadidentity.spring.health.WorkloadIdentityHealthIndicator;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Mono;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.actuate.endpoint.ApiVersion;
import org.springframework.boot.actuate.endpoint.SecurityContext;
import org.springframework.boot.actuate.endpoint.web.WebEndpointResponse;
import org.springframework.boot.actuate.endpoint.web.WebServerNamespace;
import org.springframework.boot.health.actuate.endpoint.CompositeHealthDescriptor;
import org.springframework.boot.health.actuate.endpoint.HealthDescriptor;
import org.springframework.boot.health.actuate.endpoint.HealthEndpointWebExtension;
import org.springframework.boot.health.actuate.endpoint.IndicatedHealthDescriptor;
import org.springframework.boot.health.actuate.endpoint.SystemHealthDescriptor;
import org.springframework.boot.health.autoconfigure.actuate.endpoint.HealthEndpointAutoConfiguration;
import org.springframework.boot.health.autoconfigure.contributor.HealthContributorAutoConfiguration;
import org.springframework.boot.health.autoconfigure.registry.HealthContributorRegistryAutoConfiguration;
import org.springframework.boot.health.contributor.CompositeHealthContributor;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.health.registry.HealthContributorRegistry;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.AbstractApplicationContextRunner;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ApplicationContext;

import static org.assertj.core.api.Assertions.assertThat;

@ExtendWith(OutputCaptureExtension.class)
class WorkloadIdentityHealthContributorAutoConfigurationTests {

    private static final String POD_CLIENT_ID = "00000000-0000-0000-0000-00000000c11e";

    private static final String BLOB_WRITER = "00000000-0000-0000-0000-0000000000b1";

    @TempDir
    Path directory;

    private ApplicationContextRunner runner;

    private WebApplicationContextRunner webRunner;

    @BeforeEach
    void onAksPod() throws IOException {
        Path tokenFile = TokenFiles.write(this.directory.resolve("azure-identity-token"));
        this.runner = onAksPod(new ApplicationContextRunner(), tokenFile);
        this.webRunner = onAksPod(new WebApplicationContextRunner(), tokenFile)
            .withConfiguration(AutoConfigurations.of(HealthEndpointAutoConfiguration.class));
    }

    private static <R extends AbstractApplicationContextRunner<R, ?, ?>> R onAksPod(R runner, Path tokenFile) {
        return runner
            .withConfiguration(AutoConfigurations.of(WorkloadIdentityAutoConfiguration.class,
                    WorkloadIdentityHealthContributorAutoConfiguration.class, HealthContributorAutoConfiguration.class,
                    HealthContributorRegistryAutoConfiguration.class))
            .withPropertyValues("AZURE_FEDERATED_TOKEN_FILE=" + tokenFile, "AZURE_CLIENT_ID=00000000-0000-0000-0000-00000000c11e",
                    "AZURE_TENANT_ID=00000000-0000-0000-0000-0000000007e1",
                    "workload-identity.health.timeout=100ms")
            // These tests look at the indicator's wiring; its token requests must never leave the machine.
            .withBean(WorkloadIdentityCredentialBuilderCustomizer.class, () -> (builder) -> builder
                .httpClient((request) -> Mono.error(new IOException("no network in this test"))));
    }

    @Test
    void registersContributorNamedWorkloadIdentity() {
        this.runner.run((context) -> {
            assertThat(context).hasSingleBean(WorkloadIdentityHealthIndicator.class);
            assertThat(context.getBean(HealthContributorRegistry.class).getContributor("workloadIdentity"))
                .isSameAs(context.getBean(WorkloadIdentityHealthIndicator.class));
        });
    }

    @Test
    void detailsAreShownOnlyAsShowDetailsSays() {
        this.webRunner.withPropertyValues("management.endpoint.health.show-details=never").run((context) -> {
            // As for any contributor: without details, not even the component is shown.
            assertThat(overHttp(context, "workloadIdentity").getStatus()).isEqualTo(404);
            assertThat(((SystemHealthDescriptor) overHttp(context).getBody()).getComponents()).isNull();
        });
        this.webRunner.withPropertyValues("management.endpoint.health.show-details=always").run((context) -> {
            IndicatedHealthDescriptor health = (IndicatedHealthDescriptor) overHttp(context, "workloadIdentity")
                .getBody();
            assertThat(health.getDetails()).containsEntry("clientId", "00000000-0000-0000-0000-00000000c11e")
                .containsKeys("reason", "action", "code");
            assertThat(health.getDetails().toString()).doesNotContainPattern("eyJ[A-Za-z0-9_-]{10,}\\.eyJ");
        });
    }

    @Test
    void namedIdentitiesAreComponentsBesideThePodsOwn() {
        this.webRunner.withPropertyValues("management.endpoint.health.show-details=always",
                "workload-identity.identities.blob-writer.client-id=" + BLOB_WRITER)
            .run((context) -> {
                CompositeHealthDescriptor health = (CompositeHealthDescriptor) overHttp(context, "workloadIdentity")
                    .getBody();
                assertThat(health.getComponents()).containsOnlyKeys("default", "blob-writer");
                // The test's customizer keeps every identity off the network, so both are down, each on its own.
                assertThat(health.getStatus()).isEqualTo(Status.DOWN);
                assertThat(details(context, "default")).containsEntry("clientId", POD_CLIENT_ID);
                assertThat(details(context, "blob-writer")).containsEntry("clientId", BLOB_WRITER)
                    .containsEntry("tenantId", "00000000-0000-0000-0000-0000000007e1")
                    .containsKeys("reason", "action", "code");
            });
    }

    @Test
    void withTheUsersOwnDefaultCredentialOnlyNamedIdentitiesAreChecked() {
        this.runner.withBean(WorkloadIdentityAutoConfiguration.SPRING_CLOUD_AZURE_DEFAULT_CREDENTIAL,
                TokenCredential.class, () -> (request) -> Mono.empty())
            .withPropertyValues("workload-identity.identities.blob-writer.client-id=" + BLOB_WRITER)
            .run((context) -> assertThat(context.getBean(HealthContributorRegistry.class)
                .getContributor("workloadIdentity")).isInstanceOfSatisfying(CompositeHealthContributor.class,
                        (composite) -> assertThat(composite.stream().map((entry) -> entry.name()))
                            .containsExactly("blob-writer")));
    }

    @Test
    void aGroupNamingAComponentThereIsNotIsReported(CapturedOutput output) {
        this.runner.withPropertyValues("management.endpoint.health.group.readiness.include=readinessState,"
                + "workloadIdentity/default")
            .run((context) -> assertThat(context).hasNotFailed());
        assertThat(output).contains("Health group 'readiness' includes workloadIdentity/default, but workloadIdentity "
                + "has no such component (its components: none)")
            .contains("[health-group-member-missing]");
    }

    @Test
    void aGroupNamingAnIdentityThereIsIsNotReported(CapturedOutput output) {
        this.runner.withPropertyValues("workload-identity.identities.blob-writer.client-id=" + BLOB_WRITER,
                "management.endpoint.health.group.readiness.include=readinessState,workloadIdentity/default")
            .run((context) -> assertThat(context).hasNotFailed());
        assertThat(output).doesNotContain("health-group-member-missing");
    }

    private static Map<String, Object> details(ApplicationContext context, String identity) {
        return ((IndicatedHealthDescriptor) overHttp(context, "workloadIdentity", identity).getBody()).getDetails();
    }

    private static WebEndpointResponse<HealthDescriptor> overHttp(ApplicationContext context, String... path) {
        return context.getBean(HealthEndpointWebExtension.class)
            .health(ApiVersion.LATEST, WebServerNamespace.SERVER, SecurityContext.NONE, path);
    }

    @Test
    void switchedOffByManagementHealthProperty() {
        this.runner.withPropertyValues("management.health.workload-identity.enabled=false")
            .run((context) -> assertThat(context).doesNotHaveBean(WorkloadIdentityHealthIndicator.class));
    }

    @Test
    void absentWithoutWorkloadIdentity() {
        new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(WorkloadIdentityAutoConfiguration.class,
                    WorkloadIdentityHealthContributorAutoConfiguration.class))
            .run((context) -> assertThat(context).doesNotHaveBean(WorkloadIdentityHealthIndicator.class));
    }

    @Test
    void absentWithoutSpringBootHealth() {
        this.runner.withClassLoader(new FilteredClassLoader(HealthIndicator.class))
            .run((context) -> assertThat(context).hasNotFailed()
                .doesNotHaveBean(WorkloadIdentityHealthIndicator.class));
    }

    @Test
    void reportsIdentityAndDefaultScopeOfTheCloud() {
        this.runner
            .withPropertyValues("AZURE_AUTHORITY_HOST=https://login.chinacloudapi.cn/")
            .run((context) -> {
                var details = context.getBean(WorkloadIdentityHealthIndicator.class).health().getDetails();
                assertThat(details).containsEntry("clientId", "00000000-0000-0000-0000-00000000c11e")
                    .containsEntry("tenantId", "00000000-0000-0000-0000-0000000007e1")
                    .containsEntry("authorityHost", "https://login.chinacloudapi.cn/")
                    .containsEntry("scope", "https://management.chinacloudapi.cn/.default")
                    .containsKey("tokenFile");
            });
    }

    @Test
    void scopeAndTimeoutAreConfigurable() {
        this.runner
            .withPropertyValues("workload-identity.health.scope=https://vault.azure.net/.default")
            .run((context) -> assertThat(context.getBean(WorkloadIdentityHealthIndicator.class).health().getDetails())
                .containsEntry("scope", "https://vault.azure.net/.default"));
    }

}
