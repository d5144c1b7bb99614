package dev.workloadidentity.spring.autoconfigure.azure;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;

import com.azure.core.credential.TokenCredential;
import com.azure.identity.WorkloadIdentityCredential;
import dev.workloadidentity.spring.autoconfigure.BootstrapCredential;
import dev.workloadidentity.spring.autoconfigure.WorkloadIdentityConfigurationException;
import dev.workloadidentity.spring.autoconfigure.WorkloadIdentityDetection;
import dev.workloadidentity.spring.autoconfigure.WorkloadIdentityProperties;
import dev.workloadidentity.spring.autoconfigure.WorkloadIdentitySettings;
import dev.workloadidentity.spring.credential.SharedTokenCredential;
import dev.workloadidentity.spring.diagnostics.Diagnosis;
import dev.workloadidentity.spring.diagnostics.Problem;
import org.jspecify.annotations.Nullable;

import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.beans.factory.support.DefaultSingletonBeanRegistry;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.env.ConfigurableEnvironment;

/**
 * The pod's workload identity for Spring Cloud Azure's Key Vault property sources, which load before the
 * application context exists. It is resolved from the same {@code workload-identity.*} keys and webhook variables,
 * by the same code, as in the context, built when the first property source asks for it, and handed to the
 * context when that is prepared, so the whole application signs in with one credential and one token cache.
 */
final class BootstrapWorkloadIdentity {

    private @Nullable ConfigurableEnvironment environment;

    private @Nullable BootstrapCredential credential;

    private @Nullable KeyVaultStartupWatch watch;

    /**
     * @param environment the application's environment, before configuration files are loaded into it
     */
    synchronized void environmentPrepared(ConfigurableEnvironment environment) {
        this.environment = environment;
    }

    /**
     * Called through the bootstrap registry by Spring Cloud Azure's Key Vault post-processor, once for each
     * property source it builds, after configuration files are loaded.
     * @return the shared credential
     * @throws WorkloadIdentityConfigurationException when the identity is misconfigured, or configuration asks
     * for something that cannot apply at startup
     */
    synchronized TokenCredential credentialForNextPropertySource() {
        if (this.credential == null || this.watch == null) {
            if (this.environment == null) {
                throw new IllegalStateException("The environment was not handed to the workload identity before "
                        + "Key Vault property sources loaded; is " + KeyVaultStartupRunListener.class.getName()
                        + " missing from META-INF/spring.factories?");
            }
            WorkloadIdentityProperties properties = Binder.get(this.environment)
                .bind("workload-identity", WorkloadIdentityProperties.class)
                .orElseGet(WorkloadIdentityProperties::new);
            this.credential = create(properties, this.environment);
            this.watch = new KeyVaultStartupWatch(KeyVaultPropertySources.toLoad(this.environment),
                    properties.getKeyVault().getStartupTimeout(), this.credential.settings(),
                    this.credential.sharedCredential());
        }
        this.watch.nextPropertySource();
        return this.credential.sharedCredential();
    }

    /**
     * Hands the credential, if one was built, to the application context as a {@link BootstrapCredential}.
     * @param context the application context, prepared but not refreshed
     */
    synchronized void handOver(ConfigurableApplicationContext context) {
        if (this.watch != null) {
            this.watch.stop();
        }
        if (this.credential != null) {
            ConfigurableListableBeanFactory beans = context.getBeanFactory();
            beans.registerSingleton(BootstrapCredential.BEAN_NAME, this.credential);
            if (beans instanceof DefaultSingletonBeanRegistry registry) {
                registry.registerDisposableBean(BootstrapCredential.BEAN_NAME, this.credential::close);
            }
        }
    }

    /**
     * Startup failed (called on the starting thread): stops watching the property sources.
     * @param failure why startup failed
     * @return what went wrong loading a Key Vault property source, or {@code null} if none was loading
     */
    synchronized @Nullable Diagnosis startupFailed(Throwable failure) {
        if (this.watch == null) {
            return null;
        }
        Diagnosis diagnosis = this.watch.explain(failure);
        this.watch.stop();
        return diagnosis;
    }

    private static BootstrapCredential create(WorkloadIdentityProperties properties,
            ConfigurableEnvironment environment) {
        if (!WorkloadIdentityDetection.detect(environment).isMatch()) {
            throw new WorkloadIdentityConfigurationException(Diagnosis.of(Problem.DISABLED_TOO_LATE, Map.of()));
        }
        List<Diagnosis> warnings = new ArrayList<>();
        WorkloadIdentitySettings settings = WorkloadIdentitySettings.resolve(properties, environment, warnings::add);
        String otherIdentity = KeyVaultPropertySources.otherIdentitySetting(environment);
        if (otherIdentity != null) {
            throw new WorkloadIdentityConfigurationException(Diagnosis.of(Problem.KEY_VAULT_CREDENTIAL_CONFLICT,
                    Map.of("credentialSetting", otherIdentity)));
        }
        // Customizer beans do not exist yet; WorkloadIdentityAutoConfiguration says so if there are any.
        ExecutorService msalThreads = WorkloadIdentitySettings.msalThreads();
        WorkloadIdentityCredential credential = settings.credentialBuilder(msalThreads).build();
        SharedTokenCredential shared = settings.sharedCredential(credential);
        return new BootstrapCredential(settings, credential, shared, msalThreads, warnings);
    }

}
