package dev.workloadidentity.spring.autoconfigure;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.atomic.AtomicReference;

import com.azure.core.credential.AccessToken;
import com.azure.core.credential.TokenCredential;
import com.azure.identity.WorkloadIdentityCredential;
import com.azure.identity.WorkloadIdentityCredentialBuilder;
import dev.workloadidentity.spring.credential.SharedTokenCredential;
import dev.workloadidentity.spring.testsupport.kubernetes.ServiceAccountTokenIssuer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Mono;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.logging.ConditionEvaluationReportLoggingListener;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.logging.LogLevel;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;

import static org.assertj.core.api.Assertions.assertThat;

@ExtendWith(OutputCaptureExtension.class)
class WorkloadIdentityAutoConfigurationTests {

    private static final String CLIENT_ID = "00000000-0000-0000-0000-00000000c11e";

    private static final String TENANT_ID = "00000000-0000-0000-0000-0000000007e1";

    @TempDir
    Path directory;

    private Path tokenFile;

    private ApplicationContextRunner runner = new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(WorkloadIdentityAutoConfiguration.class));

    @BeforeEach
    void writeTokenFile() throws IOException {
        this.tokenFile = TokenFiles.write(this.directory.resolve("azure-identity-token"));
    }

    private ApplicationContextRunner onAksPod() {
        return this.runner.withPropertyValues("AZURE_FEDERATED_TOKEN_FILE=" + this.tokenFile,
                "AZURE_CLIENT_ID=" + CLIENT_ID, "AZURE_TENANT_ID=" + TENANT_ID,
                "AZURE_AUTHORITY_HOST=https://login.microsoftonline.com/");
    }

    @Test
    void staysSilentWithoutFederatedTokenFile(CapturedOutput output) {
        this.runner.withPropertyValues("AZURE_CLIENT_ID=" + CLIENT_ID, "AZURE_TENANT_ID=" + TENANT_ID)
            .run((context) -> {
                assertThat(context).hasNotFailed();
                assertThat(context).doesNotHaveBean(TokenCredential.class);
                assertThat(context).doesNotHaveBean(WorkloadIdentitySettings.class);
            });
        assertThat(output).doesNotContain("WARN");
    }

    @Test
    void registersOneWorkloadIdentityCredentialOnAksPod() {
        onAksPod().run((context) -> {
            assertThat(context).hasSingleBean(WorkloadIdentityCredential.class);
            assertThat(context.getBeansOfType(TokenCredential.class)).containsOnlyKeys("workloadIdentityCredential",
                    "springCloudAzureDefaultCredential");
            SharedTokenCredential shared = context.getBean("springCloudAzureDefaultCredential",
                    SharedTokenCredential.class);
            assertThat(context.getBean(TokenCredential.class)).isSameAs(shared);
            assertThat(shared.getDelegate()).isSameAs(context.getBean("workloadIdentityCredential"));
        });
    }

    @Test
    void readsWebhookVariables() {
        onAksPod().run((context) -> {
            WorkloadIdentitySettings settings = context.getBean(WorkloadIdentitySettings.class);
            assertThat(settings.clientId()).isEqualTo(CLIENT_ID);
            assertThat(settings.tenantId()).isEqualTo(TENANT_ID);
            assertThat(settings.tokenFile()).isEqualTo(this.tokenFile);
            assertThat(settings.authorityHost()).isEqualTo("https://login.microsoftonline.com/");
            assertThat(settings.instanceDiscovery()).isTrue();
        });
    }

    @Test
    void propertiesOverrideWebhookVariables() throws IOException {
        Path otherFile = TokenFiles.write(this.directory.resolve("other-token"));
        onAksPod()
            .withPropertyValues("workload-identity.client-id=11111111-1111-1111-1111-111111111111",
                    "workload-identity.tenant-id=22222222-2222-2222-2222-222222222222",
                    "workload-identity.token-file=" + otherFile,
                    "workload-identity.authority-host=https://login.microsoftonline.us/",
                    "workload-identity.instance-discovery=false")
            .run((context) -> {
                WorkloadIdentitySettings settings = context.getBean(WorkloadIdentitySettings.class);
                assertThat(settings.clientId()).isEqualTo("11111111-1111-1111-1111-111111111111");
                assertThat(settings.tenantId()).isEqualTo("22222222-2222-2222-2222-222222222222");
                assertThat(settings.tokenFile()).isEqualTo(otherFile);
                assertThat(settings.authorityHost()).isEqualTo("https://login.microsoftonline.us/");
                assertThat(settings.instanceDiscovery()).isFalse();
                assertThat(settings.resourceManagerScope()).isEqualTo("https://management.usgovcloudapi.net/.default");
            });
    }

    @Test
    void tokenFilePropertyAloneActivates() {
        this.runner
            .withPropertyValues("workload-identity.token-file=" + this.tokenFile,
                    "workload-identity.client-id=" + CLIENT_ID, "workload-identity.tenant-id=" + TENANT_ID)
            .run((context) -> assertThat(context).hasSingleBean(WorkloadIdentityCredential.class));
    }

    @Test
    void authorityHostFallsBackToSpringCloudAzureCloudType() {
        this.runner
            .withPropertyValues("AZURE_FEDERATED_TOKEN_FILE=" + this.tokenFile, "AZURE_CLIENT_ID=" + CLIENT_ID,
                    "AZURE_TENANT_ID=" + TENANT_ID, "spring.cloud.azure.profile.cloud-type=azure_china")
            .run((context) -> {
                WorkloadIdentitySettings settings = context.getBean(WorkloadIdentitySettings.class);
                assertThat(settings.authorityHost()).isEqualTo("https://login.chinacloudapi.cn/");
                assertThat(settings.resourceManagerScope()).isEqualTo("https://management.chinacloudapi.cn/.default");
            });
    }

    @Test
    void authorityHostFallsBackToSpringCloudAzureActiveDirectoryEndpoint() {
        this.runner
            .withPropertyValues("AZURE_FEDERATED_TOKEN_FILE=" + this.tokenFile, "AZURE_CLIENT_ID=" + CLIENT_ID,
                    "AZURE_TENANT_ID=" + TENANT_ID,
                    "spring.cloud.azure.profile.environment.active-directory-endpoint=https://login.microsoftonline.us/")
            .run((context) -> assertThat(context.getBean(WorkloadIdentitySettings.class).authorityHost())
                .isEqualTo("https://login.microsoftonline.us/"));
    }

    @Test
    void authorityHostDefaultsToPublicCloud() {
        this.runner
            .withPropertyValues("AZURE_FEDERATED_TOKEN_FILE=" + this.tokenFile, "AZURE_CLIENT_ID=" + CLIENT_ID,
                    "AZURE_TENANT_ID=" + TENANT_ID)
            .run((context) -> {
                WorkloadIdentitySettings settings = context.getBean(WorkloadIdentitySettings.class);
                assertThat(settings.authorityHost()).isEqualTo("https://login.microsoftonline.com/");
                assertThat(settings.resourceManagerScope()).isEqualTo("https://management.azure.com/.default");
            });
    }

    @Test
    void backsOffWhenDisabled() {
        onAksPod().withPropertyValues("workload-identity.enabled=false")
            .run((context) -> assertThat(context).hasNotFailed().doesNotHaveBean(TokenCredential.class));
    }

    @Test
    void msalThreadsOfTheCredentialAreShutDownWhenTheContextCloses() {
        AtomicReference<ExecutorService> msalThreads = new AtomicReference<>();
        onAksPod().run((context) -> {
            assertThat(context).hasSingleBean(MsalThreads.class);
            msalThreads.set(context.getBean(MsalThreads.class).executor());
            assertThat(msalThreads.get().isShutdown()).isFalse();
        });
        assertThat(msalThreads.get().isShutdown()).isTrue();
    }

    @Test
    void noMsalThreadsWhenUserDefinesAWorkloadIdentityCredential() {
        onAksPod().withUserConfiguration(UserWorkloadIdentityCredentialConfiguration.class)
            .run((context) -> assertThat(context).doesNotHaveBean(MsalThreads.class));
    }

    @Test
    void credentialBacksOffWhenUserDefinesAWorkloadIdentityCredential() {
        onAksPod().withUserConfiguration(UserWorkloadIdentityCredentialConfiguration.class).run((context) -> {
            assertThat(context).hasSingleBean(WorkloadIdentityCredential.class).doesNotHaveBean("workloadIdentityCredential");
            SharedTokenCredential shared = context.getBean(SharedTokenCredential.class);
            assertThat(context.getBean(TokenCredential.class)).isSameAs(shared);
            assertThat(shared.getDelegate()).isSameAs(context.getBean("myCredential"));
        });
    }

    @Test
    void credentialStaysWhenUserDefinesAnotherCredentialForOneClient() {
        onAksPod().withUserConfiguration(UserCredentialConfiguration.class).run((context) -> {
            assertThat(context).hasSingleBean(WorkloadIdentityCredential.class);
            assertThat(context.getBeansOfType(TokenCredential.class)).containsOnlyKeys("myCredential",
                    "workloadIdentityCredential", "springCloudAzureDefaultCredential");
            assertThat(context.getBean(TokenCredential.class)).isSameAs(context.getBean(SharedTokenCredential.class));
        });
    }

    @Test
    void credentialBacksOffWhenUserDefinesSpringCloudAzureDefaultCredential() {
        onAksPod().withUserConfiguration(UserDefaultCredentialConfiguration.class).run((context) -> {
            assertThat(context).doesNotHaveBean(WorkloadIdentityCredential.class);
            assertThat(context.getBean("springCloudAzureDefaultCredential")).isInstanceOf(StaticCredential.class);
        });
    }

    @Test
    void customizersRunInOrderOnTheBuilderBeforeItBuilds() {
        List<String> calls = new ArrayList<>();
        onAksPod()
            .withBean("second", WorkloadIdentityCredentialBuilderCustomizer.class,
                    () -> new OrderedCustomizer(2, (builder) -> calls.add("second")))
            .withBean("first", WorkloadIdentityCredentialBuilderCustomizer.class,
                    () -> new OrderedCustomizer(1, (builder) -> calls.add("first")))
            .run((context) -> {
                assertThat(context).hasSingleBean(WorkloadIdentityCredential.class);
                assertThat(calls).containsExactly("first", "second");
            });
    }

    @Test
    void customizerFailureSurfacesAtStartup() {
        onAksPod()
            .withBean(WorkloadIdentityCredentialBuilderCustomizer.class,
                    () -> (builder) -> builder.authorityHost("http://not-https.example"))
            .run((context) -> assertThat(context).hasFailed()
                .getFailure()
                .rootCause()
                .hasMessageContaining("https"));
    }

    @Test
    void conditionReportSaysWhatWasFound(CapturedOutput output) {
        onAksPod().withInitializer(ConditionEvaluationReportLoggingListener.forLogLevel(LogLevel.INFO))
            .run((context) -> assertThat(context).hasNotFailed());
        assertThat(output).contains("@ConditionalOnWorkloadIdentity found federated token file AZURE_FEDERATED_TOKEN_FILE="
                + this.tokenFile);
    }

    @Test
    void conditionReportSaysWhatWasMissing(CapturedOutput output) {
        this.runner.withInitializer(ConditionEvaluationReportLoggingListener.forLogLevel(LogLevel.INFO))
            .run((context) -> assertThat(context).hasNotFailed());
        assertThat(output).contains(
                "@ConditionalOnWorkloadIdentity did not find federated token file AZURE_FEDERATED_TOKEN_FILE, workload-identity.token-file");
    }

    @Test
    void missingClientIdFailsStartupNamingTheVariable() {
        this.runner.withPropertyValues("AZURE_FEDERATED_TOKEN_FILE=" + this.tokenFile, "AZURE_TENANT_ID=" + TENANT_ID)
            .run((context) -> assertThat(analyze(context)).satisfies((analysis) -> {
                assertThat(analysis.getDescription()).contains("no client ID")
                    .contains("AZURE_CLIENT_ID")
                    .contains("workload-identity.client-id");
                assertThat(analysis.getAction()).contains("azure.workload.identity/client-id");
            }));
    }

    @Test
    void missingTenantIdFailsStartupNamingTheVariable() {
        this.runner.withPropertyValues("AZURE_FEDERATED_TOKEN_FILE=" + this.tokenFile, "AZURE_CLIENT_ID=" + CLIENT_ID)
            .run((context) -> assertThat(analyze(context).getDescription()).contains("no tenant ID")
                .contains("AZURE_TENANT_ID")
                .contains("workload-identity.tenant-id"));
    }

    @Test
    void missingTokenFileFailsStartupNamingThePath() {
        Path missing = this.directory.resolve("nowhere/azure-identity-token");
        onAksPod().withPropertyValues("AZURE_FEDERATED_TOKEN_FILE=" + missing)
            .run((context) -> assertThat(analyze(context)).satisfies((analysis) -> {
                assertThat(analysis.getDescription())
                    .isEqualTo("The federated token file AZURE_FEDERATED_TOKEN_FILE=" + missing + " does not exist.");
                assertThat(analysis.getAction()).contains("azure.workload.identity/use");
            }));
    }

    @Test
    void directoryAsTokenFileFailsStartup() {
        onAksPod().withPropertyValues("workload-identity.token-file=" + this.directory)
            .run((context) -> assertThat(analyze(context).getDescription())
                .isEqualTo("The federated token file workload-identity.token-file=" + this.directory
                        + " is a directory."));
    }

    @Test
    void emptyTokenFileFailsStartup() throws IOException {
        Files.writeString(this.tokenFile, "  \n");
        onAksPod().run((context) -> assertThat(analyze(context)).satisfies((analysis) -> {
            assertThat(analysis.getDescription()).isEqualTo("The federated token file AZURE_FEDERATED_TOKEN_FILE="
                    + this.tokenFile + " is empty.");
            assertThat(analysis.getAction()).endsWith("[token-file-empty]");
        }));
    }

    @Test
    void tokenFileWithoutJwtFailsStartupWithoutRepeatingItsContent() throws IOException {
        Files.writeString(this.tokenFile, "client-secret-pasted-here");
        onAksPod().run((context) -> {
            FailureAnalysis analysis = analyze(context);
            assertThat(analysis.getDescription()).isEqualTo("The federated token file AZURE_FEDERATED_TOKEN_FILE="
                    + this.tokenFile + " does not hold a JWT.");
            assertThat(analysis.getDescription() + analysis.getAction() + context.getStartupFailure())
                .doesNotContain("client-secret-pasted-here");
        });
    }

    @Test
    void clientIdThatIsNotAGuidFailsStartup() {
        onAksPod().withPropertyValues("workload-identity.client-id=my-managed-identity")
            .run((context) -> assertThat(analyze(context)).satisfies((analysis) -> {
                assertThat(analysis.getDescription())
                    .isEqualTo("The client ID workload-identity.client-id=my-managed-identity is not a GUID.");
                assertThat(analysis.getAction()).contains("az identity show --query clientId");
            }));
    }

    @Test
    void tenantIdThatIsNotAGuidFailsStartup() {
        onAksPod().withPropertyValues("AZURE_TENANT_ID=contoso.onmicrosoft.com")
            .run((context) -> assertThat(analyze(context).getDescription())
                .isEqualTo("The tenant ID AZURE_TENANT_ID=contoso.onmicrosoft.com is not a GUID."));
    }

    @Test
    void expiredTokenOnlyWarnsAtStartup(CapturedOutput output) throws IOException {
        Files.writeString(this.tokenFile, ServiceAccountTokenIssuer.forTenant(TENANT_ID)
            .token("default", "workload")
            .expired()
            .mint());
        onAksPod().run((context) -> assertThat(context).hasNotFailed().hasSingleBean(WorkloadIdentityCredential.class));
        assertThat(output).contains("WARN")
            .contains("Workload identity: The federated token in " + this.tokenFile + " expired at")
            .contains("[token-expired]");
    }

    @Test
    void defaultServiceAccountTokenOnlyWarnsAtStartup(CapturedOutput output) throws IOException {
        Files.writeString(this.tokenFile, ServiceAccountTokenIssuer.forTenant(TENANT_ID)
            .token("default", "workload")
            .audience("https://kubernetes.default.svc.cluster.local")
            .mint());
        onAksPod().run((context) -> assertThat(context).hasNotFailed());
        assertThat(output).contains("The federated token's audience is https://kubernetes.default.svc.cluster.local, "
                + "not api://AzureADTokenExchange");
    }

    @Test
    void httpAuthorityHostFailsStartupWithClearMessage() {
        onAksPod().withPropertyValues("AZURE_AUTHORITY_HOST=http://login.microsoftonline.com/")
            .run((context) -> assertThat(analyze(context)).satisfies((analysis) -> {
                assertThat(analysis.getDescription()).contains("AZURE_AUTHORITY_HOST=http://login.microsoftonline.com/")
                    .contains("not an https URL");
                assertThat(analysis.getAction()).contains("https://login.microsoftonline.com/");
            }));
    }

    @Test
    void noTokenRequestAtStartup() {
        // The token file holds no JWT and the authority cannot be reached: startup must not care.
        onAksPod().withPropertyValues("AZURE_AUTHORITY_HOST=https://127.0.0.1:9/")
            .run((context) -> assertThat(context).hasNotFailed().hasSingleBean(WorkloadIdentityCredential.class));
    }

    @Test
    void httpAuthorityRefusedByAzureIdentityWhileSpringCloudAzureLoadsIsReportedAsSuch() {
        // What Spring Cloud Azure's client factories throw when their class initializer reads AZURE_AUTHORITY_HOST;
        // reproducing it for real would break that class for the rest of this JVM.
        Throwable failure = new IllegalStateException("Error creating bean 'secretClientBuilderFactory'",
                new ExceptionInInitializerError(new IllegalArgumentException(
                        WorkloadIdentityFailureAnalyzer.AZURE_IDENTITY_HTTPS_ONLY + ".")));
        System.setProperty("AZURE_AUTHORITY_HOST", "http://login.example/");
        try {
            FailureAnalysis analysis = new WorkloadIdentityFailureAnalyzer().analyze(failure);
            assertThat(analysis).isNotNull();
            assertThat(analysis.getDescription()).isEqualTo("The Entra authority host "
                    + "AZURE_AUTHORITY_HOST=http://login.example/ is not an https URL. Entra ID and the Azure "
                    + "Identity library accept only https authorities.");
            assertThat(analysis.getAction()).endsWith("[authority-host-not-https]");
        }
        finally {
            System.clearProperty("AZURE_AUTHORITY_HOST");
        }
    }

    @Test
    void otherFailuresAreLeftToOtherAnalyzers() {
        assertThat(new WorkloadIdentityFailureAnalyzer().analyze(new IllegalArgumentException("unrelated")))
            .isNull();
    }

    private static FailureAnalysis analyze(AssertableApplicationContext context) {
        assertThat(context).hasFailed();
        FailureAnalysis analysis = new WorkloadIdentityFailureAnalyzer().analyze(context.getStartupFailure());
        assertThat(analysis).as("failure analysis of %s", context.getStartupFailure()).isNotNull();
        return analysis;
    }

    @Configuration(proxyBeanMethods = false)
    static class UserCredentialConfiguration {

        @Bean
        TokenCredential myCredential() {
            return new StaticCredential();
        }

    }

    @Configuration(proxyBeanMethods = false)
    static class UserWorkloadIdentityCredentialConfiguration {

        @Bean
        WorkloadIdentityCredential myCredential() {
            return new WorkloadIdentityCredentialBuilder().clientId(CLIENT_ID)
                .tenantId(TENANT_ID)
                .tokenFilePath("/var/run/secrets/azure/tokens/azure-identity-token")
                .build();
        }

    }

    @Configuration(proxyBeanMethods = false)
    static class UserDefaultCredentialConfiguration {

        @Bean
        TokenCredential springCloudAzureDefaultCredential() {
            return new StaticCredential();
        }

    }

    record OrderedCustomizer(int order, WorkloadIdentityCredentialBuilderCustomizer delegate)
            implements WorkloadIdentityCredentialBuilderCustomizer, Ordered {

        @Override
        public void customize(WorkloadIdentityCredentialBuilder builder) {
            this.delegate.customize(builder);
        }

        @Override
        public int getOrder() {
            return this.order;
        }

    }

    static class StaticCredential implements TokenCredential {

        @Override
        public Mono<AccessToken> getToken(com.azure.core.credential.TokenRequestContext request) {
            return Mono.empty();
        }

    }

}
