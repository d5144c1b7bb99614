package dev.workloadidentity.spring.autoconfigure;

import java.io.IOException;
import java.nio.file.Path;

import com.azure.core.credential.TokenCredential;
import com.azure.core.credential.TokenRequestContext;
import com.azure.identity.WorkloadIdentityCredential;
import dev.workloadidentity.spring.autoconfigure.NamedIdentities.NamedIdentity;
import dev.workloadidentity.spring.credential.SharedTokenCredential;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

/** Identities of workload-identity.identities become credential beans of their names, beside the pod's. */
class NamedIdentitiesTests {

    private static final String BLOB_WRITER = "00000000-0000-0000-0000-0000000000b1";

    private static final String OTHER_TENANT = "00000000-0000-0000-0000-0000000000e2";

    @TempDir
    Path directory;

    private ApplicationContextRunner runner;

    @BeforeEach
    void onAksPod() throws IOException {
        this.runner = AksPod.runner(this.directory);
    }

    @Test
    void eachIdentityIsACredentialBeanOfItsNameWithItsOwnCache() {
        this.runner.withPropertyValues("workload-identity.identities.blob-writer.client-id=" + BLOB_WRITER)
            .run((context) -> {
                SharedTokenCredential blobWriter = context.getBean("blob-writer", SharedTokenCredential.class);
                assertThat(blobWriter).isNotSameAs(context.getBean(SharedTokenCredential.class));
                assertThat(blobWriter.getDelegate()).isInstanceOf(WorkloadIdentityCredential.class)
                    .isNotSameAs(context.getBean(WorkloadIdentityCredential.class));
                NamedIdentity identity = identity(context, "blob-writer");
                assertThat(identity.credential()).isSameAs(blobWriter);
                assertThat(identity.settings().clientId()).isEqualTo(BLOB_WRITER);
            });
    }

    @Test
    void identitiesShareThePodsTokenFileAuthorityAndByDefaultItsTenant() {
        this.runner.withPropertyValues("workload-identity.identities.blob-writer.client-id=" + BLOB_WRITER)
            .run((context) -> {
                WorkloadIdentitySettings pod = context.getBean(WorkloadIdentitySettings.class);
                WorkloadIdentitySettings named = identity(context, "blob-writer").settings();
                assertThat(named.tenantId()).isEqualTo(AksPod.TENANT_ID);
                assertThat(named.tokenFile()).isEqualTo(pod.tokenFile());
                assertThat(named.authorityHost()).isEqualTo(pod.authorityHost());
            });
    }

    @Test
    void identityCanLiveInAnotherTenant() {
        this.runner.withPropertyValues("workload-identity.identities.blob-writer.client-id=" + BLOB_WRITER,
                "workload-identity.identities.blob-writer.tenant-id=" + OTHER_TENANT)
            .run((context) -> assertThat(identity(context, "blob-writer").settings().tenantId())
                .isEqualTo(OTHER_TENANT));
    }

    @Test
    void thePodsIdentityStaysWhatTokenCredentialInjectionGets() {
        this.runner
            .withPropertyValues("workload-identity.identities.blob-writer.client-id=" + BLOB_WRITER,
                    "workload-identity.identities.reports.client-id=00000000-0000-0000-0000-0000000000b2")
            .run((context) -> {
                assertThat(context.getBean(TokenCredential.class)).isSameAs(
                        context.getBean(WorkloadIdentityAutoConfiguration.SPRING_CLOUD_AZURE_DEFAULT_CREDENTIAL));
                assertThat(context.getBean(WorkloadIdentityAutoConfiguration.SPRING_CLOUD_AZURE_DEFAULT_CREDENTIAL,
                        SharedTokenCredential.class).getDelegate())
                    .isSameAs(context.getBean(WorkloadIdentityCredential.class));
                assertThat(context.getBeansOfType(SharedTokenCredential.class)).containsOnlyKeys(
                        WorkloadIdentityAutoConfiguration.SPRING_CLOUD_AZURE_DEFAULT_CREDENTIAL, "blob-writer",
                        "reports");
            });
    }

    @Test
    void noIdentitiesNoBeans() {
        this.runner.run((context) -> {
            assertThat(context.getBeansOfType(SharedTokenCredential.class)).hasSize(1);
            assertThat(context.getBean(NamedIdentities.class).all()).isEmpty();
        });
    }

