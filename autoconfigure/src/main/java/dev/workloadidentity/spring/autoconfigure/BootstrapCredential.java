package dev.workloadidentity.spring.autoconfigure;

import java.util.List;
import java.util.concurrent.ExecutorService;

import com.azure.identity.WorkloadIdentityCredential;
import dev.workloadidentity.spring.credential.SharedTokenCredential;
import dev.workloadidentity.spring.diagnostics.Diagnosis;

/**
 * The workload identity credential built before the application context existed, for Spring Cloud Azure's Key
 * Vault property sources, and handed to the context so the whole application signs in with one instance and one
 * token cache.
 *
 * @param settings the resolved identity
 * @param credential the Azure Identity credential
 * @param sharedCredential the token cache in front of it, which the Key Vault property sources used
 * @param msalThreads the threads the credential's MSAL client runs on, which the context shuts down when it closes
 * @param warnings what resolving the settings warned about, for the context to log once logging is set up
 */
public record BootstrapCredential(WorkloadIdentitySettings settings, WorkloadIdentityCredential credential,
        SharedTokenCredential sharedCredential, ExecutorService msalThreads, List<Diagnosis> warnings)
        implements AutoCloseable {

    /** Name of the singleton that carries it into the application context. */
    public static final String BEAN_NAME = "workloadIdentityBootstrapCredential";

    public BootstrapCredential {
        warnings = List.copyOf(warnings);
    }

    /**
     * Stops the shared credential and the MSAL threads. The context calls it when it closes, also when the
     * application's own default credential means no bean of the starter took these over.
     */
    @Override
    public void close() {
        this.sharedCredential.close();
        this.msalThreads.shutdownNow();
    }

}
