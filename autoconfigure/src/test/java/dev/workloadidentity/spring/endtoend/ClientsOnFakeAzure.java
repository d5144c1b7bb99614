package dev.workloadidentity.spring.endtoend;

import java.util.ArrayList;
import java.util.List;

import com.azure.spring.cloud.autoconfigure.implementation.context.AzureGlobalPropertiesAutoConfiguration;
import com.azure.spring.cloud.autoconfigure.implementation.context.AzureTokenCredentialAutoConfiguration;
import com.azure.spring.cloud.autoconfigure.implementation.keyvault.secrets.AzureKeyVaultSecretAutoConfiguration;
import com.azure.spring.cloud.autoconfigure.implementation.servicebus.AzureServiceBusAutoConfiguration;
import com.azure.spring.cloud.autoconfigure.implementation.storage.blob.AzureStorageBlobAutoConfiguration;
import dev.workloadidentity.spring.autoconfigure.WorkloadIdentityAutoConfiguration;
import dev.workloadidentity.spring.autoconfigure.health.WorkloadIdentityHealthContributorAutoConfiguration;
import dev.workloadidentity.spring.testsupport.FakeAzure;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.task.TaskExecutionAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/** An application with the starter and Spring Cloud Azure's Key Vault, Blob and Service Bus clients on a pod. */
final class ClientsOnFakeAzure {

    private ClientsOnFakeAzure() {
    }

    /**
     * @param azure the fakes; the webhook's variables and the client endpoints come from it
     * @return a runner for the application, with the Service Bus clients (when the fakes have a Service Bus) on
     * queue {@code orders}
     */
    static ApplicationContextRunner runner(FakeAzure azure) {
        List<String> properties = new ArrayList<>();
        azure.webhookEnvironment().forEach((key, value) -> properties.add(key + "=" + value));
        azure.springProperties().forEach((key, value) -> properties.add(key + "=" + value));
        if (azure.springProperties().containsKey("spring.cloud.azure.servicebus.namespace")) {
            properties.add("spring.cloud.azure.servicebus.entity-name=orders");
            properties.add("spring.cloud.azure.servicebus.entity-type=queue");
        }
        return new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(WorkloadIdentityAutoConfiguration.class,
                    WorkloadIdentityHealthContributorAutoConfiguration.class, TaskExecutionAutoConfiguration.class,
                    AzureGlobalPropertiesAutoConfiguration.class, AzureTokenCredentialAutoConfiguration.class,
                    AzureKeyVaultSecretAutoConfiguration.class, AzureStorageBlobAutoConfiguration.class,
                    AzureServiceBusAutoConfiguration.class))
            .withPropertyValues(properties.toArray(String[]::new));
    }

}