    @Test
    void identityWithoutClientIdFailsStartupNamingTheProperty() {
        this.runner.withPropertyValues("workload-identity.identities.blob-writer.tenant-id=" + OTHER_TENANT)
            .run((context) -> assertThat(analysis(context).getDescription())
                .isEqualTo("The identity workload-identity.identities.blob-writer has no client-id."));
    }

    @Test
    void clientIdThatIsNotAGuidFailsStartupNamingTheProperty() {
        this.runner.withPropertyValues("workload-identity.identities.blob-writer.client-id=blob-writer-identity")
            .run((context) -> assertThat(analysis(context).getDescription()).isEqualTo(
                    "The client ID workload-identity.identities.blob-writer.client-id=blob-writer-identity is not a GUID."));
    }

    @Test
    void clientIdLeftAsAnUnresolvedPlaceholderFailsStartupNamingTheVariable() {
        // As when the Deployment does not set the variable application.yml refers to.
        this.runner.withPropertyValues("workload-identity.identities.blob-writer.client-id=${BLOB_WRITER_CLIENT_ID}")
            .run((context) -> {
                FailureAnalysis analysis = analysis(context);
                assertThat(analysis.getDescription()).isEqualTo("workload-identity.identities.blob-writer.client-id="
                        + "${BLOB_WRITER_CLIENT_ID} is an unresolved placeholder: nothing sets BLOB_WRITER_CLIENT_ID.");
                assertThat(analysis.getAction()).startsWith("Set BLOB_WRITER_CLIENT_ID")
                    .endsWith("[placeholder-unresolved]");
            });
    }

    @Test
    void tenantIdThatIsNotAGuidFailsStartupNamingTheProperty() {
        this.runner.withPropertyValues("workload-identity.identities.blob-writer.client-id=" + BLOB_WRITER,
                "workload-identity.identities.blob-writer.tenant-id=contoso.onmicrosoft.com")
            .run((context) -> assertThat(analysis(context).getDescription()).contains(
                    "workload-identity.identities.blob-writer.tenant-id=contoso.onmicrosoft.com is not a GUID"));
    }

    @Test
    void nameOfAnExistingBeanFailsStartupInsteadOfReplacingIt() {
        this.runner.withBean("reports", String.class, () -> "not a credential")
            .withPropertyValues("workload-identity.identities.reports.client-id=" + BLOB_WRITER)
            .run((context) -> {
                FailureAnalysis analysis = analysis(context);
                assertThat(analysis.getDescription()).startsWith("The identity workload-identity.identities.reports "
                        + "would be the bean 'reports', but the application already has a bean of that name");
                assertThat(analysis.getAction()).contains("Rename the identity").endsWith("[identity-name-taken]");
            });
    }

    @Test
    void defaultIsReservedForThePodsOwnIdentity() {
        this.runner.withPropertyValues("workload-identity.identities.default.client-id=" + BLOB_WRITER)
            .run((context) -> assertThat(analysis(context).getDescription())
                .contains("'default' is the health component of the pod's own identity"));
    }

    @Test
    void closingTheContextClosesEveryIdentity() {
        SharedTokenCredential[] blobWriter = new SharedTokenCredential[1];
        this.runner.withPropertyValues("workload-identity.identities.blob-writer.client-id=" + BLOB_WRITER)
            .run((context) -> blobWriter[0] = context.getBean("blob-writer", SharedTokenCredential.class));
        assertThatIllegalStateException()
            .isThrownBy(() -> blobWriter[0].getTokenSync(new TokenRequestContext().addScopes("https://vault.azure.net/.default")))
            .withMessageContaining("closed");
    }

    private static NamedIdentity identity(AssertableApplicationContext context, String name) {
        assertThat(context).hasNotFailed();
        return context.getBean(NamedIdentities.class).all().get(name);
    }

    private static FailureAnalysis analysis(AssertableApplicationContext context) {
        assertThat(context).hasFailed();
        FailureAnalysis analysis = new WorkloadIdentityFailureAnalyzer().analyze(context.getStartupFailure());
        assertThat(analysis).as("failure analysis of %s", context.getStartupFailure()).isNotNull();
        return analysis;
    }

}
