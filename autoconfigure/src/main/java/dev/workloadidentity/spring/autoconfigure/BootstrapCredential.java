package dev.workloadidentity.spring.autoconfigure;

import com.azure.identity.WorkloadIdentityCredential;
import dev.workloadidentity.spring.credential.SharedTokenCredential;

/**
 * The workload identity credential built before the application context existed, for Spring Cloud Azure's Key
 * Vault property sources, and handed to the context so the whole application signs in with one instance and one
 * token cache.
 *
 * @param settings the resolved identity
 * @param credential the Azure Identity credential
 * @param sharedCredential the token cache in front of it, which the Key Vault property sources used
 */
public record BootstrapCredential(WorkloadIdentitySettings settings, WorkloadIdentityCredential credential,
        SharedTokenCredential sharedCredential) {

    /** Name of the singleton that carries it into the application context. */
    public static final String BEAN_NAME = "workloadIdentityBootstrapCredential";

}
