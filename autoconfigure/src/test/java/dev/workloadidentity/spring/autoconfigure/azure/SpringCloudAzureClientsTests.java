package dev.workloadidentity.spring.autoconfigure.azure;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import com.azure.core.credential.AccessToken;
import com.azure.core.credential.TokenCredential;
import com.azure.core.credential.TokenRequestContext;
import com.azure.identity.ClientSecretCredential;
import com.azure.identity.DefaultAzureCredential;
import com.azure.identity.WorkloadIdentityCredential;
import com.azure.identity.WorkloadIdentityCredentialBuilder;
import com.azure.messaging.servicebus.ServiceBusClientBuilder;
import com.azure.security.keyvault.secrets.SecretClientBuilder;
import com.azure.spring.cloud.autoconfigure.implementation.context.AzureContextUtils;
import com.azure.spring.cloud.autoconfigure.implementation.context.AzureGlobalPropertiesAutoConfiguration;
import com.azure.spring.cloud.autoconfigure.implementation.context.AzureTokenCredentialAutoConfiguration;
import com.azure.spring.cloud.autoconfigure.implementation.keyvault.secrets.AzureKeyVaultSecretAutoConfiguration;
import com.azure.spring.cloud.autoconfigure.implementation.servicebus.AzureServiceBusAutoConfiguration;
import com.azure.spring.cloud.autoconfigure.implementation.storage.blob.AzureStorageBlobAutoConfiguration;
import com.azure.storage.blob.BlobServiceClientBuilder;
import dev.workloadidentity.spring.autoconfigure.TokenFiles;
import dev.workloadidentity.spring.autoconfigure.WorkloadIdentityAutoConfiguration;
import dev.workloadidentity.spring.credential.SharedTokenCredential;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Mono;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.task.TaskExecutionAutoConfiguration;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.test.util.ReflectionTestUtils;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The workload identity credential reaches Spring Cloud Azure's clients, and the user's explicit settings still win.
 * The builders are inspected directly; the end-to-end tests show the same against fake services.
 */
class SpringCloudAzureClientsTests {

    private static final String BLOB_WRITER = "00000000-0000-0000-0000-0000000000b1";

    private static final String CONNECTION_STRING = "DefaultEndpointsProtocol=https;AccountName=acct;"
            + "AccountKey=a2V5;EndpointSuffix=core.windows.net";

    @TempDir
    Path directory;

    private ApplicationContextRunner runner;

