package dev.workloadidentity.spring.autoconfigure.azure;

import dev.workloadidentity.spring.autoconfigure.WorkloadIdentityConfigurationException;
import dev.workloadidentity.spring.diagnostics.Diagnosis;
import org.jspecify.annotations.Nullable;

import org.springframework.boot.SpringApplicationRunListener;
import org.springframework.boot.bootstrap.ConfigurableBootstrapContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.Ordered;
import org.springframework.core.env.ConfigurableEnvironment;

/**
 * Connects the bootstrap workload identity to the application's run: hands it the environment before any
 * environment post-processor (Spring Cloud Azure's Key Vault one among them) runs, and when startup fails while
 * a Key Vault property source loads, attaches what went wrong to the failure, where
 * {@code WorkloadIdentityFailureAnalyzer} finds it.
 */
public class KeyVaultStartupRunListener implements SpringApplicationRunListener, Ordered {

    private @Nullable BootstrapWorkloadIdentity identity;

    @Override
    public int getOrder() {
        // Before Spring Boot's EventPublishingRunListener (order 0), which runs the environment post-processors.
        return Ordered.HIGHEST_PRECEDENCE;
    }

    @Override
    public void environmentPrepared(ConfigurableBootstrapContext bootstrapContext,
            ConfigurableEnvironment environment) {
        if (bootstrapContext.isRegistered(BootstrapWorkloadIdentity.class)) {
            this.identity = bootstrapContext.get(BootstrapWorkloadIdentity.class);
            this.identity.environmentPrepared(environment);
        }
    }

    @Override
    public void failed(@Nullable ConfigurableApplicationContext context, Throwable exception) {
        if (this.identity == null) {
            return;
        }
        Diagnosis diagnosis = this.identity.startupFailed(exception);
        if (diagnosis != null && WorkloadIdentityConfigurationException.find(exception) == null) {
            exception.addSuppressed(new WorkloadIdentityConfigurationException(diagnosis));
        }
    }

}
