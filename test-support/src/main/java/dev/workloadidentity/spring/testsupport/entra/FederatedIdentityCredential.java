package dev.workloadidentity.spring.testsupport.entra;

import dev.workloadidentity.spring.testsupport.kubernetes.ServiceAccountTokenIssuer;

/**
 * A federated identity credential on an application or managed identity: Entra accepts an assertion whose
 * {@code iss}, {@code sub} and {@code aud} match one of these exactly (case-sensitive).
 *
 * @param issuer the external issuer URL, e.g. the AKS cluster's OIDC issuer (mind the trailing slash)
 * @param subject e.g. {@code system:serviceaccount:<ns>:<sa>}
 * @param audience usually {@code api://AzureADTokenExchange}
 */
public record FederatedIdentityCredential(String issuer, String subject, String audience) {

    /**
     * The credential {@code az identity federated-credential create} makes for a service account.
     * @param issuer the cluster's OIDC issuer URL
     * @param namespace the service account's namespace
     * @param serviceAccount the service account's name
     * @return a credential with audience {@code api://AzureADTokenExchange}
     */
    public static FederatedIdentityCredential forServiceAccount(String issuer, String namespace,
            String serviceAccount) {
        return new FederatedIdentityCredential(issuer, ServiceAccountTokenIssuer.subject(namespace, serviceAccount),
                ServiceAccountTokenIssuer.AZURE_AD_TOKEN_EXCHANGE);
    }

}