    @BeforeEach
    void onAksPod() throws IOException {
        Path tokenFile = TokenFiles.write(this.directory.resolve("azure-identity-token"));
        this.runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(WorkloadIdentityAutoConfiguration.class,
                    TaskExecutionAutoConfiguration.class, AzureGlobalPropertiesAutoConfiguration.class,
                    AzureTokenCredentialAutoConfiguration.class, AzureKeyVaultSecretAutoConfiguration.class,
                    AzureStorageBlobAutoConfiguration.class, AzureServiceBusAutoConfiguration.class))
            .withPropertyValues("AZURE_FEDERATED_TOKEN_FILE=" + tokenFile,
                    "AZURE_CLIENT_ID=00000000-0000-0000-0000-00000000c11e",
                    "AZURE_TENANT_ID=00000000-0000-0000-0000-0000000007e1",
                    // What Spring Cloud Azure's environment post-processor maps the webhook's variables to.
                    "spring.cloud.azure.credential.client-id=00000000-0000-0000-0000-00000000c11e",
                    "spring.cloud.azure.profile.tenant-id=00000000-0000-0000-0000-0000000007e1",
                    "spring.cloud.azure.keyvault.secret.endpoint=https://myvault.vault.azure.net/",
                    "spring.cloud.azure.storage.blob.endpoint=https://acct.blob.core.windows.net/",
                    "spring.cloud.azure.servicebus.namespace=my-namespace", "spring.cloud.azure.servicebus.entity-name=orders",
                    "spring.cloud.azure.servicebus.entity-type=queue");
    }

    @Test
    void springCloudAzureUsesWorkloadIdentityAsItsDefaultCredential() {
        this.runner.run((context) -> {
            assertThat(context).hasNotFailed();
            Object defaultCredential = context.getBean(AzureContextUtils.DEFAULT_TOKEN_CREDENTIAL_BEAN_NAME);
            assertThat(defaultCredential).isInstanceOf(SharedTokenCredential.class);
            assertThat(((SharedTokenCredential) defaultCredential).getDelegate())
                .isSameAs(context.getBean(WorkloadIdentityCredential.class));
            assertThat(context).doesNotHaveBean(DefaultAzureCredential.class);
        });
    }

    @Test
    void oneCredentialInstanceReachesKeyVaultBlobAndServiceBus() {
        this.runner.run((context) -> {
            SharedTokenCredential credential = context.getBean(SharedTokenCredential.class);
            assertThat(keyVaultCredential(context)).isSameAs(credential);
            assertThat(blobCredential(context)).isSameAs(credential);
            assertThat(serviceBusCredential(context)).isSameAs(credential);
        });
    }

    @Test
    void applicationCodeCanInjectTokenCredentialByType() {
        this.runner.run((context) -> assertThat(context.getBean(TokenCredential.class))
            .isSameAs(context.getBean(SharedTokenCredential.class)));
    }

    @Test
    void blobConnectionStringWins() {
        this.runner.withPropertyValues("spring.cloud.azure.storage.blob.connection-string=" + CONNECTION_STRING)
            .run((context) -> {
                BlobServiceClientBuilder builder = context.getBean(BlobServiceClientBuilder.class);
                assertThat(ReflectionTestUtils.getField(builder, "storageSharedKeyCredential")).isNotNull();
                assertThat(blobCredential(context)).isNull();
                assertThat(keyVaultCredential(context)).isSameAs(context.getBean(SharedTokenCredential.class));
            });
    }

    @Test
    void perServiceClientSecretWins() {
        this.runner
            .withPropertyValues("spring.cloud.azure.keyvault.secret.credential.client-secret=from-application-yml")
            .run((context) -> {
                assertThat(keyVaultCredential(context)).isInstanceOf(ClientSecretCredential.class);
                assertThat(blobCredential(context)).isSameAs(context.getBean(SharedTokenCredential.class));
            });
    }

    @Test
    void perServiceTokenCredentialBeanNameWins() {
        this.runner.withBean("keyVaultCredential", TokenCredential.class, StaticCredential::new)
            .withPropertyValues("spring.cloud.azure.keyvault.secret.credential.token-credential-bean-name=keyVaultCredential")
            .run((context) -> {
                assertThat(keyVaultCredential(context)).isSameAs(context.getBean("keyVaultCredential"));
                assertThat(blobCredential(context)).isSameAs(context.getBean(SharedTokenCredential.class));
                assertThat(serviceBusCredential(context)).isSameAs(context.getBean(SharedTokenCredential.class));
            });
    }

    @Test
    void globalTokenCredentialBeanNameWins() {
        this.runner.withBean("appCredential", TokenCredential.class, StaticCredential::new)
            .withPropertyValues("spring.cloud.azure.credential.token-credential-bean-name=appCredential")
            .run((context) -> {
                Object appCredential = context.getBean("appCredential");
                assertThat(keyVaultCredential(context)).isSameAs(appCredential);
                assertThat(blobCredential(context)).isSameAs(appCredential);
                assertThat(serviceBusCredential(context)).isSameAs(appCredential);
            });
    }

    @Test
    void namedIdentityReachesOnlyTheClientsThatNameIt() {
        this.runner.withPropertyValues("workload-identity.identities.blob-writer.client-id=" + BLOB_WRITER,
                "spring.cloud.azure.storage.blob.credential.token-credential-bean-name=blob-writer")
            .run((context) -> {
                SharedTokenCredential blobWriter = context.getBean("blob-writer", SharedTokenCredential.class);
                SharedTokenCredential pod = context.getBean(SharedTokenCredential.class);
                assertThat(blobWriter).isNotSameAs(pod);
                assertThat(blobCredential(context)).isSameAs(blobWriter);
                assertThat(keyVaultCredential(context)).isSameAs(pod);
                assertThat(serviceBusCredential(context)).isSameAs(pod);
                assertThat(context.getBean(TokenCredential.class)).isSameAs(pod);
            });
    }

    @Test
    void eachServiceCanNameItsOwnIdentity() {
        this.runner.withPropertyValues("workload-identity.identities.blob-writer.client-id=" + BLOB_WRITER,
                "workload-identity.identities.orders-sender.client-id=00000000-0000-0000-0000-0000000000b2",
                "spring.cloud.azure.storage.blob.credential.token-credential-bean-name=blob-writer",
                "spring.cloud.azure.servicebus.credential.token-credential-bean-name=orders-sender")
            .run((context) -> {
                assertThat(blobCredential(context)).isSameAs(context.getBean("blob-writer"));
                assertThat(serviceBusCredential(context)).isSameAs(context.getBean("orders-sender"));
                assertThat(keyVaultCredential(context)).isSameAs(context.getBean(SharedTokenCredential.class));
            });
    }

    @Test
    void managedIdentityIsNeverPickedWithoutBeingAskedFor() {
        // The webhook's client ID lands in spring.cloud.azure.credential.client-id; alone it must not select a
        // managed identity (node identity) or a DefaultAzureCredential chain.
        this.runner.run((context) -> assertThat(context.getBeansOfType(TokenCredential.class).values())
            .allSatisfy((credential) -> assertThat(credential).isInstanceOfAny(WorkloadIdentityCredential.class,
                    SharedTokenCredential.class)));
    }

    @Test
    void usersOwnWorkloadIdentityCredentialGetsTheSharedCacheInFront() {
        WorkloadIdentityCredential own = new WorkloadIdentityCredentialBuilder()
            .clientId("00000000-0000-0000-0000-0000000000aa")
            .tenantId("00000000-0000-0000-0000-0000000007e1")
            .tokenFilePath(this.directory.resolve("azure-identity-token").toString())
            .build();
        this.runner.withBean("myCredential", WorkloadIdentityCredential.class, () -> own).run((context) -> {
            assertThat(context).hasSingleBean(WorkloadIdentityCredential.class);
            SharedTokenCredential shared = context.getBean(SharedTokenCredential.class);
            assertThat(shared.getDelegate()).isSameAs(own);
            assertThat(keyVaultCredential(context)).isSameAs(shared);
            assertThat(blobCredential(context)).isSameAs(shared);
            assertThat(serviceBusCredential(context)).isSameAs(shared);
        });
    }

    @Test
    void usersOwnDefaultCredentialReachesEveryClient() {
        this.runner.withBean(WorkloadIdentityAutoConfiguration.SPRING_CLOUD_AZURE_DEFAULT_CREDENTIAL,
                TokenCredential.class, StaticCredential::new)
            .run((context) -> {
                Object own = context.getBean(WorkloadIdentityAutoConfiguration.SPRING_CLOUD_AZURE_DEFAULT_CREDENTIAL);
                assertThat(own).isInstanceOf(StaticCredential.class);
                assertThat(keyVaultCredential(context)).isSameAs(own);
                assertThat(blobCredential(context)).isSameAs(own);
                assertThat(serviceBusCredential(context)).isSameAs(own);
            });
    }

    @Test
    void worksWithoutSpringCloudAzure() {
        new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(WorkloadIdentityAutoConfiguration.class))
            .withClassLoader(new FilteredClassLoader("com.azure.spring"))
            .withPropertyValues("AZURE_FEDERATED_TOKEN_FILE=" + this.directory.resolve("azure-identity-token"),
                    "AZURE_CLIENT_ID=00000000-0000-0000-0000-00000000c11e",
                    "AZURE_TENANT_ID=00000000-0000-0000-0000-0000000007e1")
            .run((context) -> assertThat(context).hasSingleBean(WorkloadIdentityCredential.class));
    }

    private static Object keyVaultCredential(AssertableApplicationContext context) {
        return ReflectionTestUtils.getField(context.getBean(SecretClientBuilder.class), "credential");
    }

    private static Object blobCredential(AssertableApplicationContext context) {
        return ReflectionTestUtils.getField(context.getBean(BlobServiceClientBuilder.class), "tokenCredential");
    }

    private static Object serviceBusCredential(AssertableApplicationContext context) {
        return ReflectionTestUtils.getField(context.getBean(ServiceBusClientBuilder.class), "credentials");
    }

    static class StaticCredential implements TokenCredential {

        @Override
        public Mono<AccessToken> getToken(TokenRequestContext request) {
            return Mono.empty();
        }

    }

}
