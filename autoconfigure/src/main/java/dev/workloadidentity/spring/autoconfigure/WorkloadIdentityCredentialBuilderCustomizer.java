package dev.workloadidentity.spring.autoconfigure;

import com.azure.identity.WorkloadIdentityCredentialBuilder;

/**
 * Callback to adjust the {@link WorkloadIdentityCredentialBuilder} after the starter has applied its settings and
 * before the credential is built, for example to set an HTTP client, retry options or additionally allowed tenants.
 */
@FunctionalInterface
public interface WorkloadIdentityCredentialBuilderCustomizer {

    /**
     * Customizes the builder.
     * @param builder the builder, with client ID, tenant ID, token file and authority host already set
     */
    void customize(WorkloadIdentityCredentialBuilder builder);

}
