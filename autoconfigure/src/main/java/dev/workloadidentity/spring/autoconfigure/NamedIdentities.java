package dev.workloadidentity.spring.autoconfigure;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;

import com.azure.identity.WorkloadIdentityCredentialBuilder;
import dev.workloadidentity.spring.credential.SharedTokenCredential;
import dev.workloadidentity.spring.diagnostics.FailureLog;
import org.jspecify.annotations.Nullable;

/**
 * The further identities of {@code workload-identity.identities}: each its own {@code WorkloadIdentityCredential}
 * with its own {@link SharedTokenCredential} cache, signing in with the pod's token file and authority. The
 * {@link NamedIdentityBeans} registrar exposes each credential as a bean of the identity's name. Their MSAL clients
 * share one pool of threads, shut down when this closes.
 */
public final class NamedIdentities implements AutoCloseable {

    private final Map<String, NamedIdentity> identities;

    private final @Nullable ExecutorService msalThreads;

    private NamedIdentities(Map<String, NamedIdentity> identities, @Nullable ExecutorService msalThreads) {
        this.identities = Collections.unmodifiableMap(identities);
        this.msalThreads = msalThreads;
    }

    /**
     * Builds a credential for each configured identity, without asking Entra.
     * @param configured {@code workload-identity.identities}, by name
     * @param pod the pod's identity, whose token file, authority and (by default) tenant they share
     * @param customizers applied to every identity's builder, as to the pod's
     * @return the identities
     * @throws WorkloadIdentityConfigurationException naming the property to fix
     */
    static NamedIdentities create(Map<String, WorkloadIdentityProperties.Identity> configured,
            WorkloadIdentitySettings pod, List<WorkloadIdentityCredentialBuilderCustomizer> customizers) {
        if (configured.isEmpty()) {
            return new NamedIdentities(Map.of(), null);
        }
        Map<String, WorkloadIdentitySettings> settings = new LinkedHashMap<>();
        configured.forEach((name, identity) -> settings.put(name, pod.forIdentity(name, identity)));
        ExecutorService msalThreads = WorkloadIdentitySettings.msalThreads();
        Map<String, NamedIdentity> identities = new LinkedHashMap<>();
        settings.forEach((name, identity) -> {
            WorkloadIdentityCredentialBuilder builder = identity.credentialBuilder(msalThreads);
            customizers.forEach((customizer) -> customizer.customize(builder));
            SharedTokenCredential credential = identity.sharedCredential(builder.build());
            identities.put(name, new NamedIdentity(name, identity, credential,
                    new FailureLog("Workload identity '" + name + "'")));
        });
        return new NamedIdentities(identities, msalThreads);
    }

    /** @return every identity by name, in configuration order; empty when none is configured */
    public Map<String, NamedIdentity> all() {
        return this.identities;
    }

    /**
     * The factory method of the beans {@link NamedIdentityBeans} registers.
     * @param name a configured identity's name
     * @return its credential
     */
    SharedTokenCredential credential(String name) {
        NamedIdentity identity = this.identities.get(name);
        if (identity == null) {
            throw new IllegalStateException("workload-identity.identities." + name + " is not configured; the "
                    + "configured identities are " + this.identities.keySet());
        }
        return identity.credential();
    }

    /** Shuts the MSAL threads down; the credentials are closed as beans, before this. */
    @Override
    public void close() {
        if (this.msalThreads != null) {
            this.msalThreads.shutdownNow();
        }
    }

    /**
     * One identity of {@code workload-identity.identities}.
     *
     * @param name its name, which is also its bean's
     * @param settings its client ID and tenant, with the pod's token file and authority
     * @param credential the credential its clients use
     * @param failureLog where its problems are logged, once each, under its name
     */
    public record NamedIdentity(String name, WorkloadIdentitySettings settings, SharedTokenCredential credential,
            FailureLog failureLog) {
    }

}
